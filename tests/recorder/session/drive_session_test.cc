// The session layer on its own: the Recorder and its DriveSessions on
// emulated drives, fed by synthetic sources (no FFmpeg), driven through
// the disc state machine's requests, its refusals, a restart, drive
// failures and drives busy with long commands.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "recorder/session/recorder.h"
#include "tests/recorder/session/session_test_support.h"
#include "tests/support/process.h"

// clang reports its sanitizers through __has_feature only.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DISCREC_TEST_SANITIZED 1
#endif
#endif
#ifndef DISCREC_TEST_SANITIZED
#define DISCREC_TEST_SANITIZED 0
#endif

namespace discrec::recorder {
namespace {

using namespace std::chrono_literals;
using test::SyntheticSources;

class DriveSessionTest : public ::testing::Test {
 protected:
  DriveSessionTest() { sources_ = std::make_shared<SyntheticSources>(); }

  RecorderOptions options() const {
    RecorderOptions o;
    o.state_directory = dir_.path();
    o.ring_memory_bytes = 256ull << 20;
    o.default_ring_bytes = 16ull << 20;
    o.tick_interval = 100ms;
    o.disc_space_warnings = {};
    return o;
  }
  std::string sim(const std::string& name, const std::string& params) const {
    return test::sim_uri(dir_.path() + "/" + name + ".img") + "?" + params;
  }
  std::string faults(const std::string& name, const std::string& script) const {
    const std::string path = dir_.path() + "/" + name + ".faults";
    std::ofstream(path) << script << "\n";
    return path;
  }
  StartRecordingParams params(const std::string& drive, const std::string& url, uint64_t bitrate = 2'000'000) {
    StartRecordingParams p;
    p.drive_id = drive;
    p.source_url = url;
    p.expected_bitrate_bps = bitrate;
    return p;
  }
  // Waits (wall time) until `done` or `timeout`.
  template <typename F>
  static bool eventually(F done, Nanos timeout = 20s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }

  test::TempDir dir_;
  std::shared_ptr<SyntheticSources> sources_;
};

TEST_F(DriveSessionTest, ABlankDiscIsRecordedFinalizedAndVerifiedAndEachStateRefusesWhatItCannotDo) {
  Recorder recorder(options(), sources_);
  ASSERT_TRUE(recorder.add_drive({"bd0", sim("bd0", "profile=bd-r&speed=4&timing=off")}).ok());
  EXPECT_EQ(recorder.get_drive("bd0")->not_ready_reason, "");

  // Blank: nothing to finalize or verify.
  auto early = recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {});
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(early.error().message().find("cannot finalize while the disc is blank"), std::string::npos)
      << early.error().message();

  sources_->add("udp://239.0.0.1:5004", {4'000'000, 1'500'000});
  auto rec = recorder.start_recording(params("bd0", "udp://239.0.0.1:5004", 4'000'000));
  ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  // Recording: the disc cannot leave or be formatted, the speed is fixed.
  auto eject = recorder.eject_medium("bd0");
  ASSERT_FALSE(eject.ok());
  EXPECT_NE(eject.error().message().find("cannot eject while the disc is recording"), std::string::npos)
      << eject.error().message();
  auto format = recorder.format_medium("bd0", false, true);
  ASSERT_FALSE(format.ok());
  EXPECT_NE(format.error().message().find("cannot format while the disc is recording"), std::string::npos);
  auto prepare = recorder.prepare_drive("bd0", 0);
  ASSERT_FALSE(prepare.ok());
  EXPECT_NE(prepare.error().message().find("the speed can change only between discs"), std::string::npos);

  ASSERT_TRUE(eventually([&] { return recorder.get_recording("bd0", rec->id)->state == RecordingState::kStopped; }));
  auto stopped = recorder.get_recording("bd0", rec->id);
  EXPECT_EQ(stopped->stats.bytes_in, 1'500'000u - 1'500'000u % 188);
  EXPECT_EQ(stopped->stats.lost_bytes, 0u);

