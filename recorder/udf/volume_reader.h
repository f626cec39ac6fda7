// Reads a UDF volume back: anchor -> volume descriptor sequence -> partition ->
// file set -> root -> every directory and file, with their extents. Used to verify
// a finalized disc and to learn what an existing disc holds before appending.
//
// The input is untrusted (a disc from anywhere): every offset, length and count is
// bounds-checked, loops and sizes are limited, and anything malformed is an Error
// (kMalformedResponse) naming what and where; never a crash.
//
// Thread-safety: read_volume is reentrant; a SectorSource is used by one thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "recorder/udf/ecma167.h"
#include "recorder/udf/layout.h"

namespace discrec::recorder::udf {

// Where the reader gets sectors: an image file, a Drive, memory.
class SectorSource {
 public:
  virtual ~SectorSource() = default;
  virtual uint32_t sector_count() const = 0;
  // Reads `out.size() / 2048` sectors at `lba`. Reads past the end are an error.
  virtual Status read(uint32_t lba, std::span<uint8_t> out) = 0;
};

// Sectors from memory (tests, fuzzing). The bytes must outlive the source; a
// partial last sector reads as zero-padded.
class MemorySectorSource : public SectorSource {
 public:
  explicit MemorySectorSource(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  uint32_t sector_count() const override;
  Status read(uint32_t lba, std::span<uint8_t> out) override;

 private:
  std::span<const uint8_t> bytes_;
};

// Sectors from an image file: LBA n at byte n * 2048.
class ImageFileSectorSource : public SectorSource {
 public:
  static Result<ImageFileSectorSource> open(const std::string& path);
  ImageFileSectorSource(ImageFileSectorSource&& other) noexcept;
  ImageFileSectorSource& operator=(ImageFileSectorSource&&) = delete;
  ~ImageFileSectorSource() override;
  uint32_t sector_count() const override { return sectors_; }
  Status read(uint32_t lba, std::span<uint8_t> out) override;

 private:
  ImageFileSectorSource(int fd, uint32_t sectors) : fd_(fd), sectors_(sectors) {}
  int fd_ = -1;
  uint32_t sectors_ = 0;
};

struct ParsedExtent {
  uint32_t lba = 0;    // absolute
  uint32_t bytes = 0;  // as recorded in the descriptor
  ExtentType type = ExtentType::kRecorded;
};

struct ParsedFile {
  std::string path;  // "/DISCREC/name.ts", UTF-8
  bool directory = false;
  // Where the entry sits in the tree, so a volume can be rebuilt around it.
  int parent = -1;                     // index in ParsedVolume::files; -1: the root
  uint32_t icb_block = 0;              // its file entry, partition-relative
  uint8_t characteristics = 0;         // of its file identifier (hidden, directory, ...)
  std::vector<uint8_t> identifier;     // its name as the file identifier holds it (CS0)
  uint32_t uid = 0xFFFFFFFF, gid = 0xFFFFFFFF, permissions = 0;
  std::string implementation;          // the file entry's implementation identifier ("*discrec")
  uint64_t size = 0;
  TimePoint created{};   // extended file entries only; else the modification time
  TimePoint modified{};
  uint64_t unique_id = 0;
  std::vector<ParsedExtent> extents;  // regular files; embedded data has none
};

// A run of sectors, absolute.
struct SectorRun {
  uint32_t lba = 0;
  uint32_t sectors = 0;
  uint64_t end() const { return uint64_t{lba} + sectors; }
  bool operator==(const SectorRun&) const = default;
};

struct ParsedVolume {
  std::string label;  // logical volume identifier
  // The primary volume descriptor's volume identifier, volume set identifier
  // and recording time (discrec: the disc's creation), which a later session
  // keeps so the disc stays recognisable.
  std::string volume_id;
  std::string volume_set;
  TimePoint volume_created{};
  uint32_t session_start = 0;  // where the anchors were looked for (read_volume_at)
  uint32_t anchor_lba = 0;
  // Every valid anchor found (256, N-256, N) and the sequences it points at.
  std::vector<uint32_t> anchors;
  SectorRun main_vds, reserve_vds;  // as the anchor read names them
  uint32_t vds_used = 0;            // the LBA of the sequence actually read (main, or reserve)
  SectorRun integrity;              // the logical volume integrity sequence
  uint32_t fsd_block = 0;           // partition-relative
  uint32_t root_block = 0;          // the root directory's entry, partition-relative
  uint32_t access_type = 0;         // partition: 1 read-only, 2 write-once, 3 rewritable, 4 overwritable
  bool space_bitmap = false;        // the partition describes its free space (a bitmap or table)
  uint16_t udf_revision = 0;        // the logical volume's domain: 0x0201 for UDF 2.01
  std::string implementation;       // the logical volume's implementation identifier ("*discrec")
  // Every sector the volume's metadata occupies inside the partition: the file
  // set descriptor, file entries, allocation extent blocks, directory data.
  std::vector<SectorRun> metadata;
  uint32_t partition_start = 0;
  uint32_t partition_length = 0;
  bool integrity_closed = false;
  uint64_t next_unique_id = 0;
  std::vector<ParsedFile> files;  // every directory and file but the root, depth first
};

struct ReadLimits {
  uint32_t max_entries = 100'000;        // files + directories
  uint32_t max_depth = 16;
  uint32_t max_directory_bytes = 16 << 20;
  uint32_t max_extents_per_file = 1 << 20;
};

Result<ParsedVolume> read_volume(SectorSource& source, const ReadLimits& limits = {});

// The volume of the session that starts at `session_start` (multisession.h):
// its anchor at session_start + 256, else N or N - 256 (N = the source's last
// sector, so a source that ends where a session ends reads that session's
// closing anchor). Addresses stay absolute, as UDF's are: LBA 0 of the source
// is LBA 0 of the disc. read_volume(source) is read_volume_at(source, 0).
Result<ParsedVolume> read_volume_at(SectorSource& source, uint32_t session_start, const ReadLimits& limits = {});

// Reads `out.size()` bytes of a parsed file from `offset`: recorded extents from
// the source, every other extent type as zeros. Range errors are kInvalidArgument.
Status read_file_bytes(SectorSource& source, const ParsedFile& file, uint64_t offset, std::span<uint8_t> out);

}  // namespace discrec::recorder::udf
