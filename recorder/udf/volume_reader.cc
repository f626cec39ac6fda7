#include "recorder/udf/volume_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <utility>

#include "base/file_io.h"

namespace discrec::recorder::udf {

namespace {

Error malformed(const std::string& what) { return Error(ErrorCode::kMalformedResponse, "UDF: " + what); }

// A regid's identifier (ECMA-167 1/7.4): up to 23 bytes, NUL-padded.
std::string regid_identifier(std::span<const uint8_t> b, size_t off) {
  std::string id(reinterpret_cast<const char*>(b.data() + off + 1), 23);
  return id.substr(0, id.find('\0'));
}

// The logical volume as far as the reader needs it.
struct Volume {
  SectorSource* source = nullptr;
  uint32_t partition_start = 0;
  uint32_t partition_length = 0;
  ReadLimits limits;
  std::set<uint32_t> visited;  // entry blocks, to break directory cycles
  ParsedVolume* out = nullptr;

  // Notes a metadata block the volume occupies.
  void occupies(uint32_t block) {
    auto& runs = out->metadata;
    const uint32_t lba = partition_start + block;
    if (!runs.empty() && runs.back().end() == lba) ++runs.back().sectors;
    else runs.push_back({lba, 1});
  }

  Result<std::vector<uint8_t>> read_block(uint32_t block) {
    if (block >= partition_length) {
      return malformed("block " + std::to_string(block) + " outside the partition of " +
                       std::to_string(partition_length));
    }
    std::vector<uint8_t> b(kSectorSize);
    RETURN_IF_ERROR(source->read(partition_start + block, b));
    return b;
  }
};

struct Extent {  // partition-relative while parsing
  uint32_t length = 0;
  ExtentType type = ExtentType::kRecorded;
  uint32_t block = 0;
};

struct Entry {
  uint32_t block = 0;
  uint8_t file_type = 0;
  uint64_t size = 0;
  uint64_t unique_id = 0;
  TimePoint created{}, modified{};
  uint32_t uid = 0xFFFFFFFF, gid = 0xFFFFFFFF, permissions = 0;
  std::string implementation;
  bool embedded = false;
  std::vector<uint8_t> embedded_data;
  std::vector<Extent> extents;
};

// Parses allocation descriptors of `ad_type` (0 short, 1 long) from `ads`,
// following chains into allocation extent blocks.
Status parse_ads(Volume& vol, std::span<const uint8_t> ads, int ad_type, std::vector<Extent>& out) {
  const size_t ad_size = ad_type == 0 ? 8 : 16;
  uint32_t hops = 0;
  std::set<uint32_t> chain_seen;
  std::vector<uint8_t> holder;
  while (true) {
    bool chained = false;
    uint32_t chain_block = 0;
    for (size_t off = 0; off + ad_size <= ads.size(); off += ad_size) {
      const uint32_t raw = get32(ads, off);
      const uint32_t length = raw & 0x3FFFFFFF;
      const auto type = static_cast<ExtentType>(raw >> 30);
      const uint32_t block = get32(ads, off + 4);
      if (ad_type == 1 && get16(ads, off + 8) != 0) {
        return malformed("allocation descriptor names partition " + std::to_string(get16(ads, off + 8)));
      }
      if (length == 0) break;  // ECMA-167 4/12: a zero length ends the list
      if (type == ExtentType::kNextAllocationExtent) {
        chained = true;
        chain_block = block;
        break;
      }
      if (type != ExtentType::kNotAllocated) {
        const uint64_t blocks = (uint64_t{length} + kSectorSize - 1) / kSectorSize;
        if (uint64_t{block} + blocks > vol.partition_length) {
          return malformed("extent at block " + std::to_string(block) + " runs past the partition");
        }
      }
      if (out.size() >= vol.limits.max_extents_per_file) return malformed("too many extents in one file");
      out.push_back({length, type, block});
    }
    if (!chained) return ok_status();
    if (!chain_seen.insert(chain_block).second) return malformed("allocation extent chain loops");
    if (++hops > vol.limits.max_extents_per_file / 8 + 1) return malformed("allocation extent chain too long");
    ASSIGN_OR_RETURN(holder, vol.read_block(chain_block));
    RETURN_IF_ERROR(check_tag(holder, TagId::kAllocationExtent, chain_block));
    vol.occupies(chain_block);
    const uint32_t l_ad = get32(holder, 20);
    if (l_ad > kSectorSize - 24) return malformed("allocation extent descriptor length too large");
    ads = std::span<const uint8_t>(holder).subspan(24, l_ad);
  }
}

Result<Entry> read_entry(Volume& vol, uint32_t block) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> b, vol.read_block(block));
  const uint16_t id = get16(b, 0);
  const bool extended = id == static_cast<uint16_t>(TagId::kExtendedFileEntry);
  if (!extended && id != static_cast<uint16_t>(TagId::kFileEntry)) {
    return malformed("block " + std::to_string(block) + " is not a file entry (tag " + std::to_string(id) + ")");
  }
  RETURN_IF_ERROR(check_tag(b, extended ? TagId::kExtendedFileEntry : TagId::kFileEntry, block));
  vol.occupies(block);
  Entry e;
  e.block = block;
  e.uid = get32(b, 36);
  e.gid = get32(b, 40);
  e.permissions = get32(b, 44);
  e.implementation = regid_identifier(b, extended ? 168 : 128);
  if (get16(b, 20) != 4) {
    return Error(ErrorCode::kUnsupported, "UDF: ICB strategy " + std::to_string(get16(b, 20)) + " at block " +
                                              std::to_string(block));
  }
  e.file_type = b[27];
  const int ad_type = get16(b, 34) & 7;
  e.size = get64(b, 56);
  const size_t header = extended ? 216 : 176;
  const uint64_t l_ea = get32(b, extended ? 208 : 168);
  const uint64_t l_ad = get32(b, extended ? 212 : 172);
  if (header + l_ea + l_ad > kSectorSize) return malformed("file entry at block " + std::to_string(block) + " overflows its block");
  e.unique_id = get64(b, extended ? 200 : 160);
  e.modified = get_timestamp(b, extended ? 92 : 84).value_or(TimePoint{});
  e.created = extended ? get_timestamp(b, 104).value_or(e.modified) : e.modified;
  std::span<const uint8_t> ads = std::span<const uint8_t>(b).subspan(header + l_ea, l_ad);
  switch (ad_type) {
    case 0:
    case 1:
      RETURN_IF_ERROR(parse_ads(vol, ads, ad_type, e.extents));
      break;
    case 3:
      if (e.size > l_ad) return malformed("embedded file data shorter than its size");
      e.embedded = true;
      e.embedded_data.assign(ads.begin(), ads.begin() + static_cast<size_t>(e.size));
      break;
    default:
      return Error(ErrorCode::kUnsupported, "UDF: allocation descriptor type " + std::to_string(ad_type));
  }
  uint64_t total = 0;
  for (const Extent& x : e.extents) total += x.length;
  if (!e.embedded && total < e.size) return malformed("file extents hold less than its size at block " + std::to_string(block));
  return e;
}

