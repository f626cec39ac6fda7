// plan_next_session and the session-shifted volume, in memory: where the
// second session's descriptors go, what its partition covers, what it keeps
// of the first session, and what it refuses.
#include <gtest/gtest.h>

#include "recorder/udf/multisession.h"

namespace discrec::recorder::udf {
namespace {

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'795'000'000));

// A write-once disc in memory: LBA n at byte n * 2048, ending at its last write.
struct MemoryDisc {
  std::vector<uint8_t> bytes;
  void write(const std::vector<SectorWrite>& writes) {
    for (const SectorWrite& w : writes) {
      const size_t end = size_t{w.lba} * kSectorSize + w.bytes.size();
      if (bytes.size() < end) bytes.resize(end);
      std::copy(w.bytes.begin(), w.bytes.end(), bytes.begin() + size_t{w.lba} * kSectorSize);
    }
  }
  uint32_t sectors() const { return static_cast<uint32_t>(bytes.size() / kSectorSize); }
};

FileSpec recording(const std::string& id, uint32_t lba, uint32_t sectors, bool lost_middle = false) {
  FileSpec f{recording_file_name(kT0, id, "cam"), uint64_t{sectors} * kSectorSize - 100, kT0, kT0, {}};
  if (lost_middle) {
    f.extents = {{lba, 16}, {lba + 16, 16, false}, {lba + 32, sectors - 32}};
  } else {
    f.extents = {{lba, sectors}};
  }
  return f;
}

struct TwoSessions {
  MemoryDisc disc;
  VolumeLayout first, second;
  VolumeSpec first_spec, second_spec;
};

// Session 1 at 0, session 2 right after it (as the emulated drive places it).
TwoSessions two_sessions(LostExtentEncoding lost) {
  TwoSessions t;
  LayoutRequest request{MediaKind::kSequentialWriteOnce, 100'000, 16, 10};
  t.first = *plan_layout(request);
  t.first_spec = {"EVENT 2026", kT0, kT0 + std::chrono::hours(1), {recording("a", t.first.data_start, 64, true)}, 0};
  t.first_spec.lost_extents = lost;
  auto writes = build_volume(t.first, t.first_spec);
  EXPECT_TRUE(writes.ok()) << writes.error().to_string();
  t.disc.write(*writes);
  MemorySectorSource source(t.disc.bytes);
  auto previous = read_volume_at(source, 0);
  EXPECT_TRUE(previous.ok()) << previous.error().to_string();
  const uint32_t start = (t.disc.sectors() + 15) / 16 * 16;
  auto plan = plan_next_session(*previous, {start, 100'000 - start, 16, 10});
  EXPECT_TRUE(plan.ok()) << plan.error().to_string();
  t.second = plan->layout;
  t.second_spec = plan->spec;
  t.second_spec.lost_extents = lost;
  t.second_spec.finalized = kT0 + std::chrono::hours(2);
  t.second_spec.files.push_back(recording("b", t.second.data_start, 48, true));
  writes = build_volume(t.second, t.second_spec);
  EXPECT_TRUE(writes.ok()) << writes.error().to_string();
  t.disc.write(*writes);
  return t;
}

TEST(Multisession, SecondSessionVolumeSitsInItsSessionAndCoversTheFirst) {
  TwoSessions t = two_sessions(LostExtentEncoding::kAllocatedNotRecorded);
  const uint32_t s = t.second.session_start;
  EXPECT_EQ(t.second.partition_start, kPartitionStart);
  EXPECT_EQ(t.second.data_start % 16, 0u);
  EXPECT_GT(t.second.data_start, s + kPartitionStart);
  // VRS at S+16..18.
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&t.disc.bytes[(size_t{s} + 17) * kSectorSize + 1]), 5), "NSR03");
  MemorySectorSource source(t.disc.bytes);
  auto v = read_volume_at(source, s);
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(v->anchor_lba, s + kAnchorLba);
  EXPECT_EQ(v->main_vds.lba, s + kMainVdsLba);
  EXPECT_EQ(v->integrity.lba, s + kIntegrityLba);
  EXPECT_EQ(v->anchors, (std::vector<uint32_t>{s + kAnchorLba, t.disc.sectors() - 1}));
  EXPECT_EQ(v->partition_start, kPartitionStart);
  EXPECT_EQ(v->partition_start + v->partition_length, t.second.data_start + 48);
  EXPECT_EQ(v->fsd_block, s + t.second.first_block);  // its first block after its own anchor unit
  EXPECT_EQ(v->label, "EVENT 2026");
  EXPECT_EQ(v->volume_id, "EVENT 2026");
  EXPECT_EQ(v->volume_created, kT0);
  EXPECT_TRUE(check_recordings(*v, t.second_spec).ok());
  // The same volume set as session 1's.
  auto first = read_volume_at(source, 0);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->files.size(), 2u);  // /DISCREC and "a": readers at 256 see session 1
  EXPECT_EQ(first->volume_set, v->volume_set);
  EXPECT_EQ(first->volume_set.substr(16), " EVENT 2026");
}

TEST(Multisession, ZeroFilledLostExtentsStayLostAcrossSessions) {
  TwoSessions t = two_sessions(LostExtentEncoding::kZeroFilled);
  MemorySectorSource source(t.disc.bytes);
  auto v = read_volume_at(source, t.second.session_start);
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_TRUE(check_recordings(*v, t.second_spec).ok());
  auto files = recordings_from(*v);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 2u);
  for (const FileSpec& f : *files) {
    ASSERT_EQ(f.extents.size(), 3u) << f.name;
    EXPECT_FALSE(f.extents[1].recorded) << f.name << ": the zero run is known as lost";
  }
  // And a third session still reads them so.
  const uint32_t start = (t.disc.sectors() + 15) / 16 * 16;
  auto plan = plan_next_session(*v, {start, 100'000 - start, 16, 10});
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  plan->spec.lost_extents = LostExtentEncoding::kZeroFilled;
  auto writes = build_volume(plan->layout, plan->spec);
  ASSERT_TRUE(writes.ok()) << writes.error().to_string();
  t.disc.write(*writes);
  MemorySectorSource third_source(t.disc.bytes);
  auto third = read_volume_at(third_source, start);
  ASSERT_TRUE(third.ok()) << third.error().to_string();
  EXPECT_TRUE(check_recordings(*third, plan->spec).ok());
}

TEST(Multisession, RefusesSessionStartsThatCannotBe) {
  TwoSessions t = two_sessions(LostExtentEncoding::kAllocatedNotRecorded);
  MemorySectorSource source(t.disc.bytes);
  auto v = read_volume_at(source, t.second.session_start);
  ASSERT_TRUE(v.ok());
  const uint32_t end = t.disc.sectors();
  // Not unit-aligned; inside the previous session; a session too small.
  EXPECT_EQ(plan_next_session(*v, {end + 8, 50'000, 16, 10}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(plan_next_session(*v, {t.second.data_start, 50'000, 16, 10}).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(plan_next_session(*v, {(end + 15) / 16 * 16, 300, 16, 10}).error().code(),
            ErrorCode::kResourceExhausted);
  // A volume with files discrec would not carry over.
  ParsedVolume foreign = *v;
  ParsedFile other;
  other.path = "/README.TXT";
  foreign.files.push_back(other);
  auto refused = plan_next_session(foreign, {(end + 15) / 16 * 16, 50'000, 16, 10});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(refused.error().to_string().find("/README.TXT"), std::string::npos) << refused.error().to_string();
  // A later session's data must stay inside its own data area or the earlier sessions'.
  VolumeSpec spec = t.second_spec;
  spec.files.push_back(recording("c", t.second.session_start + 300, 16));
  EXPECT_EQ(build_volume(t.second, spec).error().code(), ErrorCode::kInvalidArgument);
  // Sessions are for write-once media.
  VolumeLayout random = t.second;
  random.kind = MediaKind::kRandomAccess;
  EXPECT_EQ(build_volume(random, t.second_spec).error().code(), ErrorCode::kInvalidArgument);
}

TEST(Multisession, MetadataAreaGrowsWithTheEarlierRecordings) {
  LayoutRequest request{MediaKind::kSequentialWriteOnce, 100'000, 16, 10};
  VolumeLayout first = *plan_layout(request);
  VolumeSpec spec{"L", kT0, kT0, {}, 0};
  for (int i = 0; i < 10; ++i) spec.files.push_back(recording("r" + std::to_string(i), first.data_start + 64 * i, 64));
  MemoryDisc disc;
  disc.write(*build_volume(first, spec));
  MemorySectorSource source(disc.bytes);
  auto v = read_volume_at(source, 0);
  ASSERT_TRUE(v.ok());
  const uint32_t start = (disc.sectors() + 15) / 16 * 16;
  auto plan = plan_next_session(*v, {start, 100'000 - start, 16, 10});
  ASSERT_TRUE(plan.ok());
  // Room for the ten earlier entries (and their directory entries) on top of
  // what ten new recordings need on the same free blocks; and ten more files allowed.
  const uint32_t earlier = earlier_metadata_blocks(plan->spec.files, plan->spec);
  EXPECT_GE(earlier, 11u);
  LayoutRequest same{MediaKind::kSequentialWriteOnce, 100'000 - start, 16, 10};
  EXPECT_GE(plan->layout.data_start - start, plan_layout(same)->data_start + earlier);
  EXPECT_EQ(plan->layout.max_files, 20u);
  EXPECT_EQ(plan->spec.files.size(), 10u);
}

}  // namespace
}  // namespace discrec::recorder::udf
