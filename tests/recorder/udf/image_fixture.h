// Test support: writes a built volume into a sparse image file (LBA n at byte
// n * 2048), fills data extents with a pattern that says which LBA it came from,
// and runs external readers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "recorder/udf/volume_builder.h"

namespace discrec::recorder::udf::testing {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The bytes data sector `lba` holds in test images: its LBA repeated, so any
// misplaced read shows.
void fill_pattern(uint32_t lba, uint8_t* sector);

// Creates `path` of `sectors` sectors (sparse) and writes `writes` into it.
void write_image(const std::filesystem::path& path, uint64_t sectors, const std::vector<SectorWrite>& writes);

// Writes the pattern into every recorded extent of `file` (lost extents stay
// zero, as on a disc where the write failed).
void fill_file(const std::filesystem::path& image, const FileSpec& file);

// Writes `content` into the file's extents in order (for real TS streams).
void write_content(const std::filesystem::path& image, const FileSpec& file, const std::vector<uint8_t>& content);

// What a reader should return for `file`: pattern in recorded extents, zeros in
// lost ones, cut to the file size.
std::vector<uint8_t> expected_bytes(const FileSpec& file, uint64_t offset, uint64_t length);

// Runs a shell command; returns its exit status and stdout (stderr goes to stdout).
struct CommandOutput {
  int status = -1;
  std::string output;
};
CommandOutput run(const std::string& command);

std::vector<uint8_t> read_whole_file(const std::filesystem::path& path);

}  // namespace discrec::recorder::udf::testing
