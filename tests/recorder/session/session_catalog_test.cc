// The session's catalog records: a recording on an emulated drive is put
// in the catalog as it records, ends, is finalized and verified, and a new
// Recorder over the same state directory (or one that takes a disc up after
// a restart) lists it again.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "recorder/session/recorder.h"
#include "tests/recorder/session/session_test_support.h"
#include "tests/support/process.h"

namespace discrec::recorder {
namespace {

using namespace std::chrono_literals;
using test::SyntheticSources;

class SessionCatalogTest : public ::testing::Test {
 protected:
  SessionCatalogTest() { sources_ = std::make_shared<SyntheticSources>(); }

  RecorderOptions options() const {
    RecorderOptions o;
    o.state_directory = dir_.path();
    o.ring_memory_bytes = 256ull << 20;
    o.default_ring_bytes = 16ull << 20;
    o.tick_interval = 100ms;
    o.disc_space_warnings = {};
    return o;
  }
  std::string sim(const std::string& name) const {
    return test::sim_uri(dir_.path() + "/" + name + ".img") + "?profile=bd-r&speed=4&timing=off";
  }
  static StartRecordingParams params(const std::string& url, uint64_t bitrate = 4'000'000) {
    StartRecordingParams p;
    p.drive_id = "bd0";
    p.source_url = url;
    p.expected_bitrate_bps = bitrate;
    return p;
  }
  template <typename F>
  static bool eventually(F done, Nanos timeout = 20s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }
  static std::optional<CatalogPart> part(const Recorder& recorder, const std::string& id, uint32_t n = 1) {
    auto parts = recorder.catalog(id);
    if (!parts.ok()) return std::nullopt;
    for (auto& p : *parts)
      if (p.part == n) return p;
    return std::nullopt;
  }