Status walk_directory(Volume& vol, const Entry& dir, const std::string& path, int index, uint32_t depth) {
  if (depth > vol.limits.max_depth) return malformed("directories nested too deep at " + path);
  if (dir.size > vol.limits.max_directory_bytes) return malformed("directory " + path + " too large");
  // Directory bytes, with the block each byte came from (for the FID tag locations).
  std::vector<uint8_t> data;
  std::vector<std::pair<size_t, uint32_t>> block_at;  // data offset -> first block there
  if (dir.embedded) {
    data = dir.embedded_data;
    block_at.push_back({0, dir.block});
  } else {
    for (const Extent& x : dir.extents) {
      if (data.size() >= dir.size) break;
      if (x.type != ExtentType::kRecorded) return malformed("directory " + path + " has an unrecorded extent");
      const size_t want = static_cast<size_t>(std::min<uint64_t>(x.length, dir.size - data.size()));
      for (size_t done = 0; done < want; done += kSectorSize) {
        const uint32_t blk = x.block + static_cast<uint32_t>(done / kSectorSize);
        ASSIGN_OR_RETURN(std::vector<uint8_t> b, vol.read_block(blk));
        vol.occupies(blk);
        block_at.push_back({data.size(), blk});
        data.insert(data.end(), b.begin(), b.begin() + std::min<size_t>(kSectorSize, want - done));
      }
    }
  }
  if (data.size() < dir.size) return malformed("directory " + path + " shorter than its size");
  const auto location_of = [&](size_t off) {
    auto it = std::upper_bound(block_at.begin(), block_at.end(), std::make_pair(off, UINT32_MAX));
    --it;  // block_at[0].first == 0
    return dir.embedded ? it->second : it->second + static_cast<uint32_t>((off - it->first) / kSectorSize);
  };
  std::span<const uint8_t> d(data);
  for (size_t off = 0; off < d.size();) {
    if (d.size() - off < 38) return malformed("truncated file identifier in " + path);
    const size_t l_fi = d[off + 19];
    const size_t l_iu = get16(d, off + 36);
    const size_t total = (38 + l_iu + l_fi + 3) & ~size_t{3};
    if (total > d.size() - off) return malformed("file identifier overruns directory " + path);
    std::span<const uint8_t> fid = d.subspan(off, total);
    RETURN_IF_ERROR(check_tag(fid, TagId::kFileIdentifier, location_of(off)));
    off += total;
    const uint8_t characteristics = fid[18];
    if (characteristics & 0x0C) continue;  // deleted or parent
    if (get16(fid, 28) != 0) return malformed("file identifier names another partition in " + path);
    ASSIGN_OR_RETURN(std::string name, decode_cs0(fid.subspan(38 + l_iu, l_fi)));
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos) {
      return malformed("bad file name in " + path);
    }
    const uint32_t icb = get32(fid, 24);
    if (!vol.visited.insert(icb).second) return malformed("entry at block " + std::to_string(icb) + " linked twice");
    if (vol.out->files.size() >= vol.limits.max_entries) return malformed("too many files");
    ASSIGN_OR_RETURN(Entry child, read_entry(vol, icb));
    ParsedFile file;
    file.path = path + "/" + name;
    file.directory = (characteristics & 0x02) != 0;
    if (file.directory != (child.file_type == 4)) return malformed(file.path + ": directory flag and file type disagree");
    file.size = child.size;
    file.created = child.created;
    file.modified = child.modified;
    file.unique_id = child.unique_id;
    file.parent = index;
    file.icb_block = icb;
    file.characteristics = characteristics;
    file.identifier.assign(fid.begin() + 38 + l_iu, fid.begin() + 38 + l_iu + l_fi);
    file.uid = child.uid;
    file.gid = child.gid;
    file.permissions = child.permissions;
    file.implementation = child.implementation;
    for (const Extent& x : child.extents) {
      file.extents.push_back({vol.partition_start + x.block, x.length, x.type});
    }
    vol.out->files.push_back(std::move(file));
    const int child_index = static_cast<int>(vol.out->files.size()) - 1;
    if (child.file_type == 4) RETURN_IF_ERROR(walk_directory(vol, child, path + "/" + name, child_index, depth + 1));
  }
  return ok_status();
}