  std::vector<double> fractions;
  auto finalized = recorder.finalize_disc("bd0", {}, [&](const DiscProgress& p) { fractions.push_back(p.fraction); });
  ASSERT_TRUE(finalized.ok()) << finalized.error().to_string();
  EXPECT_EQ(finalized->files, 1u);
  EXPECT_FALSE(fractions.empty());  // relayed from the command thread to this one
  EXPECT_NE(recorder.get_drive("bd0")->not_ready_reason.find("finalized"), std::string::npos);

  auto verified = recorder.verify_disc("bd0", [](const DiscProgress&) {});
  ASSERT_TRUE(verified.ok()) << verified.error().to_string();
  EXPECT_TRUE(verified->mismatches.empty());
  EXPECT_EQ(verified->files, 1u);

  // Finalized: no second finalize, no recording; eject empties the drive.
  auto again = recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message().find("already finalized"), std::string::npos) << again.error().message();
  auto refused = recorder.start_recording(params("bd0", "udp://239.0.0.1:5006"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("a write-once disc takes no more recordings once it is closed"),
            std::string::npos)
      << refused.error().message();
  ASSERT_TRUE(recorder.eject_medium("bd0").ok());
  EXPECT_EQ(recorder.get_drive("bd0")->not_ready_reason, "no disc in the drive");
  auto none = recorder.verify_disc("bd0", [](const DiscProgress&) {});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("cannot verify while the disc is no medium"), std::string::npos);
  // What was recorded stays listed after the disc left.
  auto listed = recorder.get_recording("bd0", rec->id);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->state, RecordingState::kStopped);
}

TEST_F(DriveSessionTest, AFileGoesAsFastAsTheDriveTakesItNotAtTheGuaranteedSpeed) {
  // A DVD+R written at 4x guarantees ~5.5 MB/s: a quarter of a 2 s budget of
  // that is less than a 4 MiB stripe. The file (an upload: paced by the
  // drive, as a file is) must not wait out the stripe wait for every stripe;
  // the emulated drive without timing takes it at once.
  RecorderOptions o = options();
  o.default_ring_bytes = 8u << 20;  // so a quarter ring (2 MiB) paces it below its declaration
  Recorder recorder(o, sources_);
  ASSERT_TRUE(recorder.add_drive({"dvd0", sim("dvd0", "profile=dvd+r&speed=4&timing=off")}).ok());
  auto prepared = recorder.prepare_drive("dvd0", 5540);
  ASSERT_TRUE(prepared.ok()) << prepared.error().to_string();
  const uint64_t guaranteed = prepared->drive.guaranteed_bytes_per_second;
  ASSERT_GT(guaranteed, 0u);
  ASSERT_LT(guaranteed * 2 / 4, 4u << 20);  // the case: a quarter budget holds less than a stripe
  const uint64_t total = 6 * guaranteed;    // six seconds at the guaranteed speed
  sources_->add("", {0, total});  // an upload opens no URL; as fast as it is taken
  int fds[2];
  ASSERT_TRUE(test::make_pipe(fds));
  ::close(fds[1]);
  // Declared at all that admission grants: a file held to the guaranteed
  // speed would then never be over its declaration (which would let the
  // writer take it unit by unit).
  StartRecordingParams p = params("dvd0", "file:///upload.ts", guaranteed * 8 * 10 / 11);
  p.upload_fd = std::make_shared<SourceFd>(fds[0]);
  const auto t0 = std::chrono::steady_clock::now();
  auto rec = recorder.start_recording(p);
  ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  ASSERT_TRUE(eventually([&] { return recorder.get_recording("dvd0", rec->id)->state == RecordingState::kStopped; },
                         30s))
      << recording_state_name(recorder.get_recording("dvd0", rec->id)->state) << " "
      << recorder.get_recording("dvd0", rec->id)->stats.bytes_in << " of " << total << " in, "
      << recorder.get_recording("dvd0", rec->id)->stats.bytes_written << " written, error "
      << recorder.get_recording("dvd0", rec->id)->error;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto done = recorder.get_recording("dvd0", rec->id);
  EXPECT_EQ(done->stats.bytes_in, total / 188 * 188);
  EXPECT_EQ(done->stats.shed_bytes, 0u);
  // Not timed (a shared machine's clock says nothing): what made it slow
  // was a backlog below a stripe, so the ring never held the stripe the
  // writer waits for and every stripe waited out the stripe wait (six
  // seconds in all, against well under one). The ring now reaches a
  // stripe; before, it stopped at a quarter of the ring.
  EXPECT_GE(done->stats.ring_high_water_bytes, 4u << 20)
      << "the file went at " << static_cast<double>(total) / seconds / 1e6 << " MB/s";
}

