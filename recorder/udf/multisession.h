// Write-once discs in sessions (UDF 2.01 6.10 "multisession"): a session is
// closed without closing the disc, and a later session gets a volume of its
// own that lists the earlier sessions' recordings and its new ones. Readers
// that look for the last session (the Linux kernel, udfinfo --startblock, ...)
// see every recording; readers that only look at 256 see the first session.
//
// Each session's volume is laid out as the first one is (layout.h), shifted to
// the session's start S (the next writable address once the previous session
// is closed):
//   [S, data_start)        metadata area: VRS at S+16, main VDS at S+32,
//                          integrity at S+64, anchor at S+256, then this
//                          session's file set, directories and file entries.
//                          Reserved ahead with RESERVE TRACK, as track 1 of
//                          the first session is, and written at finalize.
//   [data_start, data_end) the session's streamed recordings.
//   closing area           reserve VDS and, in the session's last sector (N),
//                          the second anchor.
// The partition runs from the first session's partition start (257) to the
// closing area, so the earlier sessions' extents lie inside it; the earlier
// recordings' entries are written again in the new metadata area (pointing
// at their unchanged data). Label, volume set identifier and creation time
// are the first session's.
//
// Thread-safety: pure functions and value types.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "recorder/udf/layout.h"
#include "recorder/udf/volume_builder.h"
#include "recorder/udf/volume_reader.h"

namespace discrec::recorder::udf {

struct SessionRequest {
  // The new session's first LBA: the next writable address of the invisible
  // track after the previous session was closed (READ TRACK INFORMATION 0xFF;
  // device::Drive::read_sessions). A multiple of the write unit.
  uint32_t session_start = 0;
  // Free blocks of that track (READ TRACK INFORMATION 0xFF).
  uint32_t free_blocks = 0;
  // 16 sectors (DVD ECC block) or 32 (BD cluster).
  uint32_t write_unit_sectors = 16;
  // Recordings this session may add; its metadata area is sized for them at
  // the worst case of extents, as plan_layout sizes the first session's.
  uint32_t max_files = 1000;
};

// What the next session is built from.
struct SessionPlan {
  // A sequential layout with session_start and partition_start set:
  // RESERVE TRACK(layout.data_start - layout.session_start) at the session's
  // start, stream from data_start, never past data_limit.
  VolumeLayout layout;
  // The earlier recordings (recordings_from the previous volume) with the
  // disc's label, volume set identifier and creation time. At finalize the
  // caller appends this session's recordings, sets `finalized` and `data_end`
  // (the next writable address) and calls build_volume(layout, spec).
  VolumeSpec spec;
};

// The layout of a session starting at request.session_start on a disc whose
// last closed session holds `previous` (read_volume_at at that session's
// start, over a source that ends at the disc's last recorded sector).
// kInvalidArgument for a session start that is not unit-aligned or not past
// the previous volume; kUnsupported when the previous volume holds anything
// but /DISCREC and its files (it would vanish from the new session's volume);
// kResourceExhausted when the free blocks cannot hold the metadata area and a
// unit of data; kMalformedResponse as recordings_from.
Result<SessionPlan> plan_next_session(const ParsedVolume& previous, const SessionRequest& request);

// The sectors a session's metadata area needs beyond plan_layout's for the
// new files: entries and directory entries of the earlier recordings.
uint32_t earlier_metadata_blocks(const std::vector<FileSpec>& earlier, const VolumeSpec& spec);

}  // namespace discrec::recorder::udf
