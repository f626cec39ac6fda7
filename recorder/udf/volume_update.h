// Changing a volume that is already on a random-access disc (BD-RE, DVD-RAM,
// DVD+RW): adding recordings, removing them, so that a power cut at any moment
// leaves a readable volume, the old one or the new one.
//
// Copy-on-write. The live volume is never written over while it is live:
//   1. prepare: the new file set descriptor, every directory (new entry, new
//      data) and the added files' entries go into sectors the live volume does
//      not use; the new volume descriptor sequence and integrity descriptor go
//      into the one of two fixed slots the live volume does not use
//      (32/64 or 96/128, before the partition). Then SYNCHRONIZE CACHE.
//   2. commit: the anchor at 256 (every reader tries it first) now points at
//      the new sequence. One sector: the switch. Then SYNCHRONIZE CACHE.
//   3. complete: the reserve sequence and the other anchors follow. Until they
//      do, they still describe the old volume, whose sectors nothing has
//      written yet.
// Regular files' entries and data are never rewritten, whoever wrote them:
// the new directories point at the same entries. Directories are copied (a
// subdirectory's parent link must name the new parent), keeping their names,
// owners, permissions and times. A removed recording's entry and data simply
// stop being referenced: that is the space it gives back.
//
// What cannot be updated safely is refused with the reason (check_updatable):
// another UDF revision, a damaged main sequence, an integrity descriptor left
// open, no free slot, no reserve sequence outside the partition.
//
// Thread-safety: pure functions; the SectorSource is used by the calling thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "recorder/udf/volume_builder.h"
#include "recorder/udf/volume_reader.h"

namespace discrec::recorder::udf {

struct VolumeChange {
  std::vector<FileSpec> add;        // new recordings, into /DISCREC (created if missing)
  std::vector<std::string> remove;  // file names in /DISCREC; a recording's parts go with its name
  TimePoint when{};                 // the directories' modification and the integrity time
  LostExtentEncoding lost_extents = LostExtentEncoding::kAllocatedNotRecorded;
  LongFileForm long_files = LongFileForm::kParts;
  // Sectors the new metadata must keep off besides the live volume's: data
  // recorded for `add` and anything else being written.
  std::vector<SectorRun> in_use;
};

struct VolumeUpdate {
  std::vector<SectorWrite> prepare;   // where the live volume does not look; then sync
  SectorWrite commit;                 // the anchor at 256: the switch; then sync
  std::vector<SectorWrite> complete;  // reserve sequence, other anchors; then sync
  SectorRun metadata;                 // the sectors the new file-system blocks took
  uint32_t files = 0;                 // regular files in /DISCREC afterwards
  uint32_t removed = 0;               // entries removed (a recording's parts count each)
};

// OK when discrec can update `volume` in place; kUnsupported naming why not.
Status check_updatable(const ParsedVolume& volume, uint32_t sector_count);

// The sectors inside the partition that neither the volume nor `in_use`
// occupies, in runs of whole `unit`s (aligned), ascending. The anchor's unit is
// never free.
std::vector<SectorRun> free_runs(const ParsedVolume& volume, uint32_t unit, std::span<const SectorRun> in_use = {});
uint64_t total_sectors(std::span<const SectorRun> runs);

// Sectors the metadata of an update may need after recordings of at most
// `data_sectors` sectors in `new_files` files are added: the directories copied
// and grown, and entries for the worst case of extents (every unit its own).
// Kept free while recording so the update always finds room.
uint32_t update_reserve_sectors(const ParsedVolume& volume, uint64_t data_sectors, uint32_t new_files, uint32_t unit);

// Plans the update; `source` is read for the live descriptors to copy.
// kNotFound for a name to remove that is not there, kInvalidArgument for an
// added name already taken, kResourceExhausted when no free run holds the new
// metadata, kUnsupported as check_updatable says.
Result<VolumeUpdate> plan_update(SectorSource& source, const ParsedVolume& live, const VolumeChange& change,
                                 uint32_t unit);

}  // namespace discrec::recorder::udf
