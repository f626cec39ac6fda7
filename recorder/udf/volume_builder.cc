#include "recorder/udf/volume_builder.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "recorder/udf/descriptor_writer.h"

namespace discrec::recorder::udf {

namespace detail {

constexpr uint32_t kZeroBlocks = partition_block::kZeroCount;


// Allocation extent blocks needed to chain `ads` short allocation descriptors.
uint32_t extent_blocks_for(size_t ads) {
  if (ads <= kAdsInEntry) return 0;
  size_t rest = ads - (kAdsInEntry - 1);
  uint32_t blocks = 1;
  while (rest > kAdsInExtentBlock) {
    rest -= kAdsInExtentBlock - 1;
    ++blocks;
  }
  return blocks;
}


void put_short_ad(std::span<uint8_t> b, size_t off, const ShortAd& ad) {
  put32(b, off, (static_cast<uint32_t>(ad.type) << 30) | ad.length);
  put32(b, off + 4, ad.block);
}

void put_long_ad(std::span<uint8_t> b, size_t off, uint32_t length, uint32_t block, uint32_t unique_id) {
  put32(b, off, length);
  put32(b, off + 4, block);
  put16(b, off + 8, 0);          // partition reference 0
  put32(b, off + 12, unique_id);  // UDF 2.3.4.3 ADImpUse: flags (0), UDF unique id
}

// Splits a file's sector runs into extents of at most kMaxExtentBytes and trims
// the last to the file size.
std::vector<ShortAd> file_ads(const FileSpec& f, LostExtentEncoding lost, uint32_t partition_start,
                              uint32_t zero_block) {
  std::vector<ShortAd> ads;
  uint64_t left = f.size;
  for (const FileExtent& e : f.extents) {
    if (!e.recorded && lost == LostExtentEncoding::kZeroFilled) {
      for (uint64_t sectors = e.sectors; sectors > 0;) {
        const uint64_t chunk = std::min<uint64_t>(sectors, kZeroBlocks);
        const uint64_t bytes = std::min<uint64_t>(chunk * kSectorSize, left);
        ads.push_back({static_cast<uint32_t>(bytes), ExtentType::kRecorded, zero_block});
        left -= bytes;
        sectors -= chunk;
      }
      continue;
    }
    uint64_t sectors = e.sectors;
    uint32_t lba = e.lba;
    while (sectors > 0) {
      const uint64_t chunk = std::min<uint64_t>(sectors, kMaxExtentBytes / kSectorSize);
      const uint64_t bytes = std::min<uint64_t>(chunk * kSectorSize, left);
      ads.push_back({static_cast<uint32_t>(bytes),
                     e.recorded ? ExtentType::kRecorded : ExtentType::kAllocatedNotRecorded,
                     lba - partition_start});
      left -= bytes;
      sectors -= chunk;
      lba += static_cast<uint32_t>(chunk);
    }
  }
  return ads;
}

size_t fid_size(size_t name_bytes) { return (38 + name_bytes + 3) & ~size_t{3}; }

// Appends one file identifier descriptor to a directory's data, which starts at
// partition block `dir_block`.
void append_fid(std::vector<uint8_t>& dir, uint32_t dir_block, uint8_t characteristics,
                std::span<const uint8_t> name, uint32_t icb_block, uint64_t unique_id) {
  const size_t start = dir.size();
  dir.resize(start + fid_size(name.size()), 0);
  std::span<uint8_t> d(dir.data() + start, dir.size() - start);
  put16(d, 16, 1);  // file version number
  d[18] = characteristics;
  d[19] = static_cast<uint8_t>(name.size());
  put_long_ad(d, 20, kSectorSize, icb_block, static_cast<uint32_t>(unique_id));
  put16(d, 36, 0);  // no implementation use
  std::copy(name.begin(), name.end(), d.begin() + 38);
  finish_tag(d, TagId::kFileIdentifier, dir_block + static_cast<uint32_t>(start / kSectorSize));
}


// Writes an extended file entry at partition block `block` with its short
// allocation descriptors, chaining the overflow through the allocation extent
// blocks that follow it.
void put_entry(const BlockSpan& sector, uint32_t block, const Entry& e, const std::vector<ShortAd>& ads) {
  const bool chained = ads.size() > kAdsInEntry;
  const size_t inline_ads = chained ? kAdsInEntry - 1 : ads.size();
  const size_t l_ad = (inline_ads + (chained ? 1 : 0)) * 8;
  std::span<uint8_t> d = sector(block).first(kEfeHeader + l_ad);
  put32(d, 16, 0);   // ICB tag: prior entries
  put16(d, 20, 4);   // strategy 4
  put16(d, 24, 1);   // one entry
  d[27] = e.file_type;
  put16(d, 34, 0);   // short allocation descriptors
  put32(d, 36, e.uid);  // -1: not specified
  put32(d, 40, e.gid);
  put32(d, 44, e.permissions);
  put16(d, 48, e.link_count);
  put64(d, 56, e.size);  // information length
  put64(d, 64, e.size);  // object size (no streams)
  put64(d, 72, e.blocks_recorded);
  put_timestamp(d, 80, e.modified);   // access
  put_timestamp(d, 92, e.modified);   // modification
  put_timestamp(d, 104, e.created);   // creation
  put_timestamp(d, 116, e.modified);  // attribute
  put32(d, 128, 1);                   // checkpoint
  put_regid(d, 168, kImplementationId, RegidSuffix::kImplementation);
  put64(d, 200, e.unique_id);
  put32(d, 208, 0);  // no extended attributes
  put32(d, 212, static_cast<uint32_t>(l_ad));
  for (size_t i = 0; i < inline_ads; ++i) put_short_ad(d, kEfeHeader + 8 * i, ads[i]);
  size_t next = inline_ads;
  uint32_t prev_block = block;
  uint32_t aed_block = block + 1;
  std::span<uint8_t> link = d.subspan(kEfeHeader + 8 * inline_ads);
  finish_tag(d, TagId::kExtendedFileEntry, block);
  while (next < ads.size()) {
    // The entry (or previous extent block) is re-tagged after its link is set.
    put_short_ad(link, 0, {kSectorSize, ExtentType::kNextAllocationExtent, aed_block});
    finish_tag(prev_block == block ? d : sector(prev_block).first(kAedHeader + get32(sector(prev_block), 20)),
               prev_block == block ? TagId::kExtendedFileEntry : TagId::kAllocationExtent, prev_block);
    const size_t left = ads.size() - next;
    const bool more = left > kAdsInExtentBlock;
    const size_t here = more ? kAdsInExtentBlock - 1 : left;
    const size_t aed_l_ad = (here + (more ? 1 : 0)) * 8;
    std::span<uint8_t> a = sector(aed_block).first(kAedHeader + aed_l_ad);
    put32(a, 16, prev_block);
    put32(a, 20, static_cast<uint32_t>(aed_l_ad));
    for (size_t i = 0; i < here; ++i) put_short_ad(a, kAedHeader + 8 * i, ads[next + i]);
    next += here;
    finish_tag(a, TagId::kAllocationExtent, aed_block);
    link = a.subspan(kAedHeader + 8 * here);
    prev_block = aed_block++;
  }
}

void put_anchor(std::span<uint8_t> sector, uint32_t lba, uint32_t main_vds, uint32_t reserve_vds) {
  std::span<uint8_t> d = sector.first(512);
  put32(d, 16, kVdsSectors * kSectorSize);
  put32(d, 20, main_vds);
  put32(d, 24, kVdsSectors * kSectorSize);
  put32(d, 28, reserve_vds);
  finish_tag(d, TagId::kAnchorVolumePointer, lba);
}

}  // namespace detail

namespace {

using namespace detail;

uint32_t div_up(uint64_t a, uint64_t b) { return static_cast<uint32_t>((a + b - 1) / b); }

Status validate(const VolumeLayout& layout, const VolumeSpec& spec) {
  if (spec.files.size() > layout.max_files) {
    return Error(ErrorCode::kResourceExhausted, std::to_string(spec.files.size()) +
                                                    " files exceed the layout's " + std::to_string(layout.max_files));
  }
  if (!encode_cs0(spec.label).ok()) {
    return Error(ErrorCode::kInvalidArgument, "volume label is not valid UTF-8 of the BMP");
  }
  if (!spec.volume_set.empty() && !encode_cs0(spec.volume_set).ok()) {
    return Error(ErrorCode::kInvalidArgument, "volume set identifier is not valid UTF-8 of the BMP");
  }
  // A later session's volume: its metadata area starts at its session, and its
  // partition reaches back to the first session's.
  if (layout.session_start != 0 && layout.kind != MediaKind::kSequentialWriteOnce) {
    return Error(ErrorCode::kInvalidArgument, "sessions are for sequential write-once media");
  }
  if (layout.partition_start > uint64_t{layout.session_start} + kPartitionStart ||
      uint64_t{layout.session_start} + kPartitionStart >= layout.data_start) {
    return Error(ErrorCode::kInvalidArgument, "partition start " + std::to_string(layout.partition_start) +
                                                  " or data start " + std::to_string(layout.data_start) +
                                                  " does not fit the session at " +
                                                  std::to_string(layout.session_start));
  }
  for (const FileSpec& f : spec.files) {
    const auto bad = [&](const std::string& why) {
      return Error(ErrorCode::kInvalidArgument, "file \"" + f.name + "\": " + why);
    };
    if (f.name.empty() || f.name == "." || f.name == "..") return bad("not a file name");
    if (f.name.find('/') != std::string::npos || f.name.find('\0') != std::string::npos) {
      return bad("'/' or NUL in name");
    }
    uint64_t sectors = 0;
    for (const FileExtent& e : f.extents) {
      if (e.sectors == 0) return bad("empty extent");
      // Zero-filled lost extents never point at their own sectors (appending to a
      // zero-filled volume gives them the zero run's LBA).
      const bool placed = e.recorded || spec.lost_extents == LostExtentEncoding::kAllocatedNotRecorded;
      // This session's data area, or (a later session) the earlier sessions'.
      const uint64_t end = uint64_t{e.lba} + e.sectors;
      const bool here = e.lba >= layout.data_start && end <= layout.data_limit;
      const bool earlier = e.lba >= layout.partition_start && end <= layout.session_start;
      if (placed && !here && !earlier) {
        return bad("extent at " + std::to_string(e.lba) + "+" + std::to_string(e.sectors) +
                   " outside the data area");
      }
      sectors += e.sectors;
    }
    if (sectors != (f.size + kSectorSize - 1) / kSectorSize) {
      return bad("extents hold " + std::to_string(sectors) + " sectors for " + std::to_string(f.size) + " bytes");
    }
  }
  return ok_status();
}

}  // namespace

namespace detail {

// "<stem>.part007.ts": at least three digits, more when there are more parts,
// so the parts of one recording sort in order.
std::string part_name(std::string_view name, size_t index, size_t count) {
  const std::string number = std::to_string(index);
  const size_t width = std::max<size_t>(3, std::to_string(count).size());
  const size_t stem = name.ends_with(".ts") ? name.size() - 3 : name.size();
  return std::string(name.substr(0, stem)) + ".part" + std::string(width - std::min(width, number.size()), '0') +
         number + std::string(name.substr(stem));
}

// How many entries a file's descriptors take: parts of at most one entry's
// worth each, or one entry chaining the rest.
size_t part_count(size_t ads, LongFileForm form) {
  return ads <= kAdsInEntry || form == LongFileForm::kChained ? 1 : (ads + kAdsInEntry - 1) / kAdsInEntry;
}


// The volume's files as entries, in directory order; kInvalidArgument for a
// name (or part name) that does not encode or is not unique.
Result<std::vector<DiscEntry>> disc_entries(const std::vector<FileSpec>& files, const VolumeSpec& spec,
                                            uint32_t partition_start, uint32_t zero_block) {
  std::vector<DiscEntry> entries;
  std::set<std::string> seen;
  for (const FileSpec& f : files) {
    std::vector<ShortAd> ads = file_ads(f, spec.lost_extents, partition_start, zero_block);
    const size_t parts = part_count(ads.size(), spec.long_files);
    for (size_t p = 0; p < parts; ++p) {
      DiscEntry e;
      e.name = parts == 1 ? f.name : part_name(f.name, p + 1, parts);
      const auto bad = [&](const std::string& why) {
        return Error(ErrorCode::kInvalidArgument, "file \"" + e.name + "\": " + why);
      };
      ASSIGN_OR_RETURN(e.cs0, encode_cs0(e.name));
      if (e.cs0.size() > 255) return bad("name longer than 254 bytes once encoded");
      if (!seen.insert(e.name).second) return bad("duplicate name");
      const size_t first = p * kAdsInEntry;
      const size_t last = parts == 1 ? ads.size() : std::min(ads.size(), first + kAdsInEntry);
      e.ads.assign(ads.begin() + first, ads.begin() + last);
      for (const ShortAd& ad : e.ads) {
        e.size += ad.length;
        // Zero-filled lost ranges point at the shared zero blocks: not this file's.
        if (ad.type == ExtentType::kRecorded && ad.block != zero_block)
          e.blocks_recorded += (ad.length + kSectorSize - 1) / kSectorSize;
      }
      e.created = f.created;
      e.modified = f.modified;
      entries.push_back(std::move(e));
    }
  }
  return entries;
}

}  // namespace detail

using namespace detail;

Result<std::vector<SectorWrite>> build_volume(const VolumeLayout& layout, const VolumeSpec& spec) {
  RETURN_IF_ERROR(validate(layout, spec));
  // Where this volume's fixed places are: LBAs from its session's start, and
  // partition blocks from the layout's first block after its anchor's unit
  // (session_start 0 on a single-session disc).
  const uint32_t base = layout.session_start;
  const uint32_t pstart = layout.partition_start;
  const uint32_t mb = base + kPartitionStart - pstart + layout.first_block;
  const uint32_t fsd_block = mb + partition_block::kFileSet;
  const uint32_t root_fe = mb + partition_block::kRootEntry;
  const uint32_t root_dir = mb + partition_block::kRootDirectory;
  const uint32_t rec_fe = mb + partition_block::kRecordingEntry;
  const uint32_t rec_dir_block = mb + partition_block::kRecordingDirectory;
  const uint32_t main_vds = base + kMainVdsLba;
  const uint32_t integrity_lba = base + kIntegrityLba;
  ASSIGN_OR_RETURN(std::vector<DiscEntry> entries, disc_entries(spec.files, spec, pstart, mb + partition_block::kZeros));
  const uint32_t unit = layout.write_unit_sectors;

  // Where the data ends and the closing area goes.
  uint64_t data_end = std::max(spec.data_end, layout.data_start);
  for (const FileSpec& f : spec.files) {
    for (const FileExtent& e : f.extents) data_end = std::max<uint64_t>(data_end, uint64_t{e.lba} + e.sectors);
  }
  data_end = (data_end + unit - 1) / unit * unit;
  if (data_end > layout.data_limit) {
    return Error(ErrorCode::kResourceExhausted, "data ends at " + std::to_string(data_end) +
                                                    ", past the layout's limit " + std::to_string(layout.data_limit));
  }
  // Random access: the closing anchor must be the disc's last sector (N), even when
  // the capacity is not a whole number of units (these media take single sectors).
  const uint32_t closing = layout.kind == MediaKind::kSequentialWriteOnce
                               ? static_cast<uint32_t>(data_end)
                               : layout.capacity_sectors - layout.closing_sectors;
  const uint32_t partition_length = closing - pstart;

  // /DISCREC directory data, then every file's entry and extent blocks.
  std::vector<uint8_t> rec_dir;
  append_fid(rec_dir, rec_dir_block, 0x0A, {}, root_fe, kRootUniqueId);
  for (const DiscEntry& e : entries) {
    append_fid(rec_dir, rec_dir_block, 0, e.cs0, 0, 0);  // ICB filled in below
  }
  const uint32_t rec_dir_blocks = std::max<uint32_t>(1, div_up(rec_dir.size(), kSectorSize));
  std::vector<uint32_t> entry_block;
  uint32_t next_block = rec_dir_block + rec_dir_blocks;
  for (const DiscEntry& e : entries) {
    entry_block.push_back(next_block);
    next_block += 1 + extent_blocks_for(e.ads.size());
  }
  if (pstart + uint64_t{next_block} > layout.data_start) {
    return Error(ErrorCode::kResourceExhausted, "UDF metadata needs " + std::to_string(next_block - (mb - layout.first_block)) +
                                                    " blocks, the layout reserved " +
                                                    std::to_string(layout.metadata_blocks()));
  }
  // Now that entry blocks are known, re-encode the file identifiers.
  rec_dir.clear();
  append_fid(rec_dir, rec_dir_block, 0x0A, {}, root_fe, kRootUniqueId);
  for (size_t i = 0; i < entries.size(); ++i) {
    append_fid(rec_dir, rec_dir_block, 0, entries[i].cs0, entry_block[i], kRecDirUniqueId + 1 + i);
  }

  std::vector<uint8_t> area(size_t{layout.data_start - base} * kSectorSize, 0);
  const auto sector = [&](uint32_t lba) {
    return std::span<uint8_t>(area.data() + size_t{lba - base} * kSectorSize, kSectorSize);
  };
  const BlockSpan block = [&](uint32_t b) { return sector(pstart + b); };
  const std::string label = spec.label;

  // Volume recognition sequence (ECMA-167 2/9.1, 3/9.1).
  const char* vsd[] = {"BEA01", "NSR03", "TEA01"};
  for (int i = 0; i < 3; ++i) {
    std::span<uint8_t> s = sector(base + kVrsLba + i);
    s[0] = 0;
    std::memcpy(s.data() + 1, vsd[i], 5);
    s[6] = 1;
  }

  // Main and reserve volume descriptor sequences: identical copies. The reserve
  // one lives in the closing area, far from the main one, which also lets readers
  // that size a volume by its descriptors (7-Zip) find the closing anchor.
  std::vector<uint8_t> tail(size_t{layout.closing_sectors} * kSectorSize, 0);
  for (uint32_t vds : {main_vds, closing}) {
    const auto sector = [&](uint32_t lba) {
      std::vector<uint8_t>& buf = vds == main_vds ? area : tail;
      const uint32_t first = vds == main_vds ? base : closing;
      return std::span<uint8_t>(buf.data() + size_t{lba - first} * kSectorSize, kSectorSize);
    };
    {  // Primary volume descriptor (3/10.1)
      std::span<uint8_t> d = sector(vds).first(512);
      put32(d, 16, 1);
      put32(d, 20, 0);
      put_dstring(d, 24, 32, label);
      put16(d, 56, 1);
      put16(d, 58, 1);
      put16(d, 60, 2);
      put16(d, 62, 3);
      put32(d, 64, 1);
      put32(d, 68, 1);
      // UDF 2.2.2.5: the volume set identifier starts with 16 unique hex digits.
      if (spec.volume_set.empty()) {
        char unique[17];
        const auto secs = std::chrono::duration_cast<std::chrono::seconds>(spec.created.time_since_epoch()).count();
        std::snprintf(unique, sizeof unique, "%016llX", static_cast<unsigned long long>(secs));
        put_dstring(d, 72, 128, std::string(unique) + " " + label);
      } else {
        put_dstring(d, 72, 128, spec.volume_set);
      }
      put_osta_charspec(d, 200);
      put_osta_charspec(d, 264);
      put_regid(d, 344, kImplementationId, RegidSuffix::kImplementation);
      put_timestamp(d, 376, spec.created);
      put_regid(d, 388, kImplementationId, RegidSuffix::kImplementation);
      finish_tag(d, TagId::kPrimaryVolume, vds);
    }
    {  // Implementation use volume descriptor with UDF LV Info (UDF 2.2.7)
      std::span<uint8_t> d = sector(vds + 1).first(512);
      put32(d, 16, 2);
      put_regid(d, 20, "*UDF LV Info", RegidSuffix::kUdf);
      put_osta_charspec(d, 52);
      put_dstring(d, 116, 128, label);
      put_regid(d, 352, kImplementationId, RegidSuffix::kImplementation);
      finish_tag(d, TagId::kImplementationUseVolume, vds + 1);
    }
    {  // Partition descriptor (3/10.5): read-only, no space tables needed
      std::span<uint8_t> d = sector(vds + 2).first(512);
      put32(d, 16, 3);
      put16(d, 20, 1);  // allocated
      put16(d, 22, 0);  // partition number
      put_regid(d, 24, "+NSR03", RegidSuffix::kNone);
      put32(d, 184, 1);  // access type: read-only
      put32(d, 188, pstart);
      put32(d, 192, partition_length);
      put_regid(d, 196, kImplementationId, RegidSuffix::kImplementation);
      finish_tag(d, TagId::kPartition, vds + 2);
    }
    {  // Logical volume descriptor (3/10.6) with one type-1 partition map
      std::span<uint8_t> d = sector(vds + 3).first(446);
      put32(d, 16, 4);
      put_osta_charspec(d, 20);
      put_dstring(d, 84, 128, label);
      put32(d, 212, kSectorSize);
      put_regid(d, 216, "*OSTA UDF Compliant", RegidSuffix::kDomain);
      put_long_ad(d, 248, 2 * kSectorSize, fsd_block, 0);  // file set descriptor + terminator
      put32(d, 264, 6);
      put32(d, 268, 1);
      put_regid(d, 272, kImplementationId, RegidSuffix::kImplementation);
      put32(d, 432, 2 * kSectorSize);  // integrity sequence
      put32(d, 436, integrity_lba);
      d[440] = 1;
      d[441] = 6;
      put16(d, 442, 1);  // volume sequence number
      put16(d, 444, 0);  // partition number
      finish_tag(d, TagId::kLogicalVolume, vds + 3);
    }
    {  // Unallocated space descriptor (3/10.8): none outside the partition
      std::span<uint8_t> d = sector(vds + 4).first(24);
      put32(d, 16, 5);
      put32(d, 20, 0);
      finish_tag(d, TagId::kUnallocatedSpace, vds + 4);
    }
    finish_tag(sector(vds + 5).first(512), TagId::kTerminating, vds + 5);
  }

  uint64_t data_sectors = 0;
  for (const FileSpec& f : spec.files) {
    for (const FileExtent& e : f.extents) data_sectors += e.sectors;
  }
  {  // Logical volume integrity descriptor (3/10.10), closed
    std::span<uint8_t> d = sector(integrity_lba).first(80 + 8 + 46);
    put_timestamp(d, 16, spec.finalized);
    put32(d, 28, 1);  // close integrity
    put64(d, 40, kRecDirUniqueId + 1 + entries.size());  // next unique id
    put32(d, 72, 1);
    put32(d, 76, 46);
    const uint64_t used = uint64_t{layout.data_start - pstart} + data_sectors;
    const uint32_t free_blocks = layout.kind == MediaKind::kSequentialWriteOnce || used >= partition_length
                                     ? 0 : static_cast<uint32_t>(partition_length - used);
    put32(d, 80, free_blocks);
    put32(d, 84, partition_length);
    put_regid(d, 88, kImplementationId, RegidSuffix::kImplementation);
    put32(d, 120, static_cast<uint32_t>(entries.size()));
    put32(d, 124, 2);
    put16(d, 128, kUdfRevision);
    put16(d, 130, kUdfRevision);
    put16(d, 132, kUdfRevision);
    finish_tag(d, TagId::kLogicalVolumeIntegrity, integrity_lba);
    finish_tag(sector(integrity_lba + 1).first(512), TagId::kTerminating, integrity_lba + 1);
  }

  put_anchor(sector(base + kAnchorLba), base + kAnchorLba, main_vds, closing);

  {  // File set descriptor (4/14.1) and its terminator
    std::span<uint8_t> d = block(fsd_block).first(512);
    put_timestamp(d, 16, spec.finalized);
    put16(d, 28, 3);
    put16(d, 30, 3);
    put32(d, 32, 1);
    put32(d, 36, 1);
    put_osta_charspec(d, 48);
    put_dstring(d, 112, 128, label);
    put_osta_charspec(d, 240);
    put_dstring(d, 304, 32, label);
    put_long_ad(d, 400, kSectorSize, root_fe, 0);
    put_regid(d, 416, "*OSTA UDF Compliant", RegidSuffix::kDomain);
    finish_tag(d, TagId::kFileSet, fsd_block);
    finish_tag(block(fsd_block + 1).first(512), TagId::kTerminating, fsd_block + 1);
  }

  {  // Root directory: parent (itself) and DISCREC
    std::vector<uint8_t> root;
    append_fid(root, root_dir, 0x0A, {}, root_fe, kRootUniqueId);
    ASSIGN_OR_RETURN(std::vector<uint8_t> dir_name, encode_cs0(kRecordingDirectory));
    append_fid(root, root_dir, 0x02, dir_name, rec_fe, kRecDirUniqueId);
    std::copy(root.begin(), root.end(), block(root_dir).begin());
    Entry e{4, 2, kDirPermissions, root.size(), 1, spec.created, spec.finalized, kRootUniqueId};
    put_entry(block, root_fe, e, {{static_cast<uint32_t>(root.size()), ExtentType::kRecorded, root_dir}});
  }
  {  // /DISCREC
    std::copy(rec_dir.begin(), rec_dir.end(), block(rec_dir_block).begin());
    Entry e{4, 1, kDirPermissions, rec_dir.size(), rec_dir_blocks, spec.created, spec.finalized, kRecDirUniqueId};
    put_entry(block, rec_fe, e, {{static_cast<uint32_t>(rec_dir.size()), ExtentType::kRecorded, rec_dir_block}});
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    const DiscEntry& f = entries[i];
    Entry e{5, 1, kFilePermissions, f.size, f.blocks_recorded, f.created, f.modified, kRecDirUniqueId + 1 + i};
    put_entry(block, entry_block[i], e, f.ads);
  }

  std::vector<SectorWrite> writes;
  const uint32_t last = layout.closing_sectors - 1;
  put_anchor(std::span<uint8_t>(tail).subspan(size_t{last} * kSectorSize, kSectorSize), closing + last, main_vds,
             closing);
  writes.push_back({base, std::move(area)});
  writes.push_back({closing, std::move(tail)});
  return writes;
}

std::vector<std::string> file_part_names(const FileSpec& file, const VolumeSpec& spec) {
  // Only the count of descriptors matters here, not where the zero run is.
  const size_t parts =
      part_count(file_ads(file, spec.lost_extents, kPartitionStart, partition_block::kZeros).size(), spec.long_files);
  if (parts == 1) return {file.name};
  std::vector<std::string> names;
  for (size_t p = 1; p <= parts; ++p) names.push_back(part_name(file.name, p, parts));
  return names;
}

}  // namespace discrec::recorder::udf