  test::TempDir dir_;
  std::shared_ptr<SyntheticSources> sources_;
};

TEST_F(SessionCatalogTest, ARecordingIsCataloguedAsItRecordsEndsIsFinalizedAndVerifiedAndAfterARestart) {
  sources_->add("udp://239.0.0.1:5004", {4'000'000, 1'500'000});
  sources_->add("udp://239.0.0.1:5006", {4'000'000, 1'000'000});
  std::string disc;
  uint64_t written = 0;
  {
    Recorder recorder(options(), sources_);
    ASSERT_TRUE(recorder.add_drive({"bd0", sim("bd0")}).ok());
    ASSERT_TRUE(recorder.catalog().ok());
    EXPECT_TRUE(recorder.catalog()->empty());
    auto subscription = recorder.events().subscribe("bd0");

    StartRecordingParams first = params("udp://239.0.0.1:5004");
    first.title = "Evening news";
    auto rec = recorder.start_recording(first);
    ASSERT_TRUE(rec.ok()) << rec.error().to_string();
    // A pool's part: filed under the pool's recording, not the drive's id.
    StartRecordingParams pooled = params("udp://239.0.0.1:5006");
    pooled.catalog_recording = "night-2026-12-05";
    pooled.catalog_part = 2;
    pooled.pool = "night";
    auto second = recorder.start_recording(pooled);
    ASSERT_TRUE(second.ok()) << second.error().to_string();

    auto recording = part(recorder, rec->id);
    ASSERT_TRUE(recording.has_value());
    EXPECT_EQ(recording->drive_id, "bd0");
    EXPECT_EQ(recording->drive_recording_id, rec->id);
    EXPECT_EQ(recording->title, "Evening news");
    EXPECT_EQ(recording->pool, "");
    EXPECT_EQ(recording->disc.size(), 16u) << recording->disc;  // 20261205T031500Z
    disc = recording->disc;
    EXPECT_EQ(recording->start, rec->start_time);
    // Started and still recording, or already ended (a 3 s source).
    EXPECT_TRUE(recording->state == CatalogState::kRecording || recording->state == CatalogState::kEnded);

    ASSERT_TRUE(eventually([&] {
      auto p = part(recorder, rec->id);
      auto q = part(recorder, "night-2026-12-05", 2);
      return p && p->state == CatalogState::kEnded && q && q->state == CatalogState::kEnded;
    }));
    auto info = recorder.get_recording("bd0", rec->id);
    written = info->stats.bytes_written;
    auto ended = part(recorder, rec->id);
    EXPECT_EQ(ended->bytes, written);
    EXPECT_GT(ended->bytes, 1'000'000u);
    ASSERT_TRUE(ended->end.has_value());
    EXPECT_EQ(*ended->end, *info->end_time);
    EXPECT_EQ(ended->lost_extents, 0u);
    auto pool_part = part(recorder, "night-2026-12-05", 2);
    EXPECT_EQ(pool_part->pool, "night");
    EXPECT_EQ(pool_part->drive_recording_id, second->id);
    EXPECT_EQ(pool_part->disc, disc);
    EXPECT_TRUE(recorder.catalog(second->id)->empty());

    FinalizeParams finalize;
    finalize.volume_label = "NEWS 1";
    auto finalized = recorder.finalize_disc("bd0", finalize, [](const DiscProgress&) {});
    ASSERT_TRUE(finalized.ok()) << finalized.error().to_string();
    auto after = part(recorder, rec->id);
    EXPECT_EQ(after->state, CatalogState::kFinalized);
    EXPECT_EQ(after->volume_id, "NEWS 1");
    EXPECT_EQ(after->label, "NEWS 1");
    EXPECT_EQ(after->bytes, written);
    EXPECT_EQ(part(recorder, "night-2026-12-05", 2)->state, CatalogState::kFinalized);
    // The pool code notes the changer slot; the session's later puts keep it.
    CatalogPart slotted = *part(recorder, "night-2026-12-05", 2);
    slotted.slot = 7;
    ASSERT_TRUE(recorder.put_catalog_part(slotted).ok());

    auto verified = recorder.verify_disc("bd0", [](const DiscProgress&) {});
    ASSERT_TRUE(verified.ok()) << verified.error().to_string();
    ASSERT_TRUE(verified->mismatches.empty());
    EXPECT_EQ(part(recorder, rec->id)->state, CatalogState::kVerified);
    EXPECT_EQ(part(recorder, "night-2026-12-05", 2)->state, CatalogState::kVerified);
    EXPECT_EQ(part(recorder, "night-2026-12-05", 2)->slot, std::optional<uint32_t>(7));
    // No put failed.
    while (auto e = subscription->next(0ms))
      EXPECT_EQ(e->message.find("catalog"), std::string::npos) << e->message;
  }
  // A new Recorder over the same state directory: the catalog is the file's.
  Recorder recorder(options(), sources_);
  auto parts = recorder.catalog();
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].recording_id, "night-2026-12-05");
  const CatalogPart& again = (*parts)[1];
  EXPECT_EQ(again.part, 1u);
  EXPECT_EQ(again.state, CatalogState::kVerified);
  EXPECT_EQ(again.volume_id, "NEWS 1");
  EXPECT_EQ(again.bytes, written);
  EXPECT_EQ(again.disc, disc);
  // The finalized disc still in the drive is taken up again (its retired
  // journal): it stays verified.
  ASSERT_TRUE(recorder.add_drive({"bd0", sim("bd0")}).ok());
  recorder.start_recovery();
  ASSERT_TRUE(eventually([&] {
    auto r = recorder.list_recordings("bd0");
    return r.ok() && r->size() == 2;
  }));
  EXPECT_EQ(part(recorder, again.recording_id)->state, CatalogState::kVerified);
}