struct Descriptors {
  bool have_partition = false, have_volume = false;
  uint16_t partition_number = 0;
  uint32_t partition_start = 0, partition_length = 0;
  uint16_t map_partition_number = 0;
  uint32_t fsd_block = 0;
  uint32_t integrity_lba = 0, integrity_length = 0;
  uint32_t access_type = 0;
  bool space_bitmap = false;
  uint16_t udf_revision = 0;
  std::string implementation;
  std::string label;
  std::string volume_id, volume_set;
  TimePoint volume_created{};
};

Result<Descriptors> read_vds(SectorSource& src, uint32_t lba, uint32_t length) {
  Descriptors out;
  const uint32_t sectors = std::min<uint32_t>(length / kSectorSize, 64);
  std::vector<uint8_t> b(kSectorSize);
  for (uint32_t i = 0; i < sectors; ++i) {
    if (uint64_t{lba} + i >= src.sector_count()) break;
    RETURN_IF_ERROR(src.read(lba + i, b));
    const uint16_t id = get16(b, 0);
    if (id < 1 || id > 8) break;
    RETURN_IF_ERROR(check_tag(b, static_cast<TagId>(id), lba + i));
    if (id == static_cast<uint16_t>(TagId::kTerminating)) break;
    if (id == static_cast<uint16_t>(TagId::kPrimaryVolume)) {
      // Informative: a later session copies them; a damaged one is not fatal.
      out.volume_id = get_dstring(b, 24, 32).value_or("");
      out.volume_set = get_dstring(b, 72, 128).value_or("");
      out.volume_created = get_timestamp(b, 376).value_or(TimePoint{});
    } else if (id == static_cast<uint16_t>(TagId::kPartition)) {
      out.have_partition = true;
      out.partition_number = get16(b, 22);
      out.partition_start = get32(b, 188);
      out.partition_length = get32(b, 192);
      out.access_type = get32(b, 184);
      // Partition header descriptor (4/14.3): unallocated space table and bitmap,
      // freed space table and bitmap; any of them set means the partition
      // tracks its own free space.
      for (size_t off : {56, 64, 80, 88})
        if (get32(b, off) != 0) out.space_bitmap = true;
    } else if (id == static_cast<uint16_t>(TagId::kLogicalVolume)) {
      if (get32(b, 212) != kSectorSize) {
        return Error(ErrorCode::kUnsupported, "UDF: logical block size " + std::to_string(get32(b, 212)));
      }
      const uint32_t table = get32(b, 264);
      const uint32_t maps = get32(b, 268);
      if (maps < 1 || table < 6 || table > kSectorSize - 440) return malformed("bad partition map table");
      // Name the first map we cannot read (VAT, sparable and metadata maps are type 2).
      for (uint32_t i = 0, off = 440; i < maps; ++i) {
        if (off + 2 > 440 + table || b[off + 1] < 2 || off + b[off + 1] > 440 + table) {
          return malformed("partition map " + std::to_string(i) + " overruns its table");
        }
        if (b[off] != 1 || b[off + 1] != 6) {
          return Error(ErrorCode::kUnsupported, "UDF: partition map type " + std::to_string(b[off]) +
                                                    " (only type 1 is read)");
        }
        off += b[off + 1];
      }
      if (maps != 1) return Error(ErrorCode::kUnsupported, "UDF: " + std::to_string(maps) + " partition maps");
      out.have_volume = true;
      out.map_partition_number = get16(b, 444);
      out.fsd_block = get32(b, 252);
      if (get16(b, 256) != 0) return malformed("file set descriptor in another partition");
      ASSIGN_OR_RETURN(out.label, get_dstring(b, 84, 128));
      out.udf_revision = get16(b, 216 + 24);  // domain identifier suffix: UDF revision
      out.implementation = regid_identifier(b, 272);
      out.integrity_length = get32(b, 432);
      out.integrity_lba = get32(b, 436);
    }
  }
  if (!out.have_partition || !out.have_volume) return malformed("volume descriptor sequence lacks a partition or logical volume");
  if (out.partition_number != out.map_partition_number) return malformed("partition map names a missing partition");
  return out;
}

}  // namespace

