// The catalog file: put, replace and list; reopening; a tail torn at every
// byte or corrupted; rewriting; hostile lengths; the bound on parts.
#include "recorder/session/catalog.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "recorder/session/crc32c.h"
#include "tests/support/process.h"

namespace discrec::recorder {
namespace {

using namespace std::chrono_literals;

CatalogPart part_of(const std::string& recording, uint32_t part, CatalogState state = CatalogState::kRecording) {
  CatalogPart p;
  p.recording_id = recording;
  p.part = part;
  p.title = "Evening news";
  p.drive_id = "bd0";
  p.drive_recording_id = recording;
  p.disc = "20261205T031500Z";
  p.start = WallTime{} + std::chrono::seconds(1'780'000'000) + std::chrono::microseconds(part);
  p.state = state;
  return p;
}

std::vector<uint8_t> bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, std::span<const uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

TEST(CatalogTest, EveryStateSurvivesReopeningWithItsName) {
  test::TempDir dir;
  const std::string path = dir.file("catalog");
  const std::pair<CatalogState, const char*> states[] = {
      {CatalogState::kRecording, "recording"}, {CatalogState::kEnded, "ended"},
      {CatalogState::kFinalizing, "finalizing"}, {CatalogState::kFinalized, "finalized"},
      {CatalogState::kVerified, "verified"},   {CatalogState::kFailed, "failed"},
      {CatalogState::kDeleted, "deleted"}};
  {
    auto catalog = Catalog::open(path);
    ASSERT_TRUE(catalog.ok()) << catalog.error().to_string();
    uint32_t n = 0;
    for (const auto& [state, name] : states) ASSERT_TRUE((*catalog)->put(part_of("rec", ++n, state)).ok());
  }
  auto reopened = Catalog::open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->repaired(), "");
  uint32_t n = 0;
  for (const auto& [state, name] : states) {
    auto part = (*reopened)->find("rec", ++n);
    ASSERT_TRUE(part) << name;
    EXPECT_EQ(part->state, state) << name;
    EXPECT_STREQ(catalog_state_name(state), name);
  }
}

TEST(CatalogTest, PutsReplaceByRecordingAndPartAndListSortedAndSurviveReopening) {
  test::TempDir dir;
  const std::string path = dir.file("catalog");
  CatalogPart finished = part_of("rec002", 1, CatalogState::kFinalized);
  finished.pool = "night";
  finished.volume_id = "NEWS 2";
  finished.label = "NEWS 2";
  finished.slot = 7;
  finished.end = finished.start + 90min;
  finished.bytes = 123'456'789;
  finished.lost_extents = 2;
  finished.lost_bytes = 65536;
  finished.note = "2 extents lost";
  {
    auto catalog = Catalog::open(path);
    ASSERT_TRUE(catalog.ok()) << catalog.error().to_string();
    EXPECT_EQ((*catalog)->repaired(), "");
    ASSERT_TRUE((*catalog)->put(part_of("rec002", 2)).ok());
    ASSERT_TRUE((*catalog)->put(part_of("rec001", 1)).ok());
    ASSERT_TRUE((*catalog)->put(part_of("rec002", 1)).ok());
    ASSERT_TRUE((*catalog)->put(finished).ok());  // replaces part 1
    auto all = (*catalog)->parts();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].recording_id, "rec001");
    EXPECT_EQ(all[1], finished);
    EXPECT_EQ(all[2].part, 2u);
    auto two = (*catalog)->parts("rec002");
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[0].part, 1u);
    EXPECT_TRUE((*catalog)->parts("rec00").empty());
    // Pages: only what is asked for, from where it is asked.
    auto page = (*catalog)->parts({}, 1, 1);
    ASSERT_EQ(page.size(), 1u);
    EXPECT_EQ(page[0], finished);
    EXPECT_EQ((*catalog)->parts({}, 2, 5).size(), 1u);
    EXPECT_TRUE((*catalog)->parts({}, 3, 5).empty());
    ASSERT_EQ((*catalog)->parts("rec002", 1, 5).size(), 1u);
    EXPECT_EQ((*catalog)->parts("rec002", 1, 5)[0].part, 2u);
    EXPECT_TRUE((*catalog)->parts("rec002", 0, 0).empty());
    EXPECT_EQ((*catalog)->records_in_file(), 4u);
    EXPECT_FALSE(Catalog::open(dir.file("none/catalog")).ok());
    EXPECT_EQ((*catalog)->put(part_of("", 1)).error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ((*catalog)->put(part_of("rec003", 0)).error().code(), ErrorCode::kInvalidArgument);
  }
  auto again = Catalog::open(path);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ((*again)->repaired(), "");
  auto all = (*again)->parts();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1], finished);
  EXPECT_EQ(*(*again)->find("rec002", 1), finished);
  EXPECT_FALSE((*again)->find("rec002", 3).has_value());
}