// A Recorder stopped mid-disc leaves its recordings ended; the next takes
// the disc up and finalizes it. A disc whose journal came without its
// catalog (another state directory) is catalogued from the journal, and a
// recording id another disc's part has is filed under "<id>@<disc>".
TEST_F(SessionCatalogTest, ADiscTakenUpAfterARestartIsCataloguedFromItsJournal) {
  sources_->add("udp://239.0.0.1:5008", {4'000'000, 0});
  std::string id;
  {
    Recorder recorder(options(), sources_);
    ASSERT_TRUE(recorder.add_drive({"bd0", sim("bd0")}).ok());
    auto rec = recorder.start_recording(params("udp://239.0.0.1:5008"));
    ASSERT_TRUE(rec.ok()) << rec.error().to_string();
    id = rec->id;
    ASSERT_TRUE(eventually([&] { return recorder.get_recording("bd0", id)->stats.bytes_written > 500'000; }));
    EXPECT_EQ(part(recorder, id)->state, CatalogState::kRecording);
  }  // stops every recording: the disc stays open
  {
    Recorder recorder(options(), sources_);
    auto stopped = part(recorder, id);
    ASSERT_TRUE(stopped.has_value());
    EXPECT_EQ(stopped->state, CatalogState::kEnded);
    EXPECT_GT(stopped->bytes, 500'000u);
  }
  // Elsewhere, with the journal and disc but a catalog that has another
  // disc's part under the same id.
  test::TempDir after;
  namespace fs = std::filesystem;
  fs::copy_file(dir_.path() + "/journal-bd0.bin", after.path() + "/journal-bd0.bin");
  for (const char* suffix : {".img", ".img.state"})
    fs::copy_file(dir_.path() + "/bd0" + suffix, after.path() + "/bd0" + suffix);
  RecorderOptions o = options();
  o.state_directory = after.path();
  Recorder recorder(o, sources_);
  CatalogPart other;
  other.recording_id = id;
  other.drive_id = "bd1";
  other.drive_recording_id = id;
  other.disc = "20250101T000000Z";
  other.state = CatalogState::kFinalized;
  ASSERT_TRUE(recorder.put_catalog_part(other).ok());
  ASSERT_TRUE(recorder.add_drive({"bd0", test::sim_uri(after.path() + "/bd0.img") + "?profile=bd-r&speed=4&timing=off"}).ok());
  recorder.start_recovery();
  ASSERT_TRUE(eventually([&] {
    auto r = recorder.get_recording("bd0", id);
    return r.ok() && r->state == RecordingState::kRecovered;
  }));
  auto parts = recorder.catalog();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0], other);  // untouched
  const CatalogPart taken = (*parts)[1];
  EXPECT_EQ(taken.recording_id.substr(0, id.size() + 1), id + "@");
  EXPECT_EQ(taken.recording_id.substr(id.size() + 1), taken.disc);
  EXPECT_EQ(taken.drive_recording_id, id);
  EXPECT_EQ(taken.state, CatalogState::kEnded);
  EXPECT_EQ(taken.bytes, recorder.get_recording("bd0", id)->stats.bytes_written);
  auto finalized = recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {});
  ASSERT_TRUE(finalized.ok()) << finalized.error().to_string();
  auto done = recorder.catalog(taken.recording_id);
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ(done->front().state, CatalogState::kFinalized);
  EXPECT_EQ(done->front().volume_id, "DISCREC");
}

// A catalog that cannot be kept costs the catalog, not the recording.
TEST_F(SessionCatalogTest, ACatalogThatCannotBeOpenedIsSaidAndRecordingGoesOn) {
  std::filesystem::create_directory(dir_.path() + "/catalog");  // in the way
  Recorder recorder(options(), sources_);
  auto listed = recorder.catalog();
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().code(), ErrorCode::kUnavailable);
  auto history = recorder.events().history({}, recorder.events().last_sequence(), 100);
  ASSERT_FALSE(history.empty());
  EXPECT_NE(history.front().message.find("catalog"), std::string::npos) << history.front().message;
  EXPECT_EQ(recorder.catalog_open_note(), history.front().message);
  ASSERT_TRUE(recorder.add_drive({"bd0", sim("bd0")}).ok());
  sources_->add("udp://239.0.0.1:5010", {4'000'000, 500'000});
  auto rec = recorder.start_recording(params("udp://239.0.0.1:5010"));
  ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  ASSERT_TRUE(eventually([&] { return recorder.get_recording("bd0", rec->id)->state == RecordingState::kStopped; }));
  ASSERT_TRUE(recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {}).ok());

  RecorderOptions none = options();
  none.state_directory.clear();
  Recorder without(none, sources_);
  EXPECT_EQ(without.catalog().error().code(), ErrorCode::kFailedPrecondition);
}

// A crash while the catalog was written leaves a torn end: the next start
// cuts it off, keeps the rest and says so.
TEST_F(SessionCatalogTest, ATornCatalogIsRepairedAtStartAndSaidSo) {
  {
    auto catalog = Catalog::open(dir_.path() + "/catalog");
    ASSERT_TRUE(catalog.ok());
    CatalogPart p;
    p.recording_id = "rec001";
    p.state = CatalogState::kFinalized;
    ASSERT_TRUE((*catalog)->put(p).ok());
  }
  std::ofstream(dir_.path() + "/catalog", std::ios::binary | std::ios::app).write("\x40\x00\x00", 3);
  Recorder recorder(options(), sources_);
  EXPECT_NE(recorder.catalog_open_note().find("torn"), std::string::npos) << recorder.catalog_open_note();
  auto parts = recorder.catalog();
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ(parts->front().state, CatalogState::kFinalized);
}

}  // namespace
}  // namespace discrec::recorder