uint32_t MemorySectorSource::sector_count() const {
  return static_cast<uint32_t>(std::min<uint64_t>((bytes_.size() + kSectorSize - 1) / kSectorSize, UINT32_MAX));
}

Status MemorySectorSource::read(uint32_t lba, std::span<uint8_t> out) {
  const uint64_t start = uint64_t{lba} * kSectorSize;
  if (out.size() % kSectorSize != 0 || start + out.size() > uint64_t{sector_count()} * kSectorSize) {
    return Error(ErrorCode::kInvalidArgument, "read past the end of the image at " + std::to_string(lba));
  }
  std::fill(out.begin(), out.end(), 0);
  if (start < bytes_.size()) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), bytes_.size() - start));
    std::memcpy(out.data(), bytes_.data() + start, n);
  }
  return ok_status();
}

Result<ImageFileSectorSource> ImageFileSectorSource::open(const std::string& path) {
  const int fd = file_io::open_file(path, O_RDONLY);
  if (fd < 0) return Error(ErrorCode::kIo, "open " + path + ": " + std::strerror(errno));
  const int64_t size = file_io::regular_file_size(fd);
  if (size < 0) {
    const int err = errno;
    ::close(fd);
    return Error(ErrorCode::kIo, "stat " + path + ": " + std::strerror(err));
  }
  const uint64_t sectors = static_cast<uint64_t>(size) / kSectorSize;
  return ImageFileSectorSource(fd, static_cast<uint32_t>(std::min<uint64_t>(sectors, UINT32_MAX)));
}

