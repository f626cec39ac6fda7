// Builds the UDF 2.01 file system of a discrec disc as sectors to write: no I/O.
// The finalize step writes the returned writes through the Drive in order (each
// run ascending, as sequential media require).
//
// Thread-safety: pure functions and value types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "recorder/udf/ecma167.h"
#include "recorder/udf/layout.h"
#include "recorder/udf/volume_reader.h"

namespace discrec::recorder::udf {

// The directory every recording lives in.
inline constexpr std::string_view kRecordingDirectory = "DISCREC";

// A run of sectors of a file, in file order.
struct FileExtent {
  uint32_t lba = 0;      // absolute, inside [data_start, data_end)
  uint32_t sectors = 0;  // > 0
  // false: a lost extent (a streaming write failed), described as the volume's
  // LostExtentEncoding says so that readers return zeros instead of failing.
  bool recorded = true;
};

struct FileSpec {
  // The name inside /DISCREC (see recording_file_name); UTF-8, no '/' or NUL,
  // at most 254 bytes once encoded.
  std::string name;
  // Bytes of the file; its extents hold exactly ceil(size / 2048) sectors.
  uint64_t size = 0;
  TimePoint created{};
  TimePoint modified{};
  std::vector<FileExtent> extents;
};

// How lost extents are described on disc.
enum class LostExtentEncoding {
  // ECMA-167 extent type 1, "allocated but not recorded": the disc itself says
  // which ranges were lost. Linux, libudfread and read_volume return zeros there;
  // 7-Zip (26) lists the file but refuses to extract it.
  kAllocatedNotRecorded,
  // Recorded extents pointing at a zeroed run of blocks in the metadata area:
  // every reader returns zeros, 7-Zip included, but only discrec's own records
  // (journal, verify) still know which ranges were lost. recordings_from returns
  // them as lost extents at the zero run's LBA.
  kZeroFilled,
};

// How a file with more extents than one file entry lists (229) is written.
enum class LongFileForm {
  // Parts: "<stem>.part001.ts", "<stem>.part002.ts", ... (file_part_names), each
  // an entry that lists all its extents itself. Parts end on sector boundaries
  // (inside a TS packet) and concatenate byte for byte into the recording, as a
  // camcorder's chapter files do. Every reader extracts them, 7-Zip included.
  kParts,
  // One file whose descriptors continue in chained allocation extent blocks
  // (ECMA-167 4/14.5): the Linux kernel, libudfread and Windows read it; 7-Zip
  // lists it but refuses to extract it ("Unsupported Method").
  kChained,
};

struct VolumeSpec {
  // Volume, logical volume and file set identifier: UTF-8, BMP only; cut to fit
  // each field (32 bytes in the PVD and FSD, 128 in the LVD).
  std::string label;
  TimePoint created{};      // volume creation: PVD and directory times
  TimePoint finalized{};    // this build: integrity descriptor and file set times
  std::vector<FileSpec> files;
  // First LBA after the streamed data (sequential media: where the closing area
  // goes). 0: derive it from the extents.
  uint32_t data_end = 0;
  LostExtentEncoding lost_extents = LostExtentEncoding::kAllocatedNotRecorded;
  LongFileForm long_files = LongFileForm::kParts;
  // The primary volume descriptor's volume set identifier. Empty: 16 hex
  // digits of `created` and the label (UDF 2.2.2.5). A later session passes
  // the first session's, so the disc stays the same volume set.
  std::string volume_set{};
};

struct SectorWrite {
  uint32_t lba = 0;
  std::vector<uint8_t> bytes;  // a whole number of 2048-byte sectors
};

// The writes that make the volume: the metadata area [layout.session_start,
// data_start) and the closing area (reserve VDS and second anchor). On a later
// session (session_start > 0, sequential media only) files may also have
// extents in earlier sessions, [partition_start, session_start).
// Errors: kInvalidArgument for a bad name,
// duplicate names, extents outside the data area or not matching the size;
// kResourceExhausted when the metadata does not fit the layout's area or the
// data runs past data_limit.
Result<std::vector<SectorWrite>> build_volume(const VolumeLayout& layout, const VolumeSpec& spec);

// The names `file` has on disc: its own name, or one per part when it has more
// extents than an entry lists and `spec` asks for parts (LongFileForm::kParts).
std::vector<std::string> file_part_names(const FileSpec& file, const VolumeSpec& spec);

// The recordings a disc already holds (regular files directly in /DISCREC), as
// FileSpecs to build the next volume from when appending to random-access media.
// Extents split at 1 GiB are merged back, and so are a recording's parts
// (consecutive "<stem>.partNNN.ts" numbered from 1, at least two). kMalformedResponse for extents
// discrec never writes (not allocated) or that do not cover the size.
Result<std::vector<FileSpec>> recordings_from(const ParsedVolume& volume);

// Checks that a volume read back from the disc describes exactly the recordings
// of `expected` (names, sizes, times to the microsecond, extents and which are
// lost), in order. kDataLoss naming the first difference; for the finalize step's
// read-back after writing the metadata.
Status check_recordings(const ParsedVolume& disc, const VolumeSpec& expected);

// "2026-11-25T23-45-00Z_<id>_<title>.ts" ("..._<id>.ts" without a title): the
// UTC start time (no ':' so every OS accepts it), the recording id (unique on
// its disc, so no two recordings share a name whatever their titles), and
// the title with path separators and control characters replaced by '_',
// cut so id and title together take at most 92 bytes (room for a part number).
std::string recording_file_name(TimePoint start, std::string_view recording_id, std::string_view title);

// A label build_volume() accepts and writes whole: BMP characters, no
// control characters, fitting the 32-byte volume identifier. Checked when a
// finalize is asked for, before the label reaches the journal.
Status check_volume_label(std::string_view label);

}  // namespace discrec::recorder::udf
