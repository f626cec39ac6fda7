#include "recorder/udf/volume_update.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "recorder/udf/descriptor_writer.h"

namespace discrec::recorder::udf {

using namespace detail;

namespace {

// The two places a volume descriptor sequence and its integrity sequence may
// take before the partition: a discrec disc starts in the first, mkudffs uses
// the second; an update always writes the one the live volume does not use.
struct Slot {
  uint32_t vds = 0;        // 16 sectors
  uint32_t integrity = 0;  // 2 sectors
};
constexpr Slot kSlots[] = {{kMainVdsLba, kIntegrityLba}, {96, 128}};
constexpr uint32_t kIntegritySectors = 2;

bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end) { return a < b_end && b < a_end; }

uint64_t round_down(uint64_t v, uint32_t unit) { return v / unit * unit; }
uint64_t round_up(uint64_t v, uint32_t unit) { return (v + unit - 1) / unit * unit; }

// The sectors outside the partition the live volume's descriptors occupy.
std::vector<SectorRun> descriptor_runs(const ParsedVolume& v) {
  std::vector<SectorRun> runs{v.main_vds, v.reserve_vds, v.integrity};
  for (uint32_t a : v.anchors) runs.push_back({a, 1});
  return runs;
}

// A slot whose whole units touch nothing of the live volume's.
std::optional<Slot> free_slot(const ParsedVolume& v, uint32_t unit) {
  for (const Slot& s : kSlots) {
    bool clear = uint64_t{s.integrity} + kIntegritySectors <= kAnchorLba &&
                 round_up(uint64_t{s.integrity} + kIntegritySectors, unit) <= v.partition_start &&
                 round_up(uint64_t{s.vds} + kVdsSectors, unit) <= v.partition_start;
    for (const SectorRun& r : descriptor_runs(v)) {
      for (auto [at, n] : {std::pair{s.vds, kVdsSectors}, std::pair{s.integrity, kIntegritySectors}}) {
        if (overlaps(round_down(at, unit), round_up(uint64_t{at} + n, unit), r.lba, r.end())) clear = false;
      }
    }
    if (clear) return s;
  }
  return std::nullopt;
}

std::string revision_name(uint16_t r) {
  char text[8];
  std::snprintf(text, sizeof text, "%x.%02x", r >> 8, r & 0xFF);
  return text;
}

std::string leaf(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// "<stem>.part007.ts" is a part of "<stem>.ts".
bool is_part_of(const std::string& file, const std::string& recording) {
  const size_t stem = recording.ends_with(".ts") ? recording.size() - 3 : recording.size();
  const std::string head = recording.substr(0, stem) + ".part";
  const std::string tail = recording.substr(stem);
  if (!file.starts_with(head) || !file.ends_with(tail) || file.size() < head.size() + tail.size() + 3) return false;
  const std::string digits = file.substr(head.size(), file.size() - head.size() - tail.size());
  return digits.find_first_not_of("0123456789") == std::string::npos;
}

// Copies a descriptor read from the live volume to `location`, sealing it
// again over the length its own tag gave the CRC.
void reseal(std::span<uint8_t> d, uint32_t location) {
  const size_t body = std::min<size_t>(get16(d, 10), d.size() - 16);
  finish_tag(d.first(16 + body), static_cast<TagId>(get16(d, 0)), location);
}

// The sectors the volume (and `in_use`) occupies, as sorted, merged
// [begin, end) runs.
std::vector<std::pair<uint64_t, uint64_t>> used_runs(const ParsedVolume& v, std::span<const SectorRun> in_use) {
  std::vector<std::pair<uint64_t, uint64_t>> used;
  for (const SectorRun& r : v.metadata) used.push_back({r.lba, r.end()});
  for (const SectorRun& r : in_use) used.push_back({r.lba, r.end()});
  for (const SectorRun& r : descriptor_runs(v)) used.push_back({r.lba, r.end()});
  for (const ParsedFile& f : v.files) {
    for (const ParsedExtent& x : f.extents) {
      if (x.type == ExtentType::kNotAllocated) continue;
      used.push_back({x.lba, x.lba + (uint64_t{x.bytes} + kSectorSize - 1) / kSectorSize});
    }
  }
  std::sort(used.begin(), used.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  for (const auto& r : used) {
    if (!merged.empty() && r.first <= merged.back().second) merged.back().second = std::max(merged.back().second, r.second);
    else merged.push_back(r);
  }
  return merged;
}

// Sectors to write as whole units (ECC blocks, clusters): what is not
// overlaid keeps the bytes `source` holds where the volume uses them (zeros
// elsewhere: a sector nothing uses may be unreadable, torn by an earlier
// failed write), and two overlays in one unit end up in one write.
class UnitWrites {
 public:
  UnitWrites(SectorSource& source, uint32_t unit, const std::vector<std::pair<uint64_t, uint64_t>>& used)
      : source_(source), unit_(unit), used_(used) {}

  Status overlay(uint32_t lba, std::span<const uint8_t> bytes) {
    const uint32_t sectors = static_cast<uint32_t>(bytes.size() / kSectorSize);
    for (uint32_t u = static_cast<uint32_t>(round_down(lba, unit_)); u < uint64_t{lba} + sectors; u += unit_) {
      auto [it, fresh] = units_.try_emplace(u);
      if (fresh) {
        it->second.resize(size_t{unit_} * kSectorSize);
        for (uint64_t s = u; s < uint64_t{u} + unit_; ++s) {
          if ((s >= lba && s < uint64_t{lba} + sectors) || !used(s)) continue;
          RETURN_IF_ERROR(source_.read(static_cast<uint32_t>(s),
                                       std::span(it->second).subspan(static_cast<size_t>(s - u) * kSectorSize, kSectorSize)));
        }
      }
      for (uint32_t s = std::max(u, lba); s < std::min<uint64_t>(uint64_t{u} + unit_, uint64_t{lba} + sectors); ++s)
        std::copy_n(bytes.begin() + size_t{s - lba} * kSectorSize, kSectorSize,
                    it->second.begin() + size_t{s - u} * kSectorSize);
    }
    return ok_status();
  }
  // Adjacent units joined, ascending.
  std::vector<SectorWrite> writes() && {
    std::vector<SectorWrite> out;
    for (auto& [u, bytes] : units_) {
      if (!out.empty() && out.back().lba + out.back().bytes.size() / kSectorSize == u)
        out.back().bytes.insert(out.back().bytes.end(), bytes.begin(), bytes.end());
      else
        out.push_back({u, std::move(bytes)});
    }
    return out;
  }

 private:
  bool used(uint64_t lba) const {
    auto it = std::upper_bound(used_.begin(), used_.end(), std::pair{lba, UINT64_MAX});
    return it != used_.begin() && lba < std::prev(it)->second;
  }

  SectorSource& source_;
  uint32_t unit_;
  const std::vector<std::pair<uint64_t, uint64_t>>& used_;
  std::map<uint32_t, std::vector<uint8_t>> units_;
};

// A directory of the new volume.
struct DirNode {
  int file = -1;  // index in the live volume's files; -1 root, -2 a new /DISCREC
  std::vector<int> files;       // kept children that are not directories (live indexes)
  std::vector<size_t> dirs;     // child directories (node indexes)
  std::vector<size_t> added;    // added entries (indexes into the added list)
  size_t parent = 0;            // node index; the root is its own parent
  uint32_t fe_block = 0, data_block = 0, data_blocks = 0;
  uint64_t data_bytes = 0;
};

}  // namespace

uint64_t total_sectors(std::span<const SectorRun> runs) {
  uint64_t n = 0;
  for (const SectorRun& r : runs) n += r.sectors;
  return n;
}

Status check_updatable(const ParsedVolume& v, uint32_t sector_count) {
  const auto refuse = [](const std::string& why) {
    return Error(ErrorCode::kUnsupported, "discrec does not update this volume: " + why);
  };
  if (v.udf_revision < 0x0200 || v.udf_revision > 0x0201)
    return refuse("UDF " + revision_name(v.udf_revision) + " (it updates UDF 2.00 and 2.01 volumes)");
  if (v.access_type != 1 && v.access_type != 4)
    return refuse("partition access type " + std::to_string(v.access_type) + " (read-only or overwritable only)");
  if (!v.integrity_closed) return refuse("its integrity descriptor is open or missing: check it with fsck.udf first");
  if (v.vds_used != v.main_vds.lba) return refuse("its main volume descriptor sequence is damaged");
  // The anchor at 256 is rewritten by every update (even when a torn one
  // left it unreadable), so it must be outside the partition.
  if (kAnchorLba >= v.partition_start && kAnchorLba < uint64_t{v.partition_start} + v.partition_length)
    return refuse("sector 256 lies inside its partition");
  if (v.reserve_vds.sectors < kVdsSectors || overlaps(v.reserve_vds.lba, v.reserve_vds.end(), v.partition_start,
                                                      uint64_t{v.partition_start} + v.partition_length) ||
      v.reserve_vds.end() > sector_count || v.reserve_vds.lba <= kAnchorLba)
    return refuse("its reserve volume descriptor sequence is not a 16-sector run after the partition");
  if (v.main_vds.sectors < 6) return refuse("its main volume descriptor sequence is shorter than 6 sectors");
  if (!free_slot(v, 1)) return refuse("both descriptor slots (32/64, 96/128) are taken");
  return ok_status();
}

std::vector<SectorRun> free_runs(const ParsedVolume& v, uint32_t unit, std::span<const SectorRun> in_use) {
  unit = std::max<uint32_t>(unit, 1);
  std::vector<std::pair<uint64_t, uint64_t>> used = used_runs(v, in_use);  // [begin, end)
  used.push_back({round_down(kAnchorLba, unit), round_up(kAnchorLba + 1, unit)});
  std::sort(used.begin(), used.end());
  std::vector<SectorRun> out;
  const uint64_t end = uint64_t{v.partition_start} + v.partition_length;
  uint64_t at = v.partition_start;
  const auto gap = [&](uint64_t from, uint64_t to) {
    const uint64_t a = round_up(from, unit), b = round_down(std::min(to, end), unit);
    if (b > a) out.push_back({static_cast<uint32_t>(a), static_cast<uint32_t>(b - a)});
  };
  for (const auto& [b, e] : used) {
    if (b > at) gap(at, b);
    at = std::max(at, e);
    if (at >= end) break;
  }
  if (at < end) gap(at, end);
  return out;
}

uint32_t update_reserve_sectors(const ParsedVolume& v, uint64_t data_sectors, uint32_t new_files, uint32_t unit) {
  uint64_t dir_bytes = 0, dirs = 2;  // root and /DISCREC, whether or not they exist yet
  for (const ParsedFile& f : v.files) {
    if (f.directory) {
      dir_bytes += f.size;
      ++dirs;
    }
  }
  dir_bytes += 40 * dirs + 40 * v.files.size();  // every directory's parent entry, every name
  const uint64_t ads = data_sectors / std::max<uint32_t>(unit, 1) + data_sectors / (1u << 19) + 2 * new_files;
  const uint64_t entries = (ads + kAdsInEntry - 2) / (kAdsInEntry - 1) + new_files;
  dir_bytes += entries * 296;  // a file identifier each, at the longest name
  const uint64_t sectors = partition_block::kZeroCount + 2 + dirs * 2 + (dir_bytes + kSectorSize - 1) / kSectorSize + entries;
  return static_cast<uint32_t>(std::min<uint64_t>(round_up(sectors, std::max<uint32_t>(unit, 1)), UINT32_MAX));
}

Result<VolumeUpdate> plan_update(SectorSource& source, const ParsedVolume& live, const VolumeChange& change,
                                 uint32_t unit) {
  unit = std::max<uint32_t>(unit, 1);
  RETURN_IF_ERROR(check_updatable(live, source.sector_count()));
  const Slot slot = *free_slot(live, unit);
  const uint32_t ps = live.partition_start;
  const uint64_t partition_end = uint64_t{ps} + live.partition_length;

  // The tree as it will be: every live directory, /DISCREC's files less the
  // removed ones, plus the added ones.
  std::vector<DirNode> dirs(1);
  std::map<int, size_t> node_of{{-1, 0}};
  std::optional<size_t> recdir;
  for (size_t i = 0; i < live.files.size(); ++i) {
    const ParsedFile& f = live.files[i];
    if (!f.directory) continue;
    auto parent = node_of.find(f.parent);
    if (parent == node_of.end()) return Error(ErrorCode::kInternal, "UDF: directory listed before its parent");
    DirNode node;
    node.file = static_cast<int>(i);
    node.parent = parent->second;
    dirs.push_back(node);
    node_of[static_cast<int>(i)] = dirs.size() - 1;
    dirs[parent->second].dirs.push_back(dirs.size() - 1);
    if (f.path == "/" + std::string(kRecordingDirectory)) recdir = dirs.size() - 1;
  }
  std::set<int> removed;
  for (const std::string& name : change.remove) {
    bool found = false;
    for (size_t i = 0; i < live.files.size(); ++i) {
      const ParsedFile& f = live.files[i];
      if (f.directory || !recdir || f.parent != dirs[*recdir].file) continue;
      const std::string n = leaf(f.path);
      if (n == name || is_part_of(n, name)) {
        removed.insert(static_cast<int>(i));
        found = true;
      }
    }
    if (!found) return Error(ErrorCode::kNotFound, "no file " + name + " in /" + std::string(kRecordingDirectory));
  }
  for (size_t i = 0; i < live.files.size(); ++i) {
    const ParsedFile& f = live.files[i];
    if (f.directory || removed.count(static_cast<int>(i))) continue;
    dirs[node_of.at(f.parent)].files.push_back(static_cast<int>(i));
  }
  if (!recdir && !change.add.empty()) {
    for (const ParsedFile& f : live.files)
      if (f.path == "/" + std::string(kRecordingDirectory))
        return Error(ErrorCode::kUnsupported, "UDF: /DISCREC on this volume is not a directory");
    DirNode node;
    node.file = -2;
    node.parent = 0;
    dirs.push_back(node);
    recdir = dirs.size() - 1;
    dirs[0].dirs.push_back(*recdir);
  }

  // The added files' entries. Their names must be new in /DISCREC.
  VolumeSpec form;
  form.lost_extents = change.lost_extents;
  form.long_files = change.long_files;
  bool zeros = false;
  for (const FileSpec& f : change.add) {
    for (const FileExtent& x : f.extents) {
      if (!x.recorded && change.lost_extents == LostExtentEncoding::kZeroFilled) {
        zeros = true;
        continue;
      }
      if (x.lba < ps || uint64_t{x.lba} + x.sectors > partition_end)
        return Error(ErrorCode::kInvalidArgument, "file \"" + f.name + "\": extent at " + std::to_string(x.lba) +
                                                      " outside the partition");
    }
  }
  // Block numbers are known only once the run is chosen: entries are built
  // with the zero run at the run's first block, which is where it goes.
  std::vector<SectorRun> in_use = change.in_use;
  for (const FileSpec& f : change.add)
    for (const FileExtent& x : f.extents)
      if (x.recorded || change.lost_extents == LostExtentEncoding::kAllocatedNotRecorded)
        in_use.push_back({x.lba, x.sectors});
  const std::vector<SectorRun> runs = free_runs(live, unit, in_use);

  // Sizes first: they do not depend on where the blocks go.
  std::vector<DiscEntry> added;
  {
    ASSIGN_OR_RETURN(added, disc_entries(change.add, form, ps, 0));
  }
  if (recdir) {
    std::set<std::string> names;
    for (int i : dirs[*recdir].files) names.insert(leaf(live.files[static_cast<size_t>(i)].path));
    for (size_t d : dirs[*recdir].dirs) names.insert(leaf(live.files[static_cast<size_t>(dirs[d].file)].path));
    for (size_t k = 0; k < added.size(); ++k) {
      if (names.count(added[k].name))
        return Error(ErrorCode::kInvalidArgument, "file \"" + added[k].name + "\" is already on the disc");
      dirs[*recdir].added.push_back(k);
    }
  }
  const auto identifier_of = [&](size_t node) -> std::vector<uint8_t> {
    if (dirs[node].file >= 0) return live.files[static_cast<size_t>(dirs[node].file)].identifier;
    return encode_cs0(kRecordingDirectory).value();
  };
  uint32_t blocks = (zeros ? partition_block::kZeroCount : 0) + 2;  // zero run, file set + terminator
  for (DirNode& d : dirs) {
    d.data_bytes = fid_size(0);
    for (int i : d.files) d.data_bytes += fid_size(live.files[static_cast<size_t>(i)].identifier.size());
    for (size_t c : d.dirs) d.data_bytes += fid_size(identifier_of(c).size());
    for (size_t k : d.added) d.data_bytes += fid_size(added[k].cs0.size());
    if (d.data_bytes > kMaxExtentBytes) return Error(ErrorCode::kResourceExhausted, "UDF: a directory over 1 GiB");
    d.data_blocks = static_cast<uint32_t>((d.data_bytes + kSectorSize - 1) / kSectorSize);
    blocks += 1 + d.data_blocks;
  }
  for (const DiscEntry& e : added) blocks += 1 + extent_blocks_for(e.ads.size());
  const uint32_t run_sectors = static_cast<uint32_t>(round_up(blocks, unit));
  auto run = std::find_if(runs.begin(), runs.end(), [&](const SectorRun& r) { return r.sectors >= run_sectors; });
  if (run == runs.end())
    return Error(ErrorCode::kResourceExhausted, "no free run of " + std::to_string(run_sectors) +
                                                    " sectors on the disc for the file system's update");
  const uint32_t first = run->lba - ps;  // partition-relative
  const uint32_t zero_block = first;
  if (zeros) {
    ASSIGN_OR_RETURN(added, disc_entries(change.add, form, ps, zero_block));
  }

  // Place the blocks.
  uint32_t next = first + (zeros ? partition_block::kZeroCount : 0);
  const uint32_t fsd_block = next;
  next += 2;
  for (DirNode& d : dirs) {
    d.fe_block = next++;
    d.data_block = next;
    next += d.data_blocks;
  }
  std::vector<uint32_t> added_block;
  for (const DiscEntry& e : added) {
    added_block.push_back(next);
    next += 1 + extent_blocks_for(e.ads.size());
  }
  std::vector<uint8_t> meta(size_t{run_sectors} * kSectorSize, 0);
  const BlockSpan block = [&](uint32_t b) {
    return std::span<uint8_t>(meta.data() + size_t{b - first} * kSectorSize, kSectorSize);
  };

  uint64_t next_id = std::max<uint64_t>(live.next_unique_id, kRecDirUniqueId + 1);
  for (const ParsedFile& f : live.files) next_id = std::max(next_id, f.unique_id + 1);
  std::vector<uint64_t> added_id;
  for (size_t k = 0; k < added.size(); ++k) added_id.push_back(next_id++);

  // Directories: a parent entry, then the children in their old order.
  uint32_t file_count = 0, dir_count = 0;
  for (size_t n = 0; n < dirs.size(); ++n) {
    DirNode& d = dirs[n];
    const ParsedFile* f = d.file >= 0 ? &live.files[static_cast<size_t>(d.file)] : nullptr;
    const uint64_t own_id = d.file == -1 ? kRootUniqueId : f ? f->unique_id : kRecDirUniqueId;
    std::vector<uint8_t> data;
    append_fid(data, d.data_block, 0x0A, {}, dirs[d.parent].fe_block,
               dirs[d.parent].file == -1 ? kRootUniqueId
               : dirs[d.parent].file >= 0 ? live.files[static_cast<size_t>(dirs[d.parent].file)].unique_id
                                          : kRecDirUniqueId);
    for (size_t c : d.dirs) {
      const ParsedFile* cf = dirs[c].file >= 0 ? &live.files[static_cast<size_t>(dirs[c].file)] : nullptr;
      append_fid(data, d.data_block, cf ? cf->characteristics : 0x02, identifier_of(c), dirs[c].fe_block,
                 cf ? cf->unique_id : kRecDirUniqueId);
    }
    for (int i : d.files) {
      const ParsedFile& cf = live.files[static_cast<size_t>(i)];
      append_fid(data, d.data_block, cf.characteristics, cf.identifier, cf.icb_block, cf.unique_id);
      ++file_count;
    }
    for (size_t k : d.added) {
      append_fid(data, d.data_block, 0, added[k].cs0, added_block[k], added_id[k]);
      ++file_count;
    }
    ++dir_count;
    std::copy(data.begin(), data.end(), meta.begin() + size_t{d.data_block - first} * kSectorSize);
    // The root and /DISCREC change with every update; other directories keep their times.
    const bool changed = d.file < 0 || (recdir && n == *recdir) || !d.added.empty();
    Entry e;
    e.file_type = 4;
    e.link_count = static_cast<uint16_t>(1 + d.dirs.size());
    e.permissions = f && f->permissions ? f->permissions : kDirPermissions;
    e.size = data.size();
    e.blocks_recorded = d.data_blocks;
    e.created = f ? f->created : change.when;
    e.modified = f && !changed ? f->modified : change.when;
    e.unique_id = own_id;
    if (f) {
      e.uid = f->uid;
      e.gid = f->gid;
    }
    put_entry(block, d.fe_block, e,
              {{static_cast<uint32_t>(data.size()), ExtentType::kRecorded, d.data_block}});
  }
  for (size_t k = 0; k < added.size(); ++k) {
    const DiscEntry& a = added[k];
    Entry e;
    e.size = a.size;
    e.blocks_recorded = a.blocks_recorded;
    e.created = a.created;
    e.modified = a.modified;
    e.unique_id = added_id[k];
    put_entry(block, added_block[k], e, a.ads);
  }

  // The file set descriptor, copied, now naming the new root.
  std::vector<uint8_t> sector(kSectorSize);
  RETURN_IF_ERROR(source.read(ps + live.fsd_block, sector));
  {
    std::span<uint8_t> d = block(fsd_block);
    std::copy(sector.begin(), sector.end(), d.begin());
    put_timestamp(d, 16, change.when);
    put32(d, 400, kSectorSize);
    put32(d, 404, dirs[0].fe_block);
    put16(d, 408, 0);
    finish_tag(d.first(512), TagId::kFileSet, fsd_block);
    finish_tag(block(fsd_block + 1).first(512), TagId::kTerminating, fsd_block + 1);
  }

  VolumeUpdate update;
  update.metadata = {run->lba, run_sectors};
  update.files = file_count;
  update.removed = static_cast<uint32_t>(removed.size());
  // What the live volume uses (and the data being added): kept in units shared with it.
  const auto live_used = used_runs(live, in_use);
  UnitWrites prepare(source, unit, live_used);
  RETURN_IF_ERROR(prepare.overlay(run->lba, meta));

  // The volume descriptor sequence, copied from the live one: the file set
  // and the integrity sequence move; the partition becomes read-only (a
  // space bitmap that knew nothing of our writes would mislead a writer).
  // Slot runs are padded to whole units: nothing else lives in those units
  // (free_slot), so they are written without reading them first.
  const auto slot_sectors = [&](uint32_t at, uint32_t n) {
    return static_cast<uint32_t>(at % unit == 0 ? round_up(n, unit) : n);
  };
  std::vector<uint8_t> vds(size_t{slot_sectors(slot.vds, kVdsSectors)} * kSectorSize, 0);
  {
    std::vector<uint8_t> old(size_t{std::min(live.main_vds.sectors, kVdsSectors)} * kSectorSize);
    RETURN_IF_ERROR(source.read(live.main_vds.lba, old));
    for (uint32_t i = 0; i < old.size() / kSectorSize; ++i) {
      std::span<uint8_t> d(vds.data() + size_t{i} * kSectorSize, kSectorSize);
      std::copy_n(old.begin() + size_t{i} * kSectorSize, kSectorSize, d.begin());
      const uint16_t id = get16(d, 0);
      if (id < 1 || id > 8 || !check_tag(d, static_cast<TagId>(id), live.main_vds.lba + i).ok()) {
        std::fill(d.begin(), d.end(), 0);
        break;
      }
      if (id == static_cast<uint16_t>(TagId::kPartition)) {
        put32(d, 184, 1);
        std::fill(d.begin() + 56, d.begin() + 184, 0);
      } else if (id == static_cast<uint16_t>(TagId::kLogicalVolume)) {
        put32(d, 248, 2 * kSectorSize);
        put32(d, 252, fsd_block);
        put16(d, 256, 0);
        put32(d, 432, kIntegritySectors * kSectorSize);
        put32(d, 436, slot.integrity);
      }
      reseal(d, slot.vds + i);
      if (id == static_cast<uint16_t>(TagId::kTerminating)) break;
    }
  }
  RETURN_IF_ERROR(prepare.overlay(slot.vds, vds));

  {  // The integrity descriptor: closed, with the new counts.
    std::vector<uint8_t> lvid(size_t{slot_sectors(slot.integrity, kIntegritySectors)} * kSectorSize, 0);
    std::span<uint8_t> d = std::span<uint8_t>(lvid).first(80 + 8 + 46);
    put_timestamp(d, 16, change.when);
    put32(d, 28, 1);
    put64(d, 40, next_id);
    put32(d, 72, 1);
    put32(d, 76, 46);
    uint64_t freed = 0;
    for (int i : removed)
      for (const ParsedExtent& x : live.files[static_cast<size_t>(i)].extents)
        freed += (uint64_t{x.bytes} + kSectorSize - 1) / kSectorSize;
    const uint64_t now_free = total_sectors(free_runs(live, 1, in_use)) + freed;
    put32(d, 80, static_cast<uint32_t>(now_free > run_sectors ? now_free - run_sectors : 0));
    put32(d, 84, live.partition_length);
    put_regid(d, 88, kImplementationId, RegidSuffix::kImplementation);
    put32(d, 120, file_count);
    put32(d, 124, dir_count);
    put16(d, 128, live.udf_revision);
    put16(d, 130, live.udf_revision);
    put16(d, 132, kUdfRevision);
    finish_tag(d, TagId::kLogicalVolumeIntegrity, slot.integrity);
    finish_tag(std::span<uint8_t>(lvid).subspan(kSectorSize, 512), TagId::kTerminating, slot.integrity + 1);
    RETURN_IF_ERROR(prepare.overlay(slot.integrity, lvid));
  }
  update.prepare = std::move(prepare).writes();

  // The switch, then the copies that follow it.
  const auto anchor = [&](UnitWrites& to, uint32_t lba) {
    std::vector<uint8_t> a(kSectorSize, 0);
    put_anchor(a, lba, slot.vds, live.reserve_vds.lba);
    return to.overlay(lba, a);
  };
  {
    UnitWrites commit(source, unit, live_used);
    RETURN_IF_ERROR(anchor(commit, kAnchorLba));
    update.commit = std::move(std::move(commit).writes().front());
  }
  std::vector<uint8_t> reserve(vds.begin(), vds.begin() + size_t{kVdsSectors} * kSectorSize);
  for (uint32_t i = 0; i < kVdsSectors; ++i) {
    std::span<uint8_t> d(reserve.data() + size_t{i} * kSectorSize, kSectorSize);
    if (get16(d, 0) == 0) break;
    reseal(d, live.reserve_vds.lba + i);
  }
  UnitWrites complete(source, unit, live_used);
  RETURN_IF_ERROR(complete.overlay(live.reserve_vds.lba, reserve));
  for (uint32_t lba : live.anchors)
    if (lba != kAnchorLba) RETURN_IF_ERROR(anchor(complete, lba));
  update.complete = std::move(complete).writes();
  return update;
}

}  // namespace discrec::recorder::udf