ImageFileSectorSource::ImageFileSectorSource(ImageFileSectorSource&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), sectors_(other.sectors_) {}

ImageFileSectorSource::~ImageFileSectorSource() {
  if (fd_ >= 0) ::close(fd_);
}

Status ImageFileSectorSource::read(uint32_t lba, std::span<uint8_t> out) {
  if (out.size() % kSectorSize != 0 || uint64_t{lba} + out.size() / kSectorSize > sectors_) {
    return Error(ErrorCode::kInvalidArgument, "read past the end of the image at " + std::to_string(lba));
  }
  if (!file_io::read_all_at(fd_, out.data(), out.size(), uint64_t{lba} * kSectorSize)) {
    return Error(ErrorCode::kIo, "image read at " + std::to_string(lba) + " failed");
  }
  return ok_status();
}

Result<ParsedVolume> read_volume(SectorSource& source, const ReadLimits& limits) {
  return read_volume_at(source, 0, limits);
}

Result<ParsedVolume> read_volume_at(SectorSource& source, uint32_t session_start, const ReadLimits& limits) {
  ParsedVolume out;
  out.session_start = session_start;
  const uint32_t count = source.sector_count();
  const uint64_t first_anchor = uint64_t{session_start} + kAnchorLba;
  std::vector<uint8_t> b(kSectorSize);
  std::optional<uint32_t> anchor;
  for (uint64_t lba : {first_anchor, uint64_t{count} - 1, uint64_t{count} - 257}) {
    if (lba >= count || lba < first_anchor) continue;
    if (!source.read(static_cast<uint32_t>(lba), b).ok()) continue;
    if (check_tag(b, TagId::kAnchorVolumePointer, static_cast<uint32_t>(lba)).ok()) {
      anchor = static_cast<uint32_t>(lba);
      break;
    }
  }
  if (!anchor) {
    return malformed(session_start == 0 ? std::string("no anchor volume descriptor pointer at 256, N-256 or N")
                                        : "no anchor volume descriptor pointer at " + std::to_string(first_anchor) +
                                              ", N-256 or N");
  }
  out.anchor_lba = *anchor;
  out.main_vds = {get32(b, 20), get32(b, 16) / kSectorSize};
  out.reserve_vds = {get32(b, 28), get32(b, 24) / kSectorSize};
  {  // Every anchor, for whoever updates the volume: all of them must move together.
    std::vector<uint8_t> a(kSectorSize);
    for (uint64_t lba : {first_anchor, uint64_t{count} - 257, uint64_t{count} - 1}) {
      if (lba >= count || lba < first_anchor) continue;
      if (std::find(out.anchors.begin(), out.anchors.end(), lba) != out.anchors.end()) continue;
      if (source.read(static_cast<uint32_t>(lba), a).ok() &&
          check_tag(a, TagId::kAnchorVolumePointer, static_cast<uint32_t>(lba)).ok())
        out.anchors.push_back(static_cast<uint32_t>(lba));
    }
  }
  out.vds_used = out.main_vds.lba;
  Result<Descriptors> vds = read_vds(source, get32(b, 20), get32(b, 16));
  if (!vds.ok()) {
    Result<Descriptors> reserve = read_vds(source, get32(b, 28), get32(b, 24));
    if (!reserve.ok()) return std::move(vds).error().with_context("main and reserve volume descriptor sequences");
    vds = std::move(reserve);
    out.vds_used = out.reserve_vds.lba;
  }
  const Descriptors& d = *vds;
  out.label = d.label;
  out.volume_id = d.volume_id;
  out.volume_set = d.volume_set;
  out.volume_created = d.volume_created;
  if (d.partition_length == 0 || uint64_t{d.partition_start} + d.partition_length > count) {
    return malformed("partition at " + std::to_string(d.partition_start) + "+" + std::to_string(d.partition_length) +
                     " does not fit the " + std::to_string(count) + "-sector medium");
  }
  out.partition_start = d.partition_start;
  out.partition_length = d.partition_length;
  out.access_type = d.access_type;
  out.space_bitmap = d.space_bitmap;
  out.udf_revision = d.udf_revision;
  out.implementation = d.implementation;
  out.integrity = {d.integrity_lba, d.integrity_length / kSectorSize};
  out.fsd_block = d.fsd_block;

  // The integrity descriptor is informative: a missing one is not fatal.
  if (d.integrity_length >= kSectorSize && d.integrity_lba < count && source.read(d.integrity_lba, b).ok() &&
      check_tag(b, TagId::kLogicalVolumeIntegrity, d.integrity_lba).ok()) {
    out.integrity_closed = get32(b, 28) == 1;
    out.next_unique_id = get64(b, 40);
  }

  Volume vol{&source, d.partition_start, d.partition_length, limits, {}, &out};
  ASSIGN_OR_RETURN(std::vector<uint8_t> fsd, vol.read_block(d.fsd_block));
  RETURN_IF_ERROR(check_tag(fsd, TagId::kFileSet, d.fsd_block));
  vol.occupies(d.fsd_block);
  if (d.fsd_block + 1 < d.partition_length) vol.occupies(d.fsd_block + 1);  // its terminator
  if (get16(fsd, 408) != 0) return malformed("root directory in another partition");
  const uint32_t root_block = get32(fsd, 404);
  out.root_block = root_block;
  vol.visited.insert(root_block);
  ASSIGN_OR_RETURN(Entry root, read_entry(vol, root_block));
  if (root.file_type != 4) return malformed("root is not a directory");
  RETURN_IF_ERROR(walk_directory(vol, root, "", -1, 0));
  return out;
}