// What metrics read: the disc state, the last prepare, the writer's figures
// and the journal's lag while a disc records; this disc's recordings
// without the history; and none of it once the disc left.
TEST_F(DriveSessionTest, ReadsCarryTheDiscStateTheWritersFiguresAndTheJournalsLag) {
  Recorder recorder(options(), sources_);
  ASSERT_TRUE(recorder.add_drive({"bd0", sim("bd0", "profile=bd-r&speed=4&timing=off")}).ok());
  auto idle = recorder.get_drive("bd0");
  EXPECT_EQ(idle->disc_state, "blank");
  EXPECT_FALSE(idle->writer.has_value());
  EXPECT_FALSE(idle->journal.has_value());

  auto rec = recorder.start_recording(params("bd0", "udp://239.0.0.1:5010"));
  ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  ASSERT_TRUE(eventually([&] {
    auto d = recorder.get_drive("bd0");
    return d->writer && d->writer->bytes_written > 0;
  }));
  // Past a journal interval (1 s): the lag is what one sync leaves, not the
  // time since the recording began.
  std::this_thread::sleep_for(2500ms);
  auto busy = recorder.get_drive("bd0");
  EXPECT_EQ(busy->disc_state, "recording");
  ASSERT_TRUE(busy->prepared.has_value());
  EXPECT_TRUE(busy->prepared->opc_performed);
  EXPECT_GT(busy->prepared->effective_write_kbps, 0u);
  ASSERT_TRUE(busy->writer.has_value());
  EXPECT_GT(busy->writer->bytes_written, 0u);
  EXPECT_EQ(busy->writer->lost_extents, 0u);
  ASSERT_TRUE(busy->journal.has_value());
  EXPECT_LT(busy->journal->since_confirmed, 2s);
  EXPECT_LT(busy->journal->unconfirmed_bytes, busy->writer->bytes_written + (1u << 20));
  auto on_disc = recorder.list_disc_recordings();
  ASSERT_EQ(on_disc.size(), 1u);
  EXPECT_EQ(on_disc[0].id, rec->id);
  EXPECT_EQ(on_disc[0].stats.lost_extents, 0u);
  EXPECT_EQ(on_disc[0].stats.overflow_bytes, 0u);

  ASSERT_TRUE(recorder.stop_recording("bd0", rec->id).ok());
  ASSERT_TRUE(recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {}).ok());
  ASSERT_TRUE(recorder.eject_medium("bd0").ok());
  auto gone = recorder.get_drive("bd0");
  EXPECT_EQ(gone->disc_state, "no medium");
  EXPECT_FALSE(gone->writer.has_value());
  EXPECT_FALSE(gone->journal.has_value());
  EXPECT_FALSE(gone->prepared.has_value());
  EXPECT_TRUE(recorder.list_disc_recordings().empty());
  EXPECT_EQ(recorder.list_recordings("")->size(), 1u) << "the history still lists it";
}

