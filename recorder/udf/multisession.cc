#include "recorder/udf/multisession.h"

#include <algorithm>
#include <string>

#include "recorder/udf/descriptor_writer.h"

namespace discrec::recorder::udf {

namespace {
uint64_t div_up(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
}  // namespace

uint32_t earlier_metadata_blocks(const std::vector<FileSpec>& earlier, const VolumeSpec& spec) {
  // Exactly what build_volume will lay down for them: each entry (a file, or
  // each of its parts) and its allocation extent blocks, and one directory
  // entry each in /DISCREC. Names were checked when they were first written.
  auto entries = detail::disc_entries(earlier, spec, kPartitionStart, kPartitionStart);
  uint64_t blocks = 0, fid_bytes = 0;
  if (entries.ok()) {
    for (const detail::DiscEntry& e : *entries) {
      blocks += 1 + detail::extent_blocks_for(e.ads.size());
      fid_bytes += detail::fid_size(e.cs0.size());
    }
  } else {
    // A name that no longer encodes fails build_volume later, naming it;
    // size generously meanwhile (one entry per 228 extents, longest name).
    for (const FileSpec& f : earlier) {
      blocks += 1 + div_up(f.extents.size() + f.size / kMaxExtentBytes + 1, detail::kAdsInEntry - 1);
      fid_bytes += 296 * (1 + f.extents.size() / detail::kAdsInEntry);
    }
  }
  return static_cast<uint32_t>(blocks + div_up(fid_bytes, kSectorSize) + 1);
}

Result<SessionPlan> plan_next_session(const ParsedVolume& previous, const SessionRequest& r) {
  const uint32_t unit = r.write_unit_sectors;
  const uint32_t start = r.session_start;
  if (unit == 0 || start % unit != 0) {
    return Error(ErrorCode::kInvalidArgument, "session start " + std::to_string(start) +
                                                  " is not a multiple of the write unit " + std::to_string(unit));
  }
  // Nothing of the previous volume may lie at or after the new session.
  uint64_t previous_end = uint64_t{previous.partition_start} + previous.partition_length;
  for (uint32_t a : previous.anchors) previous_end = std::max<uint64_t>(previous_end, uint64_t{a} + 1);
  previous_end = std::max(previous_end, previous.reserve_vds.end());
  if (start < previous_end || previous.session_start >= start) {
    return Error(ErrorCode::kInvalidArgument, "session start " + std::to_string(start) +
                                                  " is not past the previous session's volume (ends at " +
                                                  std::to_string(previous_end) + ")");
  }
  if (uint64_t{start} + kPartitionStart <= previous.partition_start) {
    return Error(ErrorCode::kInvalidArgument, "previous partition starts after the new session's anchor");
  }

  // The new volume carries over /DISCREC's recordings only: anything else
  // (a disc another program wrote) would vanish from the disc's last session.
  const std::string dir = "/" + std::string(kRecordingDirectory);
  for (const ParsedFile& f : previous.files) {
    const bool recording = !f.directory && f.parent >= 0 && previous.files[f.parent].path == dir;
    if (!(f.directory && f.path == dir) && !recording) {
      return Error(ErrorCode::kUnsupported, "the previous session holds " + f.path +
                                                ", which a new session would not list");
    }
  }
  SessionPlan plan;
  ASSIGN_OR_RETURN(plan.spec.files, recordings_from(previous));
  plan.spec.label = previous.label;
  plan.spec.volume_set = previous.volume_set;
  plan.spec.created = previous.volume_created;

  // The new recordings' share, as the first session's area is planned, then
  // the earlier recordings' entries on top.
  LayoutRequest request;
  request.kind = MediaKind::kSequentialWriteOnce;
  request.capacity_sectors = r.free_blocks;
  request.write_unit_sectors = unit;
  request.max_files = r.max_files;
  ASSIGN_OR_RETURN(VolumeLayout fresh, plan_layout(request));
  const uint64_t area = div_up(uint64_t{fresh.data_start} + earlier_metadata_blocks(plan.spec.files, plan.spec), unit) * unit;
  if (area + unit + fresh.closing_sectors > r.free_blocks) {
    return Error(ErrorCode::kResourceExhausted, "session of " + std::to_string(r.free_blocks) +
                                                    " sectors cannot hold a " + std::to_string(area) +
                                                    "-sector metadata area");
  }
  VolumeLayout& layout = plan.layout;
  layout.kind = MediaKind::kSequentialWriteOnce;
  layout.capacity_sectors = start + r.free_blocks;
  layout.write_unit_sectors = unit;
  layout.session_start = start;
  layout.partition_start = previous.partition_start;
  layout.data_start = static_cast<uint32_t>(start + area);
  layout.data_limit = (start + r.free_blocks - fresh.closing_sectors) / unit * unit;
  layout.closing_sectors = fresh.closing_sectors;
  layout.first_block = fresh.first_block;  // after this session's anchor unit, as plan_layout places it
  layout.max_files = static_cast<uint32_t>(plan.spec.files.size()) + r.max_files;
  return plan;
}

}  // namespace discrec::recorder::udf
