#include "recorder/udf/layout.h"

#include <string>

#include "device/drive.h"

namespace discrec::recorder::udf {

namespace {
uint64_t div_up(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

// Worst-case directory entry: 38-byte header + 255-byte name, padded to 4.
constexpr uint64_t kMaxFidBytes = 296;
// Short allocation descriptors a file entry holds inline (2048 - 216 header) / 8,
// less one: chained, an entry's last descriptor points at the next block.
constexpr uint64_t kAdsPerEntryBlock = (2048 - 216) / 8 - 1;
// File set descriptor + terminator, root entry + directory, /DISCREC entry, and
// the zero blocks zero-filled lost extents point at.
constexpr uint64_t kFixedBlocks = partition_block::kRecordingDirectory;
}  // namespace

Result<VolumeLayout> plan_layout(const LayoutRequest& r) {
  const uint32_t unit = r.write_unit_sectors;
  if (unit == 0 || unit > 256 || (unit & (unit - 1)) != 0) {
    return Error(ErrorCode::kInvalidArgument, "write unit must be a power of two up to 256 sectors, got " +
                                                  std::to_string(unit));
  }
  if (r.max_files == 0) return Error(ErrorCode::kInvalidArgument, "layout for zero files");
  // The most allocation descriptors the data can need: interleaved recordings
  // at worst give every write unit its own extent; a zero-filled lost run
  // takes one per 32 sectors (the zero blocks); extents split every 1 GiB; and
  // each file may end in a part-filled block. Sized for that, finalize never
  // runs out of metadata room however the writer interleaved the recordings.
  const uint64_t capacity = r.capacity_sectors;
  const uint64_t ads = capacity / unit + capacity / partition_block::kZeroCount + capacity / (1u << 19) + r.max_files;
  // Each file takes an entry block per 228 descriptors, whether they are kept
  // in one file (allocation extent blocks hold more, 252) or split into parts
  // (one entry each, listed in the directory).
  const uint64_t entries = div_up(ads, kAdsPerEntryBlock) + r.max_files;
  const uint64_t dir_blocks = div_up(40 + entries * kMaxFidBytes, 2048);
  const uint64_t metadata = (unit - 1) + kFixedBlocks + dir_blocks + entries;
  const uint64_t data_start = div_up(kPartitionStart + metadata, unit) * unit;
  // Reserve VDS + anchor, rounded up to whole units.
  const uint32_t closing = (kVdsSectors + 1 + unit - 1) / unit * unit;
  if (data_start + unit + closing > r.capacity_sectors) {
    return Error(ErrorCode::kResourceExhausted, "disc of " + std::to_string(r.capacity_sectors) +
                                                    " sectors cannot hold a " + std::to_string(data_start) +
                                                    "-sector metadata area");
  }
  VolumeLayout layout;
  layout.kind = r.kind;
  layout.capacity_sectors = r.capacity_sectors;
  layout.write_unit_sectors = unit;
  layout.data_start = static_cast<uint32_t>(data_start);
  // Whole units only: the closing area must fit after the last data unit.
  layout.data_limit = (r.capacity_sectors - closing) / unit * unit;
  layout.closing_sectors = closing;
  layout.max_files = r.max_files;
  layout.first_block = unit - 1;
  return layout;
}

Result<LayoutRequest> layout_request_for_profile(uint16_t profile, uint32_t capacity_sectors) {
  LayoutRequest r;
  r.capacity_sectors = capacity_sectors;
  r.write_unit_sectors = device::profile_is_bd(profile) ? 32 : 16;
  switch (device::profile_recording_mode(profile)) {
    case device::RecordingMode::kWriteOnce:
      r.kind = MediaKind::kSequentialWriteOnce;
      return r;
    case device::RecordingMode::kRewritable:
      r.kind = MediaKind::kRandomAccess;
      return r;
    case device::RecordingMode::kNone:
      break;
  }
  return Error(ErrorCode::kUnsupported, "no UDF layout for " + device::profile_name(profile) + " media");
}

}  // namespace discrec::recorder::udf
