// Internal to recorder/udf: the descriptor writers the volume builder (a fresh
// volume) and the volume updater (a new volume beside a live one) share.
//
// Thread-safety: pure functions on caller-owned buffers.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "recorder/udf/volume_builder.h"

namespace discrec::recorder::udf::detail {

inline constexpr uint64_t kRootUniqueId = 0;
inline constexpr uint64_t kRecDirUniqueId = 16;  // UDF reserves unique ids 1..15
inline constexpr size_t kEfeHeader = 216;
inline constexpr size_t kAedHeader = 24;
inline constexpr size_t kAdsInEntry = (kSectorSize - kEfeHeader) / 8;        // 229
inline constexpr size_t kAdsInExtentBlock = (kSectorSize - kAedHeader) / 8;  // 253
// ECMA-167 4/14.9.5 permissions: read (and search, for directories) for everyone.
inline constexpr uint32_t kFilePermissions = 0x4 | (0x4 << 5) | (0x4 << 10);
inline constexpr uint32_t kDirPermissions = 0x5 | (0x5 << 5) | (0x5 << 10);

struct ShortAd {
  uint32_t length = 0;  // bytes; type in the top two bits on disc
  ExtentType type = ExtentType::kRecorded;
  uint32_t block = 0;  // partition-relative
};

struct Entry {
  uint8_t file_type = 5;  // 4 directory, 5 regular file
  uint16_t link_count = 1;
  uint32_t permissions = kFilePermissions;
  uint64_t size = 0;
  uint64_t blocks_recorded = 0;
  TimePoint created, modified;
  uint64_t unique_id = 0;
  uint32_t uid = 0xFFFFFFFF, gid = 0xFFFFFFFF;  // -1: not specified
};

// One file entry on disc: a whole file, or one part of it.
struct DiscEntry {
  std::string name;
  std::vector<uint8_t> cs0;  // the name as the file identifier holds it
  uint64_t size = 0;
  uint64_t blocks_recorded = 0;
  TimePoint created, modified;
  std::vector<ShortAd> ads;
};

// The 2048 bytes of partition block `block`, wherever the caller keeps them.
using BlockSpan = std::function<std::span<uint8_t>(uint32_t block)>;

// Allocation extent blocks needed to chain `ads` short allocation descriptors.
uint32_t extent_blocks_for(size_t ads);

// A file's sector runs as allocation descriptors of at most kMaxExtentBytes,
// the last trimmed to the file size; zero-filled lost runs point at `zero_block`.
std::vector<ShortAd> file_ads(const FileSpec& f, LostExtentEncoding lost, uint32_t partition_start,
                              uint32_t zero_block);

// Appends one file identifier descriptor to a directory's data, which starts at
// partition block `dir_block`.
void append_fid(std::vector<uint8_t>& dir, uint32_t dir_block, uint8_t characteristics,
                std::span<const uint8_t> name, uint32_t icb_block, uint64_t unique_id);
size_t fid_size(size_t name_bytes);

// An extended file entry at `block` with its short allocation descriptors,
// chaining the overflow through the allocation extent blocks that follow it.
void put_entry(const BlockSpan& sector, uint32_t block, const Entry& e, const std::vector<ShortAd>& ads);

// An anchor volume descriptor pointer at `lba` naming both sequences (16 sectors each).
void put_anchor(std::span<uint8_t> sector, uint32_t lba, uint32_t main_vds, uint32_t reserve_vds);

// The files as entries (whole, or parts as `spec.long_files` says), in order;
// kInvalidArgument for a name that does not encode or is not unique.
Result<std::vector<DiscEntry>> disc_entries(const std::vector<FileSpec>& files, const VolumeSpec& spec,
                                            uint32_t partition_start, uint32_t zero_block);

}  // namespace discrec::recorder::udf::detail