TEST(CatalogTest, ALongTitleIsCutAtACharacterAndStoredAsCut) {
  test::TempDir dir;
  auto catalog = Catalog::open(dir.file("catalog"));
  ASSERT_TRUE(catalog.ok());
  CatalogPart p = part_of("rec001", 1);
  p.title.clear();
  for (int i = 0; i < 2047; ++i) p.title += "\xC3\xA9";  // é: 4094 bytes
  p.title += "a\xC3\xA9z";                               // the é crosses 4096
  ASSERT_TRUE((*catalog)->put(p).ok());
  const std::string stored = (*catalog)->find("rec001", 1)->title;
  EXPECT_EQ(stored.size(), 4095u);
  EXPECT_EQ(stored.back(), 'a');
  CatalogPart long_id = part_of(std::string(5000, 'r'), 1);
  EXPECT_EQ((*catalog)->put(long_id).error().code(), ErrorCode::kInvalidArgument);
}

// A crash can cut the file anywhere in its last record: every cut opens
// with the records before it, and the next put follows them.
TEST(CatalogTest, AFileCutAtEveryByteOfItsLastRecordOpensWithTheEarlierRecords) {
  test::TempDir dir;
  const std::string path = dir.file("catalog");
  CatalogPart last = part_of("rec001", 1, CatalogState::kEnded);
  last.bytes = 42;
  {
    auto catalog = Catalog::open(path);
    ASSERT_TRUE(catalog.ok());
    ASSERT_TRUE((*catalog)->put(part_of("rec001", 1)).ok());
    ASSERT_TRUE((*catalog)->put(part_of("rec002", 1)).ok());
    ASSERT_TRUE((*catalog)->put(last).ok());
  }
  const auto whole = bytes_of(path);
  const size_t last_size = encode_catalog_record(last).size();
  ASSERT_GT(whole.size(), last_size);
  const size_t before = whole.size() - last_size;
  for (size_t cut = before; cut < whole.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    write_bytes(path, std::span(whole).first(cut));
    auto catalog = Catalog::open(path);
    ASSERT_TRUE(catalog.ok()) << catalog.error().to_string();
    EXPECT_EQ((*catalog)->repaired().empty(), cut == before) << (*catalog)->repaired();
    auto parts = (*catalog)->parts();
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].state, CatalogState::kRecording);  // the record before the torn one
    EXPECT_EQ(parts[0].bytes, 0u);
    EXPECT_EQ(bytes_of(path).size(), before);  // the torn tail is gone from the file
    // What comes next follows the whole records and survives reopening.
    ASSERT_TRUE((*catalog)->put(last).ok());
    catalog.value().reset();
    auto reopened = Catalog::open(path);
    ASSERT_TRUE(reopened.ok());
    EXPECT_EQ((*reopened)->repaired(), "");
    EXPECT_EQ((*reopened)->find("rec001", 1)->bytes, 42u);
  }
  // Even the header: a file cut inside it is taken as a new catalog.
  for (size_t cut = 0; cut < 8; ++cut) {
    write_bytes(path, std::span(whole).first(cut));
    auto catalog = Catalog::open(path);
    ASSERT_TRUE(catalog.ok()) << cut;
    EXPECT_TRUE((*catalog)->parts().empty());
    EXPECT_EQ(bytes_of(path).size(), 8u);
  }
}

TEST(CatalogTest, ARecordWithAWrongChecksumEndsTheFileAndSomeoneElsesFileIsLeftAlone) {
  test::TempDir dir;
  const std::string path = dir.file("catalog");
  {
    auto catalog = Catalog::open(path);
    ASSERT_TRUE(catalog.ok());
    for (const char* id : {"rec001", "rec002", "rec003"}) ASSERT_TRUE((*catalog)->put(part_of(id, 1)).ok());
  }
  auto bytes = bytes_of(path);
  const size_t record = encode_catalog_record(part_of("rec001", 1)).size();
  bytes[8 + record + 20] ^= 0x40;  // inside rec002's payload
  write_bytes(path, bytes);
  auto catalog = Catalog::open(path);
  ASSERT_TRUE(catalog.ok());
  EXPECT_NE((*catalog)->repaired().find("checksum"), std::string::npos) << (*catalog)->repaired();
  ASSERT_EQ((*catalog)->parts().size(), 1u);
  EXPECT_EQ((*catalog)->parts()[0].recording_id, "rec001");
  catalog.value().reset();

  const std::string other = dir.file("other");
  write_bytes(other, std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  auto refused = Catalog::open(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kMalformedResponse);
  EXPECT_EQ(bytes_of(other).size(), 11u);
}

// A length field of 4 GB (or just over the limit) is a corrupt record, not
// an allocation: open() keeps what precedes it and cuts it off.
TEST(CatalogTest, AHostileLengthFieldIsACorruptTailNotAnAllocation) {
  test::TempDir dir;
  const std::string path = dir.file("catalog");
  {
    auto catalog = Catalog::open(path);
    ASSERT_TRUE(catalog.ok());
    ASSERT_TRUE((*catalog)->put(part_of("rec001", 1)).ok());
  }
  const auto good = bytes_of(path);
  for (uint32_t length : {0xFFFFFFFFu, Catalog::kMaxRecordBytes + 1, 0u}) {
    SCOPED_TRACE(length);
    auto bytes = good;
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<uint8_t>(length >> (8 * i)));
    bytes.insert(bytes.end(), {1, 2, 3, 4, 5, 6, 7, 8});
    write_bytes(path, bytes);
    auto catalog = Catalog::open(path);
    ASSERT_TRUE(catalog.ok()) << catalog.error().to_string();
    EXPECT_NE((*catalog)->repaired().find("record length"), std::string::npos) << (*catalog)->repaired();
    EXPECT_EQ((*catalog)->parts().size(), 1u);
    EXPECT_EQ(bytes_of(path), good);
  }
  // A string length inside a record with a good checksum: the record is
  // skipped, the rest of the file read.
  auto bytes = good;
  std::vector<uint8_t> payload = {1, 0xFF, 0xFF, 0xFF, 0x7F};
  const uint32_t crc = crc32c(payload);
  for (uint32_t v : {static_cast<uint32_t>(payload.size()), crc})
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  const auto next = encode_catalog_record(part_of("rec002", 1));
  bytes.insert(bytes.end(), next.begin(), next.end());
  write_bytes(path, bytes);
  auto catalog = Catalog::open(path);
  ASSERT_TRUE(catalog.ok());
  EXPECT_EQ((*catalog)->repaired(), "");
  EXPECT_EQ((*catalog)->parts().size(), 2u);
}