TEST_F(DriveSessionTest, AStoppedRecorderLeavesTheDiscOpenAndTheNextTakesItUpAndFinalizesIt) {
  const std::string uri = sim("bd0", "profile=bd-r&speed=4&timing=off");
  std::string id;
  uint64_t written = 0;
  sources_->add("udp://239.0.0.1:5008", {4'000'000, 1'000'000});
  {
    Recorder recorder(options(), sources_);
    ASSERT_TRUE(recorder.add_drive({"bd0", uri}).ok());
    auto rec = recorder.start_recording(params("bd0", "udp://239.0.0.1:5008", 4'000'000));
    ASSERT_TRUE(rec.ok()) << rec.error().to_string();
    id = rec->id;
    ASSERT_TRUE(eventually([&] { return recorder.get_recording("bd0", id)->state == RecordingState::kStopped; }));
    written = recorder.get_recording("bd0", id)->stats.bytes_written;
  }
  Recorder recorder(options(), sources_);
  ASSERT_TRUE(recorder.add_drive({"bd0", uri}).ok());
  recorder.start_recovery();  // on the drive's command thread, in the background
  ASSERT_TRUE(eventually([&] {
    auto r = recorder.get_recording("bd0", id);
    return r.ok() && r->state == RecordingState::kRecovered;
  }));
  EXPECT_EQ(recorder.get_drive("bd0")->not_ready_reason, "");
  ASSERT_TRUE(recorder.get_drive("bd0")->space.has_value());  // open: space is known before a writer exists
  auto finalized = recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {});
  ASSERT_TRUE(finalized.ok()) << finalized.error().to_string();
  EXPECT_EQ(finalized->files, 1u);
  auto recovered = recorder.get_recording("bd0", id);
  EXPECT_EQ(recovered->stats.bytes_written, written);
}

// A crash, in-process: the journal and then the disc image are copied while
// a recording runs (what a SIGKILL or power cut leaves, the journal never
// ahead of the disc), and a Recorder started on the copies takes the disc
// up: the recording is listed with what the journal confirmed, every
// confirmed unit reads back with its checksum, and the disc finalizes.
TEST_F(DriveSessionTest, ADiscCopiedMidRecordingIsTakenUpFromItsJournalAndFinalizes) {
  test::TempDir after;
  {
    Recorder recorder(options(), sources_);
    ASSERT_TRUE(recorder.add_drive({"bd0", sim("bd0", "profile=bd-r&speed=4&timing=off")}).ok());
    sources_->add("udp://239.0.0.1:5018", {8'000'000, 0});
    auto rec = recorder.start_recording(params("bd0", "udp://239.0.0.1:5018", 8'000'000));
    ASSERT_TRUE(rec.ok()) << rec.error().to_string();
    // Journal syncs (one a second) with data behind them.
    std::this_thread::sleep_for(2500ms);
    ASSERT_GT(recorder.get_recording("bd0", rec->id)->stats.bytes_written, 0u);
    namespace fs = std::filesystem;
    fs::copy_file(dir_.path() + "/journal-bd0.bin", after.path() + "/journal-bd0.bin");
    for (const char* suffix : {".img", ".img.state"})
      fs::copy_file(dir_.path() + "/bd0" + suffix, after.path() + "/bd0" + suffix);
  }
  RecorderOptions o = options();
  o.state_directory = after.path();
  Recorder recorder(o, sources_);
  ASSERT_TRUE(recorder.add_drive({"bd0", test::sim_uri(after.path() + "/bd0.img") + "?profile=bd-r&speed=4&timing=off"}).ok());
  recorder.start_recovery();
  std::optional<RecordingInfo> recovered;
  ASSERT_TRUE(eventually([&] {
    auto r = recorder.list_recordings("bd0");
    if (!r.ok() || r->empty() || r->front().state != RecordingState::kRecovered) return false;
    recovered = r->front();
    return true;
  })) << recorder.get_drive("bd0")->not_ready_reason;
  // 2.5 s at 8 Mbit/s, less what the writer's stripes held back and the
  // last second that was not synced yet.
  EXPECT_GT(recovered->stats.bytes_written, 256'000u);
  EXPECT_EQ(recorder.get_drive("bd0")->not_ready_reason, "");
  auto verified = recorder.verify_disc("bd0", [](const DiscProgress&) {});
  ASSERT_TRUE(verified.ok()) << verified.error().to_string();
  EXPECT_TRUE(verified->mismatches.empty());
  EXPECT_GE(verified->bytes, recovered->stats.bytes_written);  // every confirmed unit read back
  auto finalized = recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {});
  ASSERT_TRUE(finalized.ok()) << finalized.error().to_string();
  EXPECT_EQ(finalized->files, 1u);
  // The file holds what the journal confirmed, cut to whole TS packets.
  EXPECT_LE(finalized->bytes, recovered->stats.bytes_written);
  EXPECT_GT(finalized->bytes + 188, recovered->stats.bytes_written);
}