Status read_file_bytes(SectorSource& source, const ParsedFile& file, uint64_t offset, std::span<uint8_t> out) {
  if (offset > file.size || out.size() > file.size - offset) {
    return Error(ErrorCode::kInvalidArgument, "read beyond the end of " + file.path);
  }
  uint64_t pos = 0;  // file offset where the current extent starts
  size_t done = 0;
  std::vector<uint8_t> sector(kSectorSize);
  for (const ParsedExtent& x : file.extents) {
    if (done == out.size()) break;
    const uint64_t end = pos + x.bytes;
    while (done < out.size() && offset + done < end) {
      const uint64_t at = offset + done;
      const uint64_t in_extent = at - pos;
      const size_t in_sector = static_cast<size_t>(in_extent % kSectorSize);
      const size_t n = static_cast<size_t>(std::min<uint64_t>({kSectorSize - in_sector, end - at, out.size() - done}));
      if (x.type == ExtentType::kRecorded) {
        RETURN_IF_ERROR(source.read(x.lba + static_cast<uint32_t>(in_extent / kSectorSize), sector));
        std::memcpy(out.data() + done, sector.data() + in_sector, n);
      } else {
        std::memset(out.data() + done, 0, n);
      }
      done += n;
    }
    pos = end;
  }
  if (done != out.size()) return malformed(file.path + ": extents end before its size");
  return ok_status();
}

}  // namespace discrec::recorder::udf