TEST(CatalogTest, RewritingKeepsTheNewestRecordOfEachPart) {
  test::TempDir dir;
  const std::string path = dir.file("catalog");
  CatalogLimits limits;
  limits.compact_after_records = 64;
  {
    auto catalog = Catalog::open(path, limits);
    ASSERT_TRUE(catalog.ok());
    for (uint64_t round = 1; round <= 40; ++round)
      for (const char* id : {"rec001", "rec002", "rec003"}) {
        CatalogPart p = part_of(id, 1, CatalogState::kEnded);
        p.bytes = round;
        ASSERT_TRUE((*catalog)->put(p).ok());
      }
    EXPECT_GE((*catalog)->compactions(), 1u);
    EXPECT_LT((*catalog)->records_in_file(), 70u);
    EXPECT_FALSE(std::filesystem::exists(path + ".new"));
    for (const auto& p : (*catalog)->parts()) EXPECT_EQ(p.bytes, 40u) << p.recording_id;
  }
  EXPECT_LT(bytes_of(path).size(), 70 * encode_catalog_record(part_of("rec001", 1)).size());
  auto catalog = Catalog::open(path, limits);
  ASSERT_TRUE(catalog.ok());
  EXPECT_EQ((*catalog)->repaired(), "");
  auto parts = (*catalog)->parts();
  ASSERT_EQ(parts.size(), 3u);
  for (const auto& p : parts) EXPECT_EQ(p.bytes, 40u) << p.recording_id;

  // A file written by a daemon that never compacted is rewritten on open.
  std::vector<uint8_t> big = bytes_of(path);
  for (int i = 0; i < 200; ++i) {
    auto r = encode_catalog_record(part_of("rec001", 1, CatalogState::kVerified));
    big.insert(big.end(), r.begin(), r.end());
  }
  catalog.value().reset();
  write_bytes(path, big);
  auto rewritten = Catalog::open(path, limits);
  ASSERT_TRUE(rewritten.ok());
  EXPECT_EQ((*rewritten)->records_in_file(), 3u);
  EXPECT_EQ((*rewritten)->find("rec001", 1)->state, CatalogState::kVerified);
}

TEST(CatalogTest, BeyondTheLimitTheOldestSettledPartsGoFirst) {
  test::TempDir dir;
  CatalogLimits limits;
  limits.max_parts = 100;
  auto catalog = Catalog::open(dir.file("catalog"), limits);
  ASSERT_TRUE(catalog.ok());
  // The very oldest is still recording: it stays while settled ones can go.
  ASSERT_TRUE((*catalog)->put(part_of("live", 1, CatalogState::kRecording)).ok());
  for (uint32_t i = 1; i <= 100; ++i) {
    CatalogPart p = part_of("old", i, CatalogState::kFinalized);
    ASSERT_TRUE((*catalog)->put(p).ok());
  }
  auto parts = (*catalog)->parts();
  EXPECT_EQ(parts.size(), 99u);  // 101, less a hundredth of the limit beyond it
  EXPECT_TRUE((*catalog)->find("live", 1).has_value());
  EXPECT_FALSE((*catalog)->find("old", 1).has_value());
  EXPECT_FALSE((*catalog)->find("old", 2).has_value());
  EXPECT_TRUE((*catalog)->find("old", 3).has_value());
  catalog.value().reset();
  auto reopened = Catalog::open(dir.file("catalog"), limits);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->parts().size(), 99u);
  EXPECT_FALSE((*reopened)->find("old", 1).has_value());
}

}  // namespace
}  // namespace discrec::recorder
