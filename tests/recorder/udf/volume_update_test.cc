// Updating a live volume in place: recordings added and removed, the space
// they free, and a power cut between any two writes leaving a readable volume.
#include "recorder/udf/volume_update.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "recorder/udf/descriptor_writer.h"
#include "recorder/udf/volume_builder.h"

namespace discrec::recorder::udf {
namespace {

constexpr uint32_t kUnit = 32;
constexpr uint32_t kCapacity = 24'000;
const TimePoint kT0 = TimePoint(std::chrono::seconds(1'795'000'000));

// A BD-RE-like disc in memory.
struct Disc {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(size_t{kCapacity} * kSectorSize, 0);

  void apply(const SectorWrite& w) {
    ASSERT_LE(size_t{w.lba} * kSectorSize + w.bytes.size(), bytes.size());
    ASSERT_EQ(w.lba % kUnit, 0u) << "writes cover whole units";
    ASSERT_EQ(w.bytes.size() % (size_t{kUnit} * kSectorSize), 0u);
    std::copy(w.bytes.begin(), w.bytes.end(), bytes.begin() + size_t{w.lba} * kSectorSize);
  }
  void apply(const std::vector<SectorWrite>& ws) {
    for (const auto& w : ws) apply(w);
  }
  void apply(const VolumeUpdate& u) {
    apply(u.prepare);
    apply(u.commit);
    apply(u.complete);
  }
  // Data sectors say which file and sector they are.
  void fill(const FileSpec& f, uint8_t tag) {
    for (const FileExtent& x : f.extents)
      for (uint32_t s = 0; s < x.sectors; ++s)
        std::fill_n(bytes.begin() + size_t{x.lba + s} * kSectorSize, kSectorSize, static_cast<uint8_t>(tag + s));
  }
  Result<ParsedVolume> read() {
    MemorySectorSource source(bytes);
    return read_volume(source);
  }
};

FileSpec file(const std::string& name, uint32_t lba, uint32_t sectors) {
  return {name, uint64_t{sectors} * kSectorSize - 100, kT0, kT0 + std::chrono::minutes(5), {{lba, sectors}}};
}

std::vector<std::string> names(const ParsedVolume& v) {
  std::vector<std::string> out;
  for (const auto& f : v.files) out.push_back(f.path);
  return out;
}

const ParsedFile& find(const ParsedVolume& v, const std::string& path) {
  auto it = std::find_if(v.files.begin(), v.files.end(), [&](const ParsedFile& f) { return f.path == path; });
  EXPECT_NE(it, v.files.end()) << path;
  return *it;
}

// The bytes a file reads back as, through the reader.
std::vector<uint8_t> content(Disc& disc, const ParsedFile& f) {
  MemorySectorSource source(disc.bytes);
  std::vector<uint8_t> out(f.size);
  EXPECT_TRUE(read_file_bytes(source, f, 0, out).ok());
  return out;
}

class UdfVolumeUpdate : public ::testing::Test {
 protected:
  void SetUp() override {
    layout_ = *plan_layout({MediaKind::kRandomAccess, kCapacity, kUnit, 16});
    a_ = file("a.ts", layout_.data_start, 64);
    b_ = file("b.ts", layout_.data_start + 64, 96);
    VolumeSpec spec{"GROWING", kT0, kT0, {a_, b_}, 0};
    auto writes = build_volume(layout_, spec);
    ASSERT_TRUE(writes.ok()) << writes.error().to_string();
    disc_.apply(*writes);
    disc_.fill(a_, 10);
    disc_.fill(b_, 20);
  }

  // Plans adding `f` (placed in the first free run) and removing `remove`.
  Result<VolumeUpdate> plan(std::vector<FileSpec> add, std::vector<std::string> remove = {}) {
    auto live = disc_.read();
    if (!live.ok()) return std::move(live).error();
    MemorySectorSource source(disc_.bytes);
    VolumeChange change;
    change.add = std::move(add);
    change.remove = std::move(remove);
    change.when = kT0 + std::chrono::hours(24);
    return plan_update(source, *live, change, kUnit);
  }

  VolumeLayout layout_;
  Disc disc_;
  FileSpec a_, b_;
};

TEST_F(UdfVolumeUpdate, OwnVolumeIsUpdatableAndItsFreeSpaceExcludesEverythingItUses) {
  auto live = disc_.read();
  ASSERT_TRUE(live.ok()) << live.error().to_string();
  ASSERT_TRUE(check_updatable(*live, kCapacity).ok()) << check_updatable(*live, kCapacity).error().to_string();
  const auto runs = free_runs(*live, kUnit);
  ASSERT_FALSE(runs.empty());
  for (const SectorRun& r : runs) {
    EXPECT_EQ(r.lba % kUnit, 0u);
    EXPECT_EQ(r.sectors % kUnit, 0u);
    EXPECT_GE(r.lba, kAnchorLba + kUnit) << "the anchor's unit is never free";
    EXPECT_LE(r.end(), uint64_t{live->partition_start} + live->partition_length);
    for (const FileSpec& f : {a_, b_})
      for (const FileExtent& x : f.extents) EXPECT_FALSE(r.lba < x.lba + x.sectors && x.lba < r.end()) << f.name;
    for (const SectorRun& m : live->metadata) EXPECT_FALSE(r.lba < m.end() && m.lba < r.end());
  }
  // Everything after the two files is free, up to the partition's end.
  const uint64_t partition_end = uint64_t{live->partition_start} + live->partition_length;
  EXPECT_EQ(runs.back().end(), partition_end / kUnit * kUnit);
  EXPECT_EQ(runs.back().lba, layout_.data_start + 160);
}

TEST_F(UdfVolumeUpdate, AddingKeepsEveryEntryAndByteAndAlternatesTheDescriptorSlot) {
  auto before = disc_.read();
  ASSERT_TRUE(before.ok());
  const auto runs = free_runs(*before, kUnit);
  FileSpec c = file("c.ts", runs.back().lba, 128);
  auto update = plan({c});
  ASSERT_TRUE(update.ok()) << update.error().to_string();
  disc_.fill(c, 30);
  disc_.apply(*update);

  auto after = disc_.read();
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_EQ(names(*after), (std::vector<std::string>{"/DISCREC", "/DISCREC/a.ts", "/DISCREC/b.ts", "/DISCREC/c.ts"}));
  EXPECT_EQ(after->label, "GROWING");
  EXPECT_EQ(update->files, 3u);
  EXPECT_NE(after->main_vds.lba, before->main_vds.lba) << "the new sequence went to the other slot";
  for (const char* path : {"/DISCREC/a.ts", "/DISCREC/b.ts"}) {
    EXPECT_EQ(find(*after, path).icb_block, find(*before, path).icb_block) << path << ": its entry is never rewritten";
    EXPECT_EQ(content(disc_, find(*after, path)), content(disc_, find(*before, path))) << path;
  }
  const ParsedFile& cf = find(*after, "/DISCREC/c.ts");
  EXPECT_EQ(cf.size, c.size);
  EXPECT_EQ(cf.extents.front().lba, c.extents.front().lba);
  EXPECT_EQ(content(disc_, cf)[2048], 31);
  // The new metadata went where nothing was; the recording's data is kept off.
  EXPECT_FALSE(update->metadata.lba < c.extents[0].lba + 128 && c.extents[0].lba < update->metadata.end());
  // Unique ids stay unique.
  std::vector<uint64_t> ids;
  for (const auto& f : after->files) ids.push_back(f.unique_id);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

TEST_F(UdfVolumeUpdate, ZeroFilledLostExtentsOfAnAddedRecordingReadBackAsLost) {
  auto before = disc_.read();
  ASSERT_TRUE(before.ok());
  const auto runs = free_runs(*before, kUnit);
  // Recorded, lost, recorded: the lost run points at the update's zero run.
  const uint32_t at = runs.back().lba;
  FileSpec c{"c.ts", 96 * kSectorSize, kT0, kT0 + std::chrono::minutes(5),
             {{at, 32, true}, {at + 32, 32, false}, {at + 64, 32, true}}};
  auto live = disc_.read();
  ASSERT_TRUE(live.ok());
  MemorySectorSource source(disc_.bytes);
  VolumeChange change;
  change.add = {c};
  change.when = kT0 + std::chrono::hours(24);
  change.lost_extents = LostExtentEncoding::kZeroFilled;
  change.in_use = {{at, 96}};
  auto update = plan_update(source, *live, change, kUnit);
  ASSERT_TRUE(update.ok()) << update.error().to_string();
  disc_.fill(c, 30);
  disc_.apply(*update);

  auto after = disc_.read();
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  auto recordings = recordings_from(*after);
  ASSERT_TRUE(recordings.ok()) << recordings.error().to_string();
  ASSERT_EQ(recordings->size(), 3u);
  const FileSpec& got = recordings->back();
  ASSERT_EQ(got.name, "c.ts");
  ASSERT_EQ(got.extents.size(), 3u);
  EXPECT_TRUE(got.extents[0].recorded);
  EXPECT_FALSE(got.extents[1].recorded) << "the zero run the update placed is not the recording's data";
  EXPECT_EQ(got.extents[1].sectors, 32u);
  EXPECT_TRUE(got.extents[2].recorded);
  // The lost run reads as zeros, the rest as recorded.
  const std::vector<uint8_t> bytes = content(disc_, find(*after, "/DISCREC/c.ts"));
  EXPECT_EQ(bytes[0], 30);
  EXPECT_TRUE(std::all_of(bytes.begin() + 32 * kSectorSize, bytes.begin() + 64 * kSectorSize,
                          [](uint8_t v) { return v == 0; }));
  EXPECT_EQ(bytes[64 * kSectorSize], 30);
  // The volume's earlier recordings are untouched and fully recorded.
  for (size_t i = 0; i < 2; ++i)
    for (const FileExtent& x : (*recordings)[i].extents) EXPECT_TRUE(x.recorded) << (*recordings)[i].name;
}

TEST_F(UdfVolumeUpdate, APowerCutAtAnyPointLeavesTheOldOrTheNewVolume) {
  auto before = disc_.read();
  ASSERT_TRUE(before.ok());
  FileSpec c = file("c.ts", free_runs(*before, kUnit).back().lba, 64);
  auto update = plan({c});
  ASSERT_TRUE(update.ok()) << update.error().to_string();
  const Disc original = disc_;
  const auto two_files = std::vector<std::string>{"/DISCREC", "/DISCREC/a.ts", "/DISCREC/b.ts"};
  const auto three_files = std::vector<std::string>{"/DISCREC", "/DISCREC/a.ts", "/DISCREC/b.ts", "/DISCREC/c.ts"};

  // Cut after each prepare write, with the last one torn in half.
  for (size_t k = 0; k < update->prepare.size(); ++k) {
    disc_ = original;
    for (size_t i = 0; i < k; ++i) disc_.apply(update->prepare[i]);
    SectorWrite torn = update->prepare[k];
    torn.bytes.resize(torn.bytes.size() / 2 / (kUnit * kSectorSize) * (kUnit * kSectorSize));
    if (!torn.bytes.empty()) disc_.apply(torn);
    auto v = disc_.read();
    ASSERT_TRUE(v.ok()) << "cut in prepare write " << k << ": " << v.error().to_string();
    EXPECT_EQ(names(*v), two_files);
  }
  // Prepared but not committed: the old volume, from every anchor.
  disc_ = original;
  disc_.apply(update->prepare);
  auto v = disc_.read();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(names(*v), two_files);
  // Committed: the new volume from 256; the closing anchor still names the
  // old one, whose sectors nothing has touched.
  disc_.apply(update->commit);
  v = disc_.read();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(names(*v), three_files);
  Disc closing_only = disc_;
  std::fill_n(closing_only.bytes.begin() + size_t{kAnchorLba} * kSectorSize, kSectorSize, 0);
  v = closing_only.read();
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(names(*v), two_files);
  // Completed: every anchor names the new volume.
  disc_.apply(update->complete);
  closing_only = disc_;
  std::fill_n(closing_only.bytes.begin() + size_t{kAnchorLba} * kSectorSize, kSectorSize, 0);
  v = closing_only.read();
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(names(*v), three_files);
  // The main sequence damaged: the reserve one describes the same volume.
  Disc reserve_only = disc_;
  std::fill_n(reserve_only.bytes.begin() + size_t{v->main_vds.lba} * kSectorSize, kSectorSize, 0);
  v = reserve_only.read();
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(names(*v), three_files);
}

TEST_F(UdfVolumeUpdate, RemovingGivesTheSpaceBackAndItCanBeRecordedInto) {
  auto live = disc_.read();
  ASSERT_TRUE(live.ok());
  const uint64_t free_before = total_sectors(free_runs(*live, kUnit));
  auto removal = plan({}, {"a.ts"});
  ASSERT_TRUE(removal.ok()) << removal.error().to_string();
  EXPECT_EQ(removal->removed, 1u);
  disc_.apply(*removal);
  auto after = disc_.read();
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_EQ(names(*after), (std::vector<std::string>{"/DISCREC", "/DISCREC/b.ts"}));
  EXPECT_EQ(content(disc_, find(*after, "/DISCREC/b.ts"))[0], 20);
  const auto runs = free_runs(*after, kUnit);
  // a.ts's 64 sectors are free again (the metadata moved: the old blocks are
  // free too, the new ones taken).
  EXPECT_TRUE(std::any_of(runs.begin(), runs.end(), [&](const SectorRun& r) {
    return r.lba <= a_.extents[0].lba && r.end() >= a_.extents[0].lba + 64;
  }));
  EXPECT_GE(total_sectors(runs) + removal->metadata.sectors, free_before + 64);

  // Record into the freed space.
  FileSpec d = file("d.ts", a_.extents[0].lba, 64);
  auto add = plan({d});
  ASSERT_TRUE(add.ok()) << add.error().to_string();
  disc_.fill(d, 40);
  disc_.apply(*add);
  after = disc_.read();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(names(*after), (std::vector<std::string>{"/DISCREC", "/DISCREC/b.ts", "/DISCREC/d.ts"}));
  EXPECT_EQ(content(disc_, find(*after, "/DISCREC/d.ts"))[0], 40);
  EXPECT_EQ(content(disc_, find(*after, "/DISCREC/b.ts"))[0], 20);
}

TEST_F(UdfVolumeUpdate, ARecordingsPartsAreRemovedByItsName) {
  // A file of more extents than one entry lists is written as parts.
  auto live = disc_.read();
  ASSERT_TRUE(live.ok());
  FileSpec many{"many.ts", 0, kT0, kT0, {}};
  uint32_t lba = free_runs(*live, kUnit).back().lba;
  for (int i = 0; i < 300; ++i, lba += 2 * kUnit) many.extents.push_back({lba, kUnit});
  many.size = uint64_t{300} * kUnit * kSectorSize;
  auto add = plan({many});
  ASSERT_TRUE(add.ok()) << add.error().to_string();
  disc_.apply(*add);
  auto after = disc_.read();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->files.size(), 5u) << "a, b and two parts of many";
  auto removal = plan({}, {"many.ts"});
  ASSERT_TRUE(removal.ok()) << removal.error().to_string();
  EXPECT_EQ(removal->removed, 2u);
  disc_.apply(*removal);
  after = disc_.read();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(names(*after), (std::vector<std::string>{"/DISCREC", "/DISCREC/a.ts", "/DISCREC/b.ts"}));
}

TEST_F(UdfVolumeUpdate, RefusesWhatItCannotDoSafely) {
  auto missing = plan({}, {"nope.ts"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);

  auto live = disc_.read();
  ASSERT_TRUE(live.ok());
  FileSpec dup = file("a.ts", free_runs(*live, kUnit).back().lba, 32);
  auto taken = plan({dup});
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code(), ErrorCode::kInvalidArgument) << taken.error().to_string();

  FileSpec overlap = file("x.ts", live->partition_start + live->partition_length - 4, 32);
  auto outside = plan({overlap});
  ASSERT_FALSE(outside.ok());

  // An integrity descriptor left open (a writer that crashed) is not updated.
  ParsedVolume open = *live;
  open.integrity_closed = false;
  auto refused = check_updatable(open, kCapacity);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(refused.error().message().find("integrity"), std::string::npos);
  ParsedVolume newer = *live;
  newer.udf_revision = 0x0250;
  refused = check_updatable(newer, kCapacity);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("UDF 2.50"), std::string::npos) << refused.error().to_string();

  // Full: no run holds the metadata.
  std::vector<SectorRun> everything{{live->partition_start, live->partition_length}};
  MemorySectorSource source(disc_.bytes);
  VolumeChange change;
  change.remove = {"a.ts"};
  change.in_use = everything;
  auto full = plan_update(source, *live, change, kUnit);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code(), ErrorCode::kResourceExhausted);
}

TEST_F(UdfVolumeUpdate, TheReserveForTheUpdateHoldsTheWorstCase) {
  auto live = disc_.read();
  ASSERT_TRUE(live.ok());
  const SectorRun run = free_runs(*live, kUnit).back();
  // A recording interleaved unit by unit with another: one extent per unit.
  const uint32_t reserve = update_reserve_sectors(*live, run.sectors / 2, 1, kUnit);
  FileSpec worst{"worst.ts", 0, kT0, kT0, {}};
  for (uint32_t at = run.lba; at + 2 * kUnit <= run.end() - reserve; at += 2 * kUnit) worst.extents.push_back({at, kUnit});
  worst.size = uint64_t{worst.extents.size()} * kUnit * kSectorSize;
  MemorySectorSource source(disc_.bytes);
  VolumeChange change;
  change.add = {worst};
  // The other recording's units are taken too, and every other free run:
  // only the reserve is left.
  for (uint32_t at = run.lba + kUnit; at < run.end() - reserve; at += 2 * kUnit) change.in_use.push_back({at, kUnit});
  for (const SectorRun& other : free_runs(*live, kUnit))
    if (other.lba != run.lba) change.in_use.push_back(other);
  auto update = plan_update(source, *live, change, kUnit);
  ASSERT_TRUE(update.ok()) << update.error().to_string();
  EXPECT_GE(update->metadata.lba, run.end() - reserve - kUnit);
}

}  // namespace
}  // namespace discrec::recorder::udf
