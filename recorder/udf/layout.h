// Where a discrec disc puts its UDF file system and where streamed data goes.
//
// One layout serves both media kinds (README.md has the picture):
//   [0, data_start)        metadata area: system area, volume recognition sequence
//                          (16..18), main VDS (32..47), reserve VDS (48..63), integrity
//                          sequence (64..65), anchor at 256, then the partition's
//                          metadata blocks (file set, directories, file entries).
//                          Written once, at finalize, front to back.
//   [data_start, data_end) streamed recordings (inside the partition).
//   closing area           the reserve VDS and, in its last sector, the second anchor:
//                          whole write units right after the data (sequential) or at
//                          the end of the disc (random access).
// Sequential write-once media (DVD+R, BD-R): the metadata area is track 1, reserved
// with RESERVE TRACK before the first recording; streaming writes go to track 2; the
// closing unit is appended after the data at finalize. Random-access media: the same
// area is simply rewritten at finalize; the closing unit is the last unit of the disc.
//
// Thread-safety: pure functions and value types.
#pragma once

#include <cstdint>

#include "base/result.h"

namespace discrec::recorder::udf {

enum class MediaKind {
  kSequentialWriteOnce,  // DVD+R, DVD+R DL, BD-R (SRM)
  kRandomAccess,         // DVD-RAM, DVD+RW, BD-RE
};

// Fixed places in the metadata area (absolute LBAs, 2048-byte sectors).
inline constexpr uint32_t kVrsLba = 16;
inline constexpr uint32_t kMainVdsLba = 32;
inline constexpr uint32_t kVdsSectors = 16;
inline constexpr uint32_t kIntegrityLba = 64;
inline constexpr uint32_t kAnchorLba = 256;
inline constexpr uint32_t kPartitionStart = 257;

// Fixed blocks at the start of the partition (partition-relative); the file
// entries follow the /DISCREC directory.
namespace partition_block {
inline constexpr uint32_t kFileSet = 0;        // + terminating descriptor at 1
inline constexpr uint32_t kRootEntry = 2;
inline constexpr uint32_t kRootDirectory = 3;
inline constexpr uint32_t kRecordingEntry = 4;  // /DISCREC
inline constexpr uint32_t kZeros = 5;           // zero-filled lost extents point here
inline constexpr uint32_t kZeroCount = 32;
inline constexpr uint32_t kRecordingDirectory = kZeros + kZeroCount;
}  // namespace partition_block

struct LayoutRequest {
  MediaKind kind = MediaKind::kSequentialWriteOnce;
  // Blank disc's free blocks (sequential) or formatted capacity (random access).
  uint32_t capacity_sectors = 0;
  // The write unit: 16 sectors (DVD ECC block) or 32 (BD cluster).
  uint32_t write_unit_sectors = 16;
  // Recordings the metadata area must be able to describe. Their extents need
  // no limit: the area is planned for the worst case, every write unit its own
  // extent (0.04 % of a BD-25, 0.11 % of a DVD+R).
  uint32_t max_files = 1000;
};

struct VolumeLayout {
  MediaKind kind = MediaKind::kSequentialWriteOnce;
  uint32_t capacity_sectors = 0;
  uint32_t write_unit_sectors = 16;
  // First LBA of streamed data, a multiple of the write unit. On sequential media
  // also the size of track 1 to pass to RESERVE TRACK.
  uint32_t data_start = 0;
  // Streamed data must end at or before this LBA (exclusive): room is left for the
  // closing area.
  uint32_t data_limit = 0;
  // Sectors of the closing area: the reserve VDS plus the anchor, in whole units.
  // Sequential media: it starts at the (unit-aligned) end of the data. Random
  // access: it ends at the last sector of the disc.
  uint32_t closing_sectors = 0;
  uint32_t max_files = 0;
  // The partition block the fixed blocks (partition_block::) start at: the
  // first one after the anchor's unit (write_unit_sectors - 1), so that a
  // write of that unit failing (the switch of a volume update) cannot take
  // the live volume's own blocks with it. 0 on discs from before it. On a
  // later session: from the first block after that session's anchor.
  uint32_t first_block = 0;
  // Multisession (multisession.h): the first LBA of the session this volume is
  // written in. Its system area, volume recognition sequence, main VDS,
  // integrity sequence and first anchor sit at these offsets from it, and its
  // metadata area is [session_start, data_start). 0 on a single-session disc.
  uint32_t session_start = 0;
  // The partition's first LBA. A later session keeps the first session's, so
  // that the earlier sessions' recordings lie inside its partition.
  uint32_t partition_start = kPartitionStart;

  // Metadata blocks this session's metadata area holds after its anchor
  // (including the skipped first_block ones).
  uint32_t metadata_blocks() const { return data_start - (session_start + kPartitionStart); }
};

// The request for a disc of MMC `profile` (DriveCapabilities::current_profile;
// device::profile_recording_mode() decides the kind) with the drive's
// free blocks (sequential) or formatted capacity (random access); max_files keeps
// its default. kUnsupported for CD and read-only media.
// BD-R RRM gets the sequential layout: it is write-once, but needs no RESERVE
// TRACK since any block may be written (once).
Result<LayoutRequest> layout_request_for_profile(uint16_t profile, uint32_t capacity_sectors);

// Plans a layout; kInvalidArgument for a write unit that is not a power of two up
// to 256, kResourceExhausted when the disc is too small for metadata plus one unit
// of data.
Result<VolumeLayout> plan_layout(const LayoutRequest& request);

}  // namespace discrec::recorder::udf