// Each drive says once that its writer failed, however many drives fail
// and however often the events are looked for.
TEST_F(DriveSessionTest, TwoDrivesWhoseMediaFailAtOnceEachSayItExactlyOnce) {
  Recorder recorder(options(), sources_);
  auto subscription = recorder.events().subscribe("", 4096);
  for (const std::string id : {"bd0", "bd1"})
    ASSERT_TRUE(recorder
                    .add_drive({id, sim(id, "profile=bd-r&speed=4&timing=off&faults=" +
                                                faults(id, "write-error lba=0-99999999"))})
                    .ok());
  for (const std::string id : {"bd0", "bd1"}) {
    auto rec = recorder.start_recording(params(id, "udp://239.0.0.1:5010"));
    ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  }
  // Every write fails: each writer gives up after a few in a row.
  std::map<std::string, int> failure_events;
  auto collect = [&](std::chrono::milliseconds wait) {
    while (auto e = subscription->next(wait))
      if (e->kind == EventKind::kDriveError && e->message.find("in a row") != std::string::npos)
        ++failure_events[e->drive_id];
  };
  ASSERT_TRUE(eventually([&] {
    collect(0ms);
    return failure_events["bd0"] > 0 && failure_events["bd1"] > 0;
  }, 60s));
  std::this_thread::sleep_for(2s);  // twenty ticks of each drive
  collect(0ms);
  EXPECT_EQ(failure_events["bd0"], 1);
  EXPECT_EQ(failure_events["bd1"], 1);
}

// Reads are served from snapshots: a drive formatting for 60 s (simulated)
// and one whose load hangs hold neither the reads of any drive nor the
// recording on a third.
TEST_F(DriveSessionTest, ReadsAnswerAndRecordingGoesOnWhileOtherDrivesFormatAndHang) {
  test::GatedClock format_clock(30s), load_clock(30s);
  RecorderOptions o = options();
  o.open_drive = [&](const std::string& uri) -> Result<std::unique_ptr<device::Drive>> {
    Clock* clock = uri.find("/fmt.img") != std::string::npos    ? &format_clock
                   : uri.find("/hang.img") != std::string::npos ? &load_clock
                                                                : nullptr;
    return device::Drive::open(uri, device::TransportOptions{clock});
  };
  Recorder recorder(o, sources_);
  ASSERT_TRUE(recorder.add_drive({"fmt", sim("fmt", "profile=bd-re&faults=" +
                                                        faults("fmt", "latency delay=60000 opcode=0x04"))})
                  .ok());
  ASSERT_TRUE(recorder.add_drive({"hang", sim("hang", "profile=dvd+r&faults=" + faults("hang", "hang opcode=0x1b"))})
                  .ok());
  ASSERT_TRUE(recorder.add_drive({"rec", sim("rec", "profile=bd-r&speed=4")}).ok());
  auto rec = recorder.start_recording(params("rec", "udp://239.0.0.1:5012", 4'000'000));
  ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  ASSERT_TRUE(eventually([&] { return recorder.get_recording("rec", rec->id)->stats.bytes_written > 0; }));

  std::thread formatting([&] { (void)recorder.format_medium("fmt", false, false); });
  std::thread loading([&] { (void)recorder.load_medium("hang"); });
  ASSERT_TRUE(eventually([&] {
    return recorder.get_drive("fmt")->not_ready_reason == "busy formatting the disc" &&
           recorder.get_drive("hang")->not_ready_reason == "busy loading the disc";
  }));
  // A control call on a busy drive is refused at once, naming what it does.
  auto refused = recorder.start_recording(params("fmt", "udp://239.0.0.1:5014"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message().find("busy formatting the disc"), std::string::npos);

  Nanos slowest{0};
  int reads = 0;
  auto timed = [&](auto read) {
    const auto t0 = std::chrono::steady_clock::now();
    read();
    slowest = std::max<Nanos>(slowest, std::chrono::steady_clock::now() - t0);
    ++reads;
  };
  const uint64_t written_before = recorder.get_recording("rec", rec->id)->stats.bytes_written;
  const auto until = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < until) {
    timed([&] { EXPECT_EQ(recorder.list_drives().size(), 3u); });
    for (const char* id : {"fmt", "hang", "rec"}) timed([&] { EXPECT_TRUE(recorder.get_drive(id).ok()); });
    timed([&] { EXPECT_TRUE(recorder.get_recording("rec", rec->id).ok()); });
    timed([&] { EXPECT_TRUE(recorder.list_recordings("").ok()); });
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_LT(slowest, 50ms) << "slowest of " << reads << " reads";
  auto during = recorder.get_recording("rec", rec->id);
  EXPECT_GT(during->stats.bytes_written, written_before);
  EXPECT_EQ(during->stats.missed_deadlines, 0u);
  EXPECT_EQ(during->stats.shed_bytes, 0u);
  EXPECT_EQ(recorder.get_drive("fmt")->not_ready_reason, "busy formatting the disc");  // still

  format_clock.open_gate();
  load_clock.open_gate();
  formatting.join();
  loading.join();
  EXPECT_EQ(recorder.get_drive("fmt")->not_ready_reason, "");  // formatted: blank
  ASSERT_TRUE(recorder.stop_recording("rec", rec->id).ok());
}

// A request queued behind one that does not end waits no longer than its
// caller's deadline, and is then dropped unrun: the caller's thread is free.
TEST_F(DriveSessionTest, ARequestQueuedBehindAHungCommandGivesUpAtItsDeadline) {
  test::GatedClock opc_clock(30s);
  RecorderOptions o = options();
  o.open_drive = [&](const std::string& uri) -> Result<std::unique_ptr<device::Drive>> {
    return device::Drive::open(uri, device::TransportOptions{&opc_clock});
  };
  Recorder recorder(o, sources_);
  ASSERT_TRUE(recorder.add_drive({"bd0", sim("bd0", "profile=bd-r&faults=" + faults("bd0", "hang opcode=0x54"))}).ok());
  std::thread preparing([&] { (void)recorder.prepare_drive("bd0", 0); });  // SEND OPC hangs
  ASSERT_TRUE(eventually([&] { return recorder.get_drive("bd0")->not_ready_reason.find("busy preparing") == 0; }));
  const auto t0 = std::chrono::steady_clock::now();
  auto queued = recorder.start_recording(params("bd0", "udp://239.0.0.1:5016"), t0 + 300ms);
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(queued.ok());
  EXPECT_EQ(queued.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(queued.error().message().find("did not take up the request to start a recording"), std::string::npos)
      << queued.error().message();
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 2s);
  opc_clock.open_gate();
  preparing.join();
  // The dropped request never ran: nothing was recorded.
  auto listed = recorder.list_recordings("bd0");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

// Issue 19: a drive that does not stream for its medium (tgt's DVD+R) is
// written without the Streaming bit under the default policy, and says so
// everywhere; media with spare areas are not, unless the policy is plain,
// which admits against half the speed. The emulated drive refuses every
// write with the Streaming bit here (streaming=off), so a recording that
// loses nothing was written plain throughout.
TEST_F(DriveSessionTest, WithoutStreamingTheDefaultPolicyWritesPlainWhereTheMediumAllowsAndSaysSo) {
  Recorder recorder(options(), sources_);
  auto events = recorder.events().subscribe("", 4096);
  ASSERT_TRUE(recorder.add_drive({"dvd", sim("dvd", "profile=dvd+r&timing=off&streaming=off")}).ok());
  DriveSpec required{"req", sim("req", "profile=dvd+r&timing=off&streaming=off")};
  required.write_mode = WriteMode::kStreamingRequired;
  ASSERT_TRUE(recorder.add_drive(required).ok());
  ASSERT_TRUE(recorder.add_drive({"spares", sim("spares", "profile=bd-re&formatted=spares&streaming=off&speed=2")}).ok());
  DriveSpec plain{"plain", sim("plain", "profile=bd-re&formatted=spares&streaming=off&speed=2")};
  plain.write_mode = WriteMode::kPlain;
  ASSERT_TRUE(recorder.add_drive(plain).ok());
  ASSERT_TRUE(recorder.add_drive({"streams", sim("streams", "profile=bd-re&formatted=spares&speed=2")}).ok());

  // Before any recording, the drive says what it will do and why.
  auto dvd = recorder.get_drive("dvd");
  ASSERT_TRUE(dvd.ok());
  EXPECT_EQ(dvd->not_ready_reason, "");
  EXPECT_EQ(dvd->write_mode.policy, WriteMode::kStreamingPreferred);
  ASSERT_TRUE(dvd->write_mode.choice);
  EXPECT_FALSE(dvd->write_mode.choice->streaming);
  EXPECT_NE(dvd->write_mode.choice->reason.find("(0x0107) is not current"), std::string::npos)
      << dvd->write_mode.choice->reason;
  EXPECT_NE(recorder.get_drive("req")->not_ready_reason.find("is not current"), std::string::npos);
  const std::string spares_reason = recorder.get_drive("spares")->not_ready_reason;
  EXPECT_NE(spares_reason.find("format the disc without spare areas"), std::string::npos) << spares_reason;

  sources_->add("udp://239.0.0.1:5020", {4'000'000, 3'000'000});
  auto rec = recorder.start_recording(params("dvd", "udp://239.0.0.1:5020", 4'000'000));
  ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  auto refused = recorder.start_recording(params("req", "udp://239.0.0.1:5021"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("write_mode streaming-required"), std::string::npos)
      << refused.error().message();
  auto refused_spares = recorder.start_recording(params("spares", "udp://239.0.0.1:5022"));
  ASSERT_FALSE(refused_spares.ok());
  EXPECT_NE(refused_spares.error().message().find("write_mode = \"plain\""), std::string::npos);

  // Plain on spare areas: admitted against half of what the same drive
  // guarantees when it streams.
  auto on_plain = recorder.start_recording(params("plain", "udp://239.0.0.1:5023"));
  ASSERT_TRUE(on_plain.ok()) << on_plain.error().to_string();
  auto on_streams = recorder.start_recording(params("streams", "udp://239.0.0.1:5024"));
  ASSERT_TRUE(on_streams.ok()) << on_streams.error().to_string();
  const auto plain_drive = recorder.get_drive("plain");
  const auto stream_drive = recorder.get_drive("streams");
  ASSERT_GT(stream_drive->guaranteed_bytes_per_second, 0u);
  EXPECT_EQ(plain_drive->guaranteed_bytes_per_second * 2, stream_drive->guaranteed_bytes_per_second);
  EXPECT_TRUE(plain_drive->write_mode.choice->half_speed);
  EXPECT_TRUE(stream_drive->write_mode.choice->streaming);
  ASSERT_TRUE(recorder.stop_recording("plain", on_plain->id).ok());
  ASSERT_TRUE(recorder.stop_recording("streams", on_streams->id).ok());

  // The recording shows its mode, and the event that it started says so.
  auto running = recorder.get_recording("dvd", rec->id);
  ASSERT_TRUE(running.ok());
  ASSERT_TRUE(running->write_mode && running->write_mode->choice);
  EXPECT_FALSE(running->write_mode->choice->streaming);
  bool announced = false;
  while (auto e = events->next(200ms)) {
    if (e->recording_id == rec->id && e->message.find("writing in plain mode") != std::string::npos) announced = true;
    if (announced) break;
  }
  EXPECT_TRUE(announced);

  ASSERT_TRUE(eventually([&] { return recorder.get_recording("dvd", rec->id)->state == RecordingState::kStopped; }));
  auto stopped = recorder.get_recording("dvd", rec->id);
  EXPECT_EQ(stopped->stats.bytes_written, 3'000'000u - 3'000'000u % 188);
  EXPECT_EQ(stopped->stats.lost_bytes, 0u);
  auto finalized = recorder.finalize_disc("dvd", {}, [](const DiscProgress&) {});
  ASSERT_TRUE(finalized.ok()) << finalized.error().to_string();
  auto verified = recorder.verify_disc("dvd", [](const DiscProgress&) {});
  ASSERT_TRUE(verified.ok()) << verified.error().to_string();
  EXPECT_TRUE(verified->mismatches.empty());
  EXPECT_EQ(verified->files, 1u);
}

}  // namespace
}  // namespace discrec::recorder
