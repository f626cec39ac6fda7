// The product end to end: a real discrecd process, the real CLI and a gRPC
// client, FFmpeg-generated streams, the emulated drive, and readers nobody
// here wrote (udfinfo, 7z, ffprobe) on the finished disc image.
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "tests/integration/daemon/daemon_fixture.h"

namespace discrec::test {
namespace {

using google::protobuf::util::TimeUtil;

// Finalizes bd0's disc and extracts it with 7z into `out`: the one .ts file
// on it, or "" (the test has failed then).
// The scheduling policy (SCHED_OTHER 0, SCHED_FIFO 1, ...) of the thread of
// `pid` named `name`, from /proc/PID/task/TID/stat; -1 if there is none.
int thread_policy(pid_t pid, const std::string& name) {
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::string comm = read_file((task.path() / "comm").string());
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    if (comm != name) continue;
    std::string stat = read_file((task.path() / "stat").string());
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 41 && fields >> field; ++i)  // field 41 is the policy
      if (i == 41) return std::stoi(field);
  }
  return -1;
}

std::string finalize_and_extract_the_recording(Daemon& d, const TempDir& out) {
  grpc::Status status;
  run_disc_operation(d, true, &status);
  EXPECT_TRUE(status.ok()) << status.error_message();
  if (!status.ok()) return "";
  auto files = extract_with_7z(d.image("bd0"), out.path());
  EXPECT_EQ(files.size(), 1u);
  return files.size() == 1 ? files[0] : "";
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_program("ffmpeg")) FAIL() << "ffmpeg is not installed (setup.sh installs it)";
    std::string log;
    ASSERT_TRUE(make_test_stream(source_.file("src.ts"), 10, "libx264", 25, "320x240", &log)) << log;
    source_frames_ = count_video_frames(source_.file("src.ts"));
    ASSERT_GT(source_frames_, 200);
  }

  // A daemon whose bd0 fails one streaming write (3/0C/00 at LBA 5600, a few
  // hundred blocks into the data area after the ~5,200-block metadata area), with
  // src.ts recorded onto it through the CLI as "scratched" (`record` is the
  // CLI's result).
  std::unique_ptr<Daemon> record_across_a_bad_spot(CommandResult* record, const std::string& extra_toml = "") {
    DaemonOptions options;
    options.extra_toml = extra_toml;
    options.files = {{"bad-spot.faults", "write-error lba=5600-5600 count=1\n"}};
    options.sim_drives = {{"bd0", "profile=bd-re&speed=4&faults={dir}/bad-spot.faults"}};
    auto d = std::make_unique<Daemon>(options);
    EXPECT_TRUE(d->started()) << d->log_text();
    *record = d->cli({"record", source_.file("src.ts"), "--drive", "bd0", "--title", "scratched", "--bitrate",
                      "2000000"});
    EXPECT_EQ(record->exit_code, 0) << record->output << d->log_text();
    return d;
  }

  // Records across the bad spot, finalizes with `finalize_args`, and checks
  // that 7-Zip extracts the file: zeros in the lost range, the stream whole
  // around it.
  void expect_7zip_extracts_the_zero_filled_file(const std::string& extra_toml,
                                                 const std::vector<std::string>& finalize_args) {
    CommandResult rec;
    auto daemon = record_across_a_bad_spot(&rec, extra_toml);
    ASSERT_FALSE(HasFailure());
    Daemon& d = *daemon;
    const auto list = list_recordings(d, "drives/bd0");
    ASSERT_EQ(list.recordings_size(), 1);
    ASSERT_EQ(list.recordings(0).lost_extents_size(), 1) << list.DebugString();
    const auto lost = list.recordings(0).lost_extents(0);

    std::vector<std::string> finalize = {"finalize", "bd0", "--label", "ZEROS"};
    finalize.insert(finalize.end(), finalize_args.begin(), finalize_args.end());
    auto fin = d.cli(finalize);
    ASSERT_EQ(fin.exit_code, 0) << fin.output << d.log_text();
    TempDir out;
    auto files = extract_with_7z(d.image("bd0"), out.path());
    ASSERT_EQ(files.size(), 1u);
    const std::string bytes = read_file(files[0]);
    ASSERT_GE(bytes.size(), lost.byte_offset() + lost.byte_count());
    EXPECT_EQ(bytes.size() % 188, 0u);
    const std::string lost_bytes = bytes.substr(lost.byte_offset(), lost.byte_count());
    EXPECT_EQ(lost_bytes.find_first_not_of('\0'), std::string::npos) << "the lost range reads as zeros";
    EXPECT_EQ(bytes[0], '\x47');
    const size_t after = lost.byte_offset() + lost.byte_count();
    ASSERT_LT(after, bytes.size());
    EXPECT_NE(bytes.find('\x47', after), std::string::npos) << "the stream goes on after the lost range";
    // The frames outside the lost range decode (the GOP on each side of it
    // is damaged: 25 frames each).
    const double kept = 1.0 - static_cast<double>(lost.byte_count()) / static_cast<double>(bytes.size());
    EXPECT_GE(count_video_frames(files[0]), static_cast<int>(source_frames_ * kept) - 2 * 25)
        << "lost " << lost.byte_count() << " of " << bytes.size() << " bytes";
    auto ver = d.cli({"verify", "bd0"});
    EXPECT_EQ(ver.exit_code, 0) << ver.output;
    EXPECT_NE(ver.output.find("1 known lost extent"), std::string::npos) << ver.output;
  }

  TempDir source_;
  int source_frames_ = 0;
};

TEST_F(DaemonTest, RecordFinalizeVerifyWithTheCli) {
  Daemon d;
  ASSERT_TRUE(d.started()) << d.log_text();

  auto drives = d.cli({"drives"});
  ASSERT_EQ(drives.exit_code, 0) << drives.output;
  EXPECT_NE(drives.output.find("bd0"), std::string::npos) << drives.output;

  auto rec = d.cli({"record", source_.file("src.ts"), "--drive", "bd0", "--title", "demo", "--bitrate", "2000000"});
  ASSERT_EQ(rec.exit_code, 0) << rec.output << d.log_text();
  EXPECT_NE(rec.output.find("STOPPED"), std::string::npos) << rec.output;

  auto fin = d.cli({"finalize", "bd0", "--label", "DEMO"});
  ASSERT_EQ(fin.exit_code, 0) << fin.output << d.log_text();
  auto ver = d.cli({"verify", "bd0"});
  ASSERT_EQ(ver.exit_code, 0) << ver.output;
  EXPECT_NE(ver.output.find(" 0 mismatch"), std::string::npos) << ver.output;

  // The catalog: the recording is part 1 of itself, on the disc it went
  // onto, verified, under the volume identifier finalize wrote.
  auto catalog = d.cli({"--json", "catalog"});
  ASSERT_EQ(catalog.exit_code, 0) << catalog.output << d.log_text();
  for (const char* field : {"\"part\":1", "\"title\":\"demo\"", "\"volume_id\":\"DEMO\"", "\"label\":\"DEMO\"",
                            "\"state\":\"CATALOG_STATE_VERIFIED\"", "\"recording\":\"drives/bd0/recordings/"})
    EXPECT_NE(catalog.output.find(field), std::string::npos) << field << " in " << catalog.output;
  EXPECT_EQ(catalog.output.find("\"bytes\":\"0\""), std::string::npos) << catalog.output;
  auto listed = d.cli({"catalog"});
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("verified"), std::string::npos) << listed.output;
  EXPECT_NE(listed.output.find("DEMO"), std::string::npos) << listed.output;
  EXPECT_EQ(d.cli({"catalog", "no-such-recording"}).exit_code, 1);

  if (have_program("udfinfo")) {
    auto info = run_command({"udfinfo", d.image("bd0")});
    EXPECT_EQ(info.exit_code, 0) << info.output;
    EXPECT_NE(info.output.find("DEMO"), std::string::npos) << info.output;
  }
  TempDir out;
  auto files = extract_with_7z(d.image("bd0"), out.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_NE(files[0].find("demo"), std::string::npos) << files[0];
  // Remuxed, never re-encoded: every video frame is still there.
  EXPECT_EQ(count_video_frames(files[0]), source_frames_);
  // The file is whole TS packets (padding included).
  EXPECT_EQ(std::filesystem::file_size(files[0]) % 188, 0u);

  auto json = d.cli({"--json", "recordings"});
  ASSERT_EQ(json.exit_code, 0);
  EXPECT_NE(json.output.find("\"disc_path\":\"/DISCREC/"), std::string::npos) << json.output;
  // A file is read faster than any drive writes: it waits for the drive, it is never shed.
  EXPECT_NE(json.output.find("\"shed_bytes\":\"0\""), std::string::npos) << json.output;
}

TEST_F(DaemonTest, TwoConcurrentUdpRecordingsOnOneDrive) {
  Daemon d;
  ASSERT_TRUE(d.started()) << d.log_text();
  v1::Recording a, b;
  ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23401", 2'000'000, &a, "cam-a", 1).ok());
  ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23402", 2'000'000, &b, "cam-b", 2).ok());
  {
    Process send_a({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", source_.file("src.ts"), "-c",
                    "copy", "-f", "mpegts", "udp://127.0.0.1:23401?pkt_size=1316"});
    Process send_b({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", source_.file("src.ts"), "-c",
                    "copy", "-f", "mpegts", "udp://127.0.0.1:23402?pkt_size=1316"});
    EXPECT_EQ(send_a.wait(std::chrono::seconds(60)), 0);
    EXPECT_EQ(send_b.wait(std::chrono::seconds(60)), 0);
  }
  for (const auto* r : {&a, &b}) {
    v1::Recording stopped;
    auto s = stop_recording(d, r->name(), &stopped);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(stopped.state(), v1::RECORDING_STATE_STOPPED) << stopped.DebugString();
    EXPECT_EQ(stopped.stats().shed_bytes(), 0u);
    EXPECT_EQ(stopped.stats().missed_deadlines(), 0u);
    EXPECT_GT(stopped.stats().bytes_written(), 500'000u);
  }
  grpc::Status status;
  auto fin = run_disc_operation(d, true, &status);
  ASSERT_TRUE(status.ok()) << status.error_message() << d.log_text();
  EXPECT_EQ(fin.files(), 2u);
  auto ver = run_disc_operation(d, false, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ver.mismatches_size(), 0);

  TempDir out;
  auto files = extract_with_7z(d.image("bd0"), out.path());
  ASSERT_EQ(files.size(), 2u);
  for (const auto& f : files) {
    // Loopback UDP started after the recording listened: nearly every frame arrives.
    int frames = count_video_frames(f);
    EXPECT_GE(frames, source_frames_ * 9 / 10) << f;
    EXPECT_LE(frames, source_frames_) << f;
  }
}

TEST_F(DaemonTest, AdmissionRefusalAndUnknownDriveAreClear) {
  Daemon d;
  ASSERT_TRUE(d.started()) << d.log_text();
  v1::Recording r;
  auto s = start_recording(d, "drives/bd0", source_.file("src.ts"), 10'000'000'000ull, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_NE(s.error_message().find("Mbit/s"), std::string::npos) << s.error_message();

  s = start_recording(d, "drives/nope", source_.file("src.ts"), 1'000'000, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_NE(s.error_message().find("bd0"), std::string::npos) << "names the configured drives: " << s.error_message();

  s = start_recording(d, "drives/bd0", "nosuchscheme://x", 1'000'000, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();

  auto cli = d.cli({"drive", "nope"});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.output.find("no drive named"), std::string::npos) << cli.output;
}

// The source policy: the daemon opens, connects to and listens on nothing a
// client names that its config does not allow, says the same about a
// missing file as a forbidden one, and shows no client a password.
TEST_F(DaemonTest, SourcePolicyRefusesAndRedacts) {
  DaemonOptions options;
  options.sources_toml = "[sources]\nschemes = [\"udp\", \"rtsp\"]\nnetworks = [\"127.0.0.0/8\"]\ndirectories = [\"" +
                         source_.path() + "\"]\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  v1::Recording r;
  for (std::string url : {"pipe:9", "-", "fd:3", "/etc/passwd", "file:/etc/shadow", "relative.ts",
                          "http://127.0.0.1:1/", "tcp://0.0.0.0:23450?listen=1", "udp://10.0.0.1:23451",
                          "udp://127.0.0.1:23451?fifo_size=1000000000"}) {
    auto s = start_recording(d, "drives/bd0", url, 1'000'000, &r);
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                s.error_code() == grpc::StatusCode::INVALID_ARGUMENT)
        << url << ": " << s.error_code() << " " << s.error_message();
  }
  auto same_words = [](std::string message, const std::string& url) {
    if (auto at = message.find(url); at != std::string::npos) message.replace(at, url.size(), "URL");
    return message;
  };
  const std::string missing_path = source_.file("missing.ts");
  auto missing = start_recording(d, "drives/bd0", missing_path, 1'000'000, &r);
  auto forbidden = start_recording(d, "drives/bd0", "/etc/passwd", 1'000'000, &r);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(same_words(missing.error_message(), missing_path), same_words(forbidden.error_message(), "/etc/passwd"));

  // Nobody listens there: the recording starts and fails, showing no password.
  ASSERT_TRUE(start_recording(d, "drives/bd0", "rtsp://admin:hunter2@127.0.0.1:23452/live", 1'000'000, &r, "cam").ok());
  EXPECT_EQ(r.source_url(), "rtsp://admin:***@127.0.0.1:23452/live");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto list = list_recordings(d, "drives/bd0");
  ASSERT_FALSE(list.recordings().empty());
  for (const auto& rec : list.recordings()) EXPECT_EQ(rec.DebugString().find("hunter2"), std::string::npos) << rec.DebugString();
}

TEST_F(DaemonTest, HostileClientDoesNotDisturbARecording) {
  Daemon d;
  ASSERT_TRUE(d.started()) << d.log_text();
  v1::Recording rec;
  ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23403", 2'000'000, &rec, "steady").ok());
  Process sender({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", source_.file("src.ts"), "-c", "copy",
                  "-f", "mpegts", "udp://127.0.0.1:23403?pkt_size=1316"});

  // Paths and junk as names, huge strings.
  for (const char* name : {"drives/../../dev/sda", "/dev/sr0", "drives//dev/sg0", "drives/bd0/../x", ""}) {
    grpc::ClientContext ctx;
    v1::GetDriveRequest req;
    req.set_name(name);
    v1::Drive out;
    auto s = d.drives->GetDrive(&ctx, req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << name << ": " << s.error_message();
  }
  {
    v1::Recording out;
    auto s = start_recording(d, "drives/bd0", std::string(100'000, 'x'), 1'000'000, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    grpc::ClientContext ctx;
    v1::StartRecordingRequest req;
    req.set_parent("drives/bd0");
    req.set_source_url(source_.file("src.ts"));
    req.set_expected_bitrate_bps(1'000'000);
    req.set_title(std::string(2 << 20, 't'));  // over the message size limit
    auto s2 = d.recordings->StartRecording(&ctx, req, &out);
    EXPECT_FALSE(s2.ok());
    // Memory: a 4 GiB ring is more than all rings may take together.
    grpc::ClientContext ctx3;
    req.set_title("greedy");
    req.set_ring_size_bytes(4ull << 30);
    auto s3 = d.recordings->StartRecording(&ctx3, req, &out);
    EXPECT_EQ(s3.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s3.error_message();
    EXPECT_NE(s3.error_message().find("ring memory"), std::string::npos) << s3.error_message();
  }
  {  // An encoding this daemon does not know of: refused before anything is written.
    grpc::ClientContext ctx;
    v1::FinalizeDiscRequest req;
    req.set_name("drives/bd0");
    req.set_lost_extents(static_cast<v1::LostExtentEncoding>(99));
    auto reader = d.discs->FinalizeDisc(&ctx, req);
    v1::DiscOperationProgress p;
    while (reader->Read(&p)) {
    }
    auto s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  }
  // Thousands of watch streams opened and dropped.
  std::atomic<int> opened{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(20));
        if (i % 2) {
          v1::WatchEventsRequest req;
          auto reader = d.events->WatchEvents(&ctx, req);
          v1::Event e;
          reader->Read(&e);
          reader->Finish();
        } else {
          v1::WatchRecordingRequest req;
          req.set_name(rec.name());
          auto reader = d.recordings->WatchRecording(&ctx, req);
          v1::Recording r;
          reader->Read(&r);
          reader->Finish();
        }
        ++opened;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened.load(), 2000);
  EXPECT_EQ(sender.wait(std::chrono::seconds(60)), 0);

  v1::Recording stopped;
  ASSERT_TRUE(stop_recording(d, rec.name(), &stopped).ok());
  EXPECT_EQ(stopped.state(), v1::RECORDING_STATE_STOPPED);
  EXPECT_EQ(stopped.stats().missed_deadlines(), 0u) << stopped.DebugString();
  EXPECT_EQ(stopped.stats().shed_bytes(), 0u);
  EXPECT_TRUE(stopped.lost_extents().empty());

  grpc::ClientContext info_ctx;
  v1::DaemonInfo info;
  ASSERT_TRUE(d.daemon->GetDaemonInfo(&info_ctx, {}, &info).ok());
  EXPECT_EQ(info.drives_size(), 1);
}

// A drive busy with a long operation (here a verify whose first READ(12)
// takes 6 s) answers reads at once from what it knew when the operation
// began, refuses control calls saying why, and does not hold up the other
// drives: the monitor that turns every drive's changes into events used to
// wait behind it.
TEST_F(DaemonTest, ABusyDriveAnswersAtOnceAndDoesNotHoldUpTheOthers) {
  DaemonOptions options;
  options.files = {{"slow-read.faults", "latency delay=6000 opcode=0xa8\n"}};
  options.sim_drives = {{"bd0", "profile=bd-r&speed=4&faults={dir}/slow-read.faults"},
                        {"bd1", "profile=bd-re&speed=4"}};
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  auto rec = d.cli({"record", source_.file("src.ts"), "--drive", "bd0", "--title", "done"});
  ASSERT_EQ(rec.exit_code, 0) << rec.output << d.log_text();
  v1::Recording live;
  ASSERT_TRUE(start_recording(d, "drives/bd1", "udp://127.0.0.1:23431", 2'000'000, &live, "idle-cam").ok());

  // Every event of bd1, with when it came.
  grpc::ClientContext watch_ctx;
  v1::WatchEventsRequest watch_req;
  watch_req.set_drive("drives/bd1");
  auto watch = d.events->WatchEvents(&watch_ctx, watch_req);
  std::mutex events_mutex;
  std::vector<std::pair<std::chrono::steady_clock::time_point, v1::Event>> events;
  std::thread watcher([&] {
    v1::Event e;
    while (watch->Read(&e)) {
      std::lock_guard lock(events_mutex);
      events.emplace_back(std::chrono::steady_clock::now(), e);
    }
  });

  std::atomic<bool> verified{false};
  grpc::Status verify_status;
  v1::DiscOperationProgress verify_result;
  std::thread verifier([&] {
    verify_result = run_disc_operation(d, false, &verify_status);
    verified = true;
  });
  auto get_drive = [&](const std::string& name, std::chrono::milliseconds* took) {
    grpc::ClientContext ctx;
    v1::GetDriveRequest req;
    req.set_name(name);
    v1::Drive out;
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(d.drives->GetDrive(&ctx, req, &out).ok());
    *took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    return out;
  };
  std::chrono::milliseconds took{};
  v1::Drive busy;
  for (int i = 0; i < 40 && busy.not_ready_reason().find("busy verifying") == std::string::npos; ++i) {
    busy = get_drive("drives/bd0", &took);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(busy.not_ready_reason().find("busy verifying the disc"), std::string::npos) << busy.DebugString();
  EXPECT_LT(took.count(), 1000) << "GetDrive waited behind the verify";
  {
    grpc::ClientContext ctx;
    v1::ListRecordingsRequest req;
    req.set_parent("drives/bd0");
    v1::ListRecordingsResponse list;
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(d.recordings->ListRecordings(&ctx, req, &list).ok());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
    ASSERT_EQ(list.recordings_size(), 1);
    EXPECT_EQ(list.recordings(0).state(), v1::RECORDING_STATE_STOPPED);
  }
  {
    v1::Recording refused;
    auto t0 = std::chrono::steady_clock::now();
    auto s = start_recording(d, "drives/bd0", "udp://127.0.0.1:23432", 1'000'000, &refused);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    EXPECT_NE(s.error_message().find("busy verifying the disc"), std::string::npos) << s.error_message();
    // The CLI tells a busy drive (try again) from a daemon it cannot reach.
    auto eject = d.cli({"eject", "bd0"});
    EXPECT_EQ(eject.exit_code, 4) << eject.output;
    EXPECT_EQ(eject.output.find("cannot reach"), std::string::npos) << eject.output;
  }
  // bd1 goes on as if bd0 were idle: its recording stops and the event for
  // it comes from the monitor within its half-second round.
  ASSERT_FALSE(verified.load()) << "the verify was over too soon to test anything";
  const auto stopped_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(stop_recording(d, live.name()).ok());
  bool event_seen = false;
  bool verify_over_first = false;
  for (int i = 0; i < 100 && !event_seen; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::lock_guard lock(events_mutex);
    for (const auto& [when, e] : events)
      if (e.kind() == v1::EVENT_KIND_RECORDING_STATE && e.recording() == live.name() && when >= stopped_at) {
        event_seen = true;
        verify_over_first = verified.load();
      }
  }
  EXPECT_TRUE(event_seen) << "no event for bd1's stopped recording";
  EXPECT_FALSE(verify_over_first) << "bd1's event waited for bd0's verify";

  verifier.join();
  ASSERT_TRUE(verify_status.ok()) << verify_status.error_message();
  EXPECT_EQ(verify_result.mismatches_size(), 0);
  EXPECT_EQ(get_drive("drives/bd0", &took).not_ready_reason().find("busy"), std::string::npos);
  watch_ctx.TryCancel();
  watcher.join();
}

TEST_F(DaemonTest, SigtermEndsRecordingsCleanly) {
  Daemon d;
  ASSERT_TRUE(d.started()) << d.log_text();
  v1::Recording rec;
  ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23404", 2'000'000, &rec).ok());
  Process sender({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", source_.file("src.ts"), "-c", "copy",
                  "-f", "mpegts", "udp://127.0.0.1:23404?pkt_size=1316"});
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_GT(get_recording(d, rec.name()).stats().bytes_written(), 0u);
  d.process().signal(SIGTERM);
  EXPECT_EQ(d.process().wait(std::chrono::seconds(30)), 0) << d.log_text();
  EXPECT_NE(d.log_text().find("ending recordings cleanly"), std::string::npos) << d.log_text();
}

TEST_F(DaemonTest, LostExtentsAreReportedExactlyAndTheDiscStillReads) {
  // One streaming write in the data area fails with 3/0C/00: it is not
  // retried, its blocks become a lost extent, and writing goes on.
  CommandResult rec;
  auto daemon = record_across_a_bad_spot(&rec);
  ASSERT_FALSE(HasFailure());
  Daemon& d = *daemon;
  EXPECT_NE(rec.output.find("1 lost extent"), std::string::npos) << rec.output;

  const auto list = list_recordings(d, "drives/bd0");
  ASSERT_EQ(list.recordings_size(), 1);
  const auto& r = list.recordings(0);
  ASSERT_EQ(r.lost_extents_size(), 1) << r.DebugString();
  const auto& lost = r.lost_extents(0);
  EXPECT_LE(lost.first_lba(), 5600u);
  EXPECT_GT(lost.first_lba() + lost.block_count(), 5600u);
  EXPECT_NE(lost.sense().find("3/0C/00"), std::string::npos) << lost.sense();
  EXPECT_GT(r.stats().lost_bytes(), 0u);
  EXPECT_EQ(r.stats().shed_bytes(), 0u);

  grpc::Status status;
  auto fin = run_disc_operation(d, true, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(fin.lost_extents(), 1u);
  auto ver = run_disc_operation(d, false, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ver.mismatches_size(), 0) << "lost extents are expected, not mismatches: " << ver.DebugString();
  EXPECT_EQ(ver.lost_extents(), 1u);

  auto info = run_command({"udfinfo", d.image("bd0")});
  EXPECT_EQ(info.exit_code, 0) << info.output;
#ifdef UDFREAD_CHECK
  // libudfread (what players use) lists the file and reads the lost range as zeros.
  auto listing = run_command({UDFREAD_CHECK, d.image("bd0")});
  ASSERT_EQ(listing.exit_code, 0) << listing.output;
  auto at = listing.output.find("/DISCREC/");
  ASSERT_NE(at, std::string::npos) << listing.output;
  std::string path = listing.output.substr(at, listing.output.find('\n', at) - at);
  auto bytes = run_command({UDFREAD_CHECK, d.image("bd0"), path, std::to_string(lost.byte_offset()),
                            std::to_string(lost.byte_count())});
  ASSERT_EQ(bytes.exit_code, 0);
  ASSERT_EQ(bytes.output.size(), lost.byte_count());
  EXPECT_EQ(bytes.output.find_first_not_of('\0'), std::string::npos) << "the lost range reads as zeros";
  auto before = run_command({UDFREAD_CHECK, d.image("bd0"), path, "0", "188"});
  ASSERT_EQ(before.output.size(), 188u);
  EXPECT_EQ(before.output[0], '\x47') << "data before the lost extent is intact TS";
#endif
}

// With --zero-fill-lost the file points at zeroed sectors where a write
// failed, so 7-Zip (which refuses "allocated but not recorded" extents)
// extracts it too, zeros where the data was lost and the stream intact
// around them.
// Issue 17: a drive that is not ready for a moment, and one reset after it
// took a write whose answer was lost, on a write-once disc. Neither is a
// medium error: nothing is lost, the disc finalizes (its file system where
// the drive is), verify finds every unit and no phantom lost extent.
TEST_F(DaemonTest, ANotReadyDriveAndAResetLoseNothingAndTheDiscFinalizesAndVerifies) {
  DaemonOptions options;
  options.files = {{"states.faults",
                    "not-ready opcode=0xaa for=300 ascq=1\n"
                    "reset opcode=0xaa at=1500 for=300 executed=1\n"}};
  options.sim_drives = {{"bd0", "profile=bd-r&speed=4&faults={dir}/states.faults"}};
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  auto rec = d.cli({"record", source_.file("src.ts"), "--drive", "bd0", "--title", "states", "--bitrate", "2000000"});
  ASSERT_EQ(rec.exit_code, 0) << rec.output << d.log_text();
  EXPECT_NE(rec.output.find("STOPPED"), std::string::npos) << rec.output;
  const auto list = list_recordings(d, "drives/bd0");
  ASSERT_EQ(list.recordings_size(), 1);
  const auto& r = list.recordings(0);
  EXPECT_EQ(r.lost_extents_size(), 0) << r.DebugString();
  EXPECT_EQ(r.stats().lost_bytes(), 0u);
  EXPECT_EQ(r.stats().shed_bytes(), 0u);
  EXPECT_EQ(r.stats().bytes_written(), r.stats().bytes_in());
  // The drive monitor announces the pause on its next round.
  for (int i = 0; i < 100 && d.log_text().find("writing paused and went on") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_NE(d.log_text().find("writing paused and went on where the drive is"), std::string::npos)
      << "the not-ready write must have reached the writer: " << d.log_text();

  grpc::Status status;
  auto fin = run_disc_operation(d, true, &status);
  ASSERT_TRUE(status.ok()) << status.error_message() << d.log_text();
  EXPECT_EQ(fin.lost_extents(), 0u);
  auto ver = run_disc_operation(d, false, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ver.mismatches_size(), 0) << ver.DebugString();
  EXPECT_EQ(ver.lost_extents(), 0u) << ver.DebugString();
  if (have_program("udfinfo")) {
    auto info = run_command({"udfinfo", d.image("bd0")});
    EXPECT_EQ(info.exit_code, 0) << info.output;
  }
  if (have_program("7z") || have_program("7zz")) {
    TempDir out;
    auto files = extract_with_7z(d.image("bd0"), out.path());
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(count_video_frames(files[0]), source_frames_);
  }
}

TEST_F(DaemonTest, ZeroFilledLostExtentsLet7ZipExtractTheFile) {
  expect_7zip_extracts_the_zero_filled_file("", {"--zero-fill-lost"});
}

// The same as the daemon's default ([disc] lost_extents), which crash
// recovery also uses.
TEST_F(DaemonTest, ZeroFillCanBeTheDaemonsDefault) {
  expect_7zip_extracts_the_zero_filled_file("[disc]\nlost_extents = \"zero-filled\"\n", {});
}

TEST_F(DaemonTest, ADriveThatHangsLosesWholeGopsAndSaysWhich) {
  // 12 Mbit/s live over UDP into a 2 MiB ring (1.4 s); 5 s after the drive
  // opened, one WRITE(12) takes 2.5 s (under its 3 s timeout). The ring
  // overflows in mid-GOP: the disc must still hold whole GOPs only (12
  // frames each, decoding without an error), and the API must say how much
  // was dropped, when.
  std::string log;
  ASSERT_TRUE(make_12mbit_stream(source_.file("live.ts"), &log)) << log;
  const int offered_frames = count_video_frames(source_.file("live.ts"));
  ASSERT_EQ(offered_frames, 240);
  DaemonOptions options;
  options.files = {{"hang.faults", "latency delay=2500 opcode=0xaa at=5000\n"}};
  options.sim_drives = {{"bd0", "profile=bd-re&speed=4&faults={dir}/hang.faults"}};
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  v1::Recording rec;
  auto started = start_recording(d, "drives/bd0", "udp://127.0.0.1:23421", 12'000'000, &rec, "", 0, 2 << 20);
  ASSERT_TRUE(started.ok()) << started.error_message();
  auto sent = run_command({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i",
                           source_.file("live.ts"), "-c", "copy", "-f", "mpegts",
                           "udp://127.0.0.1:23421?pkt_size=1316"},
                          std::chrono::seconds(60));
  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  v1::Recording stopped;
  ASSERT_TRUE(stop_recording(d, rec.name(), &stopped).ok());
  v1::Recording r;
  for (int i = 0; i < 200; ++i) {
    r = get_recording(d, rec.name());
    if (r.state() == v1::RECORDING_STATE_STOPPED || r.state() == v1::RECORDING_STATE_FAILED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(r.state(), v1::RECORDING_STATE_STOPPED) << r.DebugString() << d.log_text();
  EXPECT_GT(r.stats().shed_bytes(), 0u) << r.DebugString();
  EXPECT_GT(r.stats().shed_gops(), 0u) << r.DebugString();
  ASSERT_GT(r.shed_ranges_size(), 0) << r.DebugString();
  uint64_t ranged_bytes = 0, ranged_gops = 0;
  for (const auto& sh : r.shed_ranges()) {
    ranged_bytes += sh.byte_count();
    ranged_gops += sh.gop_count();
    EXPECT_GE(TimeUtil::DurationToMilliseconds(sh.start()), 0);
  }
  EXPECT_EQ(ranged_bytes, r.stats().shed_bytes()) << "every dropped byte is in a range";
  EXPECT_EQ(ranged_gops, r.stats().shed_gops());

  TempDir out;
  const std::string file = finalize_and_extract_the_recording(d, out);
  ASSERT_FALSE(file.empty());
  const int frames = count_video_frames(file);
  EXPECT_GT(frames, 0);
  EXPECT_LT(frames, offered_frames) << "the hang must have cost something";
  EXPECT_EQ(r.lost_extents_size(), 0) << "the slow write completed";
  // Frames per GOP on disc: 12 each, the last one too (what the demuxer
  // still held when the recording stopped is taken out).
  auto keys = run_command({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=key_frame",
                           "-of", "csv=p=0", file});
  ASSERT_EQ(keys.exit_code, 0) << keys.output;
  std::vector<int> gop_frames;
  std::istringstream lines(keys.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    if (line[0] == '1' || gop_frames.empty()) gop_frames.push_back(0);
    ++gop_frames.back();
  }
  ASSERT_GT(gop_frames.size(), 2u);
  for (size_t g = 0; g < gop_frames.size(); ++g) EXPECT_EQ(gop_frames[g], 12) << "GOP " << g << " on disc in part";
  auto decode = run_command({"ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", file, "-f", "null", "-"});
  EXPECT_EQ(decode.exit_code, 0);
  EXPECT_EQ(decode.output.find("error"), std::string::npos) << decode.output;
}

TEST_F(DaemonTest, AFileFasterThanTheDriveWaitsInsteadOfBeingShed) {
  // 12 MB of video onto a BD-RE at 1x (4.5 MB/s): read at file speed, the
  // backlog would pass the shedding threshold (half the 2 s latency budget
  // at the drive's speed, 4.5 MB) within a fraction of a second.
  auto gen = run_command({"ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                          "testsrc2=size=1280x720:rate=25:duration=8", "-c:v", "libx264", "-preset", "ultrafast",
                          "-g", "25", "-b:v", "12M", "-minrate", "12M", "-maxrate", "12M", "-bufsize", "2M",
                          "-pix_fmt", "yuv420p", "-f", "mpegts", source_.file("big.ts")});
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  ASSERT_GT(std::filesystem::file_size(source_.file("big.ts")), 8'000'000u);
  DaemonOptions options;
  options.sim_drives = {{"bd0", "profile=bd-re&speed=1"}};
  options.write_kbps = 4496;  // 1x: what the admission and shedding thresholds are computed from
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  auto rec = d.cli({"--json", "record", source_.file("big.ts"), "--drive", "bd0", "--bitrate", "12000000"});
  ASSERT_EQ(rec.exit_code, 0) << rec.output << d.log_text();
  EXPECT_NE(rec.output.find("RECORDING_STATE_STOPPED"), std::string::npos) << rec.output;
  EXPECT_EQ(rec.output.find("\"shed_gops\":\"0\"") == std::string::npos, false) << rec.output;
  TempDir out;
  const std::string file = finalize_and_extract_the_recording(d, out);
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(count_video_frames(file), count_video_frames(source_.file("big.ts")));
}

// The daemon's resident memory in bytes (VmRSS), or -1.
long long resident_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  return -1;
}

TEST_F(DaemonTest, AFinishedRecordingGivesItsRingBack) {
  // A stopped recording stays listed (and on the disc) for as long as the
  // disc is in; its 64 MiB ring must not stay with it.
  Daemon d;
  ASSERT_TRUE(d.started()) << d.log_text();
  const long long before = resident_bytes(d.process().pid());
  ASSERT_GT(before, 0);
  auto rec = d.cli({"--json", "record", source_.file("src.ts"), "--drive", "bd0", "--ring-mib", "64"});
  ASSERT_EQ(rec.exit_code, 0) << rec.output << d.log_text();
  ASSERT_NE(rec.output.find("RECORDING_STATE_STOPPED"), std::string::npos) << rec.output;
  long long after = 0;
  for (int i = 0; i < 100; ++i) {
    after = resident_bytes(d.process().pid());
    if (after < before + (32ll << 20)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_LT(after, before + (32ll << 20)) << "resident " << before << " bytes before the recording, " << after
                                          << " after it stopped";
  auto listed = get_recording(d, "drives/bd0/recordings/rec001");
  EXPECT_EQ(listed.state(), v1::RECORDING_STATE_STOPPED);
  EXPECT_GT(listed.stats().bytes_written(), 0u);
}

// Faulting in a large ring takes a noticeable time (~85 ms per 256 MiB
// here) when the ring pool is not locked (it faults in what it carves); the
// drive answers status calls meanwhile, saying so. A locked pool was faulted
// in at start-up, and the ring is carved at once.
TEST_F(DaemonTest, ADriveAnswersWhileARingIsAllocated) {
  Daemon d;
  ASSERT_TRUE(d.started()) << d.log_text();
  std::atomic<bool> started{false};
  std::atomic<int> busy_answers{0};
  std::atomic<int> answers{0};
  std::thread poller([&] {
    while (!started) {
      grpc::ClientContext ctx;
      v1::GetDriveRequest req;
      req.set_name("drives/bd0");
      v1::Drive drive;
      if (!d.drives->GetDrive(&ctx, req, &drive).ok()) continue;
      ++answers;
      if (drive.not_ready_reason().find("busy allocating a recording's ring buffer") != std::string::npos)
        ++busy_answers;
    }
  });
  while (answers < 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  v1::Recording rec;
  auto s = start_recording(d, "drives/bd0", "udp://127.0.0.1:23433", 2'000'000, &rec, "", 0, 512 << 20);
  started = true;
  poller.join();
  ASSERT_TRUE(s.ok()) << s.error_message();
  if (rec.stats().ring_not_locked()) {
    EXPECT_GT(busy_answers.load(), 0) << answers.load() << " answers, none while the ring was allocated";
  }
  EXPECT_TRUE(stop_recording(d, rec.name()).ok());
}

TEST_F(DaemonTest, RingMemoryIsBudgetedAcrossRecordings) {
  DaemonOptions options;
  options.extra_toml = "[limits]\nring_size = \"16MiB\"\nring_memory = \"160MiB\"\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  // UDP sources nobody sends to: the recordings stay open until stopped.
  // A 100 MiB ring takes 128 MiB (a power of two; its chunk records are
  // not booked): over half the budget.
  v1::Recording a, b, c;
  ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23411", 2'000'000, &a, "", 0, 100 << 20).ok());
  auto refused = start_recording(d, "drives/bd0", "udp://127.0.0.1:23412", 2'000'000, &b, "", 0, 100 << 20);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_NE(refused.error_message().find("rec002 needs 1"), std::string::npos) << refused.error_message();
  EXPECT_NE(refused.error_message().find(" MiB of ring memory"), std::string::npos) << refused.error_message();
  EXPECT_NE(refused.error_message().find("160.0 MiB budget"), std::string::npos) << refused.error_message();
  // What is left still takes a small ring.
  ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23413", 2'000'000, &c, "", 0, 8 << 20).ok());
  ASSERT_TRUE(stop_recording(d, c.name()).ok());
  // Once the first recording has stopped and given its ring back, the
  // refused one fits.
  ASSERT_TRUE(stop_recording(d, a.name()).ok());
  grpc::Status started;
  for (int i = 0; i < 100; ++i) {
    started = start_recording(d, "drives/bd0", "udp://127.0.0.1:23412", 2'000'000, &b, "", 0, 100 << 20);
    if (started.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(started.ok()) << started.error_message();
  EXPECT_TRUE(stop_recording(d, b.name()).ok());
}

TEST_F(DaemonTest, AFinalizedBdReIsFormattedAndRecordedAgain) {
  Daemon d;
  ASSERT_TRUE(d.started()) << d.log_text();
  ASSERT_EQ(d.cli({"record", source_.file("src.ts"), "--drive", "bd0", "--title", "first"}).exit_code, 0);
  ASSERT_EQ(d.cli({"finalize", "bd0"}).exit_code, 0);
  // A finalized BD-RE holds a volume that takes more recordings (never over it).
  auto again = d.cli({"record", source_.file("src.ts"), "--drive", "bd0", "--title", "again"});
  EXPECT_EQ(again.exit_code, 0) << again.output << d.log_text();
  ASSERT_EQ(d.cli({"finalize", "bd0"}).exit_code, 0);
  {
    TempDir both;
    EXPECT_EQ(extract_with_7z(d.image("bd0"), both.path()).size(), 2u);
  }
  // Eject and load keep it (the volume is read back from the disc).
  ASSERT_EQ(d.cli({"eject", "bd0"}).exit_code, 0);
  auto loaded = d.cli({"load", "bd0"});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
  auto shown = d.cli({"drive", "bd0"});
  EXPECT_NE(shown.output.find("2 recording(s)"), std::string::npos) << shown.output;
  // Formatting erases those recordings: only when asked to.
  auto refused = d.cli({"format", "bd0"});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("force"), std::string::npos) << refused.output;
  auto formatted = d.cli({"format", "bd0", "--force"});
  ASSERT_EQ(formatted.exit_code, 0) << formatted.output << d.log_text();
  auto second = d.cli({"record", source_.file("src.ts"), "--drive", "bd0", "--title", "second"});
  ASSERT_EQ(second.exit_code, 0) << second.output << d.log_text();
  ASSERT_EQ(d.cli({"finalize", "bd0"}).exit_code, 0);
  auto ver = d.cli({"verify", "bd0"});
  ASSERT_EQ(ver.exit_code, 0) << ver.output;
  TempDir out;
  auto files = extract_with_7z(d.image("bd0"), out.path());
  ASSERT_EQ(files.size(), 1u) << "formatting wiped the first recording";
  EXPECT_NE(files[0].find("second"), std::string::npos) << files[0];
  EXPECT_EQ(count_video_frames(files[0]), source_frames_);
}

TEST_F(DaemonTest, AFinalizeThatFailsCanBeRetried) {
  // The file system's writes use the reliable policy (retried 4 times); a
  // spot that fails 5 times in a row fails the finalize with a clear error,
  // the recording stays safe, and the next finalize completes the disc.
  DaemonOptions options;
  options.files = {{"bad-metadata.faults", "write-error lba=100-100 count=5\n"}};
  options.sim_drives = {{"bd0", "profile=bd-re&speed=4&faults={dir}/bad-metadata.faults"}};
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  ASSERT_EQ(d.cli({"record", source_.file("src.ts"), "--drive", "bd0", "--title", "keep"}).exit_code, 0);
  auto first = d.cli({"finalize", "bd0"});
  EXPECT_EQ(first.exit_code, 1) << first.output;
  EXPECT_NE(first.output.find("3/0C/00"), std::string::npos) << first.output;
  // The writer stopped for the finalize: a new recording is refused at once
  // with what to do, instead of waiting in STOPPING for a writer that is gone.
  auto refused = d.cli({"record", source_.file("src.ts"), "--drive", "bd0", "--title", "late"});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("began and did not complete; run `discrec finalize bd0` again"), std::string::npos)
      << refused.output;
  auto second = d.cli({"finalize", "bd0"});
  ASSERT_EQ(second.exit_code, 0) << second.output << d.log_text();
  auto ver = d.cli({"verify", "bd0"});
  ASSERT_EQ(ver.exit_code, 0) << ver.output;
  EXPECT_NE(ver.output.find("UDF lists 1 file"), std::string::npos) << ver.output;
  TempDir out;
  auto files = extract_with_7z(d.image("bd0"), out.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(count_video_frames(files[0]), source_frames_);
}

// What scripts and people read from the CLI: distinct exit codes, Ctrl-C
// that ends a following command at once, a stop that says when there was
// nothing to stop, a record that fails when the daemon goes away under it,
// and ids that refused requests do not use up.
// A live stream onto a disc too small for it: the drive's status follows the
// writer, a disc-space warning comes as the disc fills, the recording ends
// FAILED saying "disc full" with the numbers, and what fitted finalizes and
// plays.
TEST_F(DaemonTest, AFullDiscEndsTheRecordingClearlyAndWhatFittedPlays) {
  auto gen = run_command({"ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                          "testsrc2=size=640x360:rate=25:duration=30", "-c:v", "libx264", "-preset", "ultrafast",
                          "-g", "25", "-b:v", "6M", "-minrate", "6M", "-maxrate", "6M", "-bufsize", "1M",
                          "-pix_fmt", "yuv420p", "-f", "mpegts", source_.file("long.ts")});
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  DaemonOptions options;
  // A 16 MiB DVD+R (the drive is called bd0 for the fixture's helpers):
  // about 11 MB for data once the file system's area is set aside, some 15 s
  // of this stream.
  options.sim_drives = {{"bd0", "profile=dvd+r&blocks=8192"}};
  options.extra_toml = "[disc]\nwarn_minutes_left = [30, 10, 2]\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();

  std::mutex events_mutex;
  std::vector<v1::Event> events;
  grpc::ClientContext watch_ctx;
  v1::WatchEventsRequest watch_req;
  auto watch = d.events->WatchEvents(&watch_ctx, watch_req);
  std::thread watcher([&] {
    v1::Event e;
    while (watch->Read(&e)) {
      std::lock_guard lock(events_mutex);
      events.push_back(e);
    }
  });
  auto get_drive = [&] {
    grpc::ClientContext ctx;
    v1::GetDriveRequest req;
    req.set_name("drives/bd0");
    v1::Drive out;
    EXPECT_TRUE(d.drives->GetDrive(&ctx, req, &out).ok());
    return out;
  };
  const v1::Drive blank = get_drive();
  EXPECT_EQ(blank.medium().status(), v1::DISC_STATUS_BLANK) << blank.DebugString();

  v1::Recording rec;
  ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23460", 6'000'000, &rec, "overlong").ok());
  Process sender({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", source_.file("long.ts"), "-c", "copy",
                  "-f", "mpegts", "udp://127.0.0.1:23460?pkt_size=1316"});
  // While it records, the drive's status follows the writer.
  std::vector<v1::Drive> seen;
  v1::Recording now;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < give_up) {
    now = get_recording(d, rec.name());
    if (now.state() == v1::RECORDING_STATE_FAILED || now.state() == v1::RECORDING_STATE_STOPPED) break;
    v1::Drive drive = get_drive();
    if (drive.medium().recording()) seen.push_back(drive);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  sender.signal(SIGTERM);
  sender.wait(std::chrono::seconds(10));
  ASSERT_EQ(now.state(), v1::RECORDING_STATE_FAILED) << now.DebugString() << d.log_text();
  EXPECT_NE(now.error().find("disc full: "), std::string::npos) << now.error();
  EXPECT_NE(now.error().find(" MB written, the disc holds "), std::string::npos) << now.error();
  EXPECT_GT(now.stats().bytes_written(), 8'000'000u) << now.DebugString();
  // The next recording on the full disc is refused at once, saying why.
  v1::Recording refused;
  grpc::Status late = start_recording(d, "drives/bd0", "udp://127.0.0.1:23461", 1'000'000, &refused, "late");
  EXPECT_EQ(late.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << late.error_message();
  EXPECT_NE(late.error_message().find("the disc in drive bd0 is full (disc full: "), std::string::npos)
      << late.error_message();

  ASSERT_GE(seen.size(), 3u);
  const auto& first = seen.front().medium();
  const auto& last = seen.back().medium();
  EXPECT_EQ(first.status(), v1::DISC_STATUS_APPENDABLE) << seen.front().DebugString();
  EXPECT_GT(last.next_writable_address(), first.next_writable_address());
  EXPECT_LT(last.free_blocks(), first.free_blocks());
  EXPECT_GT(last.used_blocks(), first.used_blocks());
  EXPECT_EQ(last.next_writable_address() + last.free_blocks(), first.next_writable_address() + first.free_blocks())
      << "free blocks end where the data area does";
  EXPECT_TRUE(first.has_recording_time_left()) << seen.front().DebugString();
  EXPECT_GE(first.recording_bitrate_bps(), 6'000'000u);
  EXPECT_LT(TimeUtil::DurationToSeconds(first.recording_time_left()), 30) << seen.front().DebugString();
  const v1::Drive after = get_drive();
  EXPECT_TRUE(after.medium().full()) << after.DebugString();
  EXPECT_EQ(after.medium().recording_time_left().seconds(), 0);

  // A warning as it filled (all thresholds at once here: one event), then
  // "disc full"; the log has them too.
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the monitor's next round
  watch_ctx.TryCancel();
  watcher.join();
  std::vector<std::string> space;
  for (const auto& e : events)
    if (e.kind() == v1::EVENT_KIND_DISC_SPACE) space.push_back(e.message());
  ASSERT_EQ(space.size(), 2u) << d.log_text();
  EXPECT_NE(space[0].find("of recording left at"), std::string::npos) << space[0];
  EXPECT_EQ(space[1].rfind("disc full: ", 0), 0u) << space[1];
  EXPECT_NE(d.log_text().find("disc space drive bd0: disc full"), std::string::npos) << d.log_text();

  grpc::Status status;
  auto fin = run_disc_operation(d, true, &status);
  ASSERT_TRUE(status.ok()) << status.error_message() << d.log_text();
  EXPECT_EQ(fin.files(), 1u);
  const v1::Drive finalized = get_drive();  // the drive's word again
  EXPECT_FALSE(finalized.medium().recording()) << finalized.DebugString();
  EXPECT_EQ(finalized.medium().status(), v1::DISC_STATUS_COMPLETE) << finalized.DebugString();
  TempDir out;
  auto files = extract_with_7z(d.image("bd0"), out.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_GT(std::filesystem::file_size(files[0]), 8'000'000u);
  EXPECT_GT(count_video_frames(files[0]), 100);
}

TEST_F(DaemonTest, TheCliTellsScriptsAndPeopleWhatHappened) {
  Daemon d;
  ASSERT_TRUE(d.started()) << d.log_text();
  auto refused = d.cli({"record", "udp://127.0.0.1:23440", "--drive", "bd0", "--priority", "101", "--detach"});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  auto started = d.cli({"record", "udp://127.0.0.1:23440", "--drive", "bd0", "--detach"});
  ASSERT_EQ(started.exit_code, 0) << started.output;
  EXPECT_NE(started.output.find("drives/bd0/recordings/rec001"), std::string::npos)
      << "the refused request took no id: " << started.output;

  // Ctrl-C ends `watch` and `events` promptly; the recording goes on.
  for (std::vector<std::string> follow : {std::vector<std::string>{"watch", "bd0/rec001"},
                                          std::vector<std::string>{"events"}}) {
    follow.insert(follow.begin(), {binary_path("clients/discrec"), "--socket", d.socket()});
    Process p(follow, d.dir().file("follow.log"));
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    p.signal(SIGINT);
    EXPECT_EQ(p.wait(std::chrono::seconds(5)), 0) << follow[3] << " ignored Ctrl-C";
    if (follow[3] != "watch") continue;
    // The progress line fits an 80-column terminal.
    std::istringstream lines(read_file(d.dir().file("follow.log")));
    int seen = 0;
    for (std::string line; std::getline(lines, line); ++seen) {
      EXPECT_LE(line.size(), 80u) << line;
      EXPECT_EQ(line.rfind("bd0/rec001 STARTING  0 B on disc of 0 B", 0), 0u) << line;
    }
    EXPECT_GE(seen, 1);
  }
  EXPECT_EQ(get_recording(d, "drives/bd0/recordings/rec001").state(), v1::RECORDING_STATE_STARTING);

  auto stop = d.cli({"stop", "bd0/rec001"});
  EXPECT_EQ(stop.exit_code, 0) << stop.output;
  auto again = d.cli({"stop", "bd0/rec001"});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("had already ended"), std::string::npos) << again.output;
  // With none active, `prepare` says the disc is open, not "recording".
  auto prepare = d.cli({"prepare", "bd0"});
  EXPECT_EQ(prepare.exit_code, 1) << prepare.output;
  EXPECT_NE(prepare.output.find("the disc in drive bd0 is open with 1 recording(s) on it"), std::string::npos)
      << prepare.output;

  // An attached `record` whose daemon stops under it does not exit 0.
  Process record({binary_path("clients/discrec"), "--socket", d.socket(), "record", "udp://127.0.0.1:23441",
                  "--drive", "bd0"},
                 d.dir().file("record.log"));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  d.process().signal(SIGTERM);
  EXPECT_EQ(d.process().wait(std::chrono::seconds(60)), 0);
  const int record_exit = record.wait(std::chrono::seconds(10));
  EXPECT_EQ(record_exit, 3) << read_file(d.dir().file("record.log"));

  auto unreachable = d.cli({"drives"});
  EXPECT_EQ(unreachable.exit_code, 3) << unreachable.output;
}

// Without CAP_IPC_LOCK and with a small LimitMEMLOCK (as in a container),
// a ring cannot be locked: the recording goes on, and says so in its status
// and in the daemon's log.
TEST_F(DaemonTest, ARingThatCannotBeLockedIsAWarningNotASilence) {
  if (geteuid() != 0 || !have_program("setpriv") || !have_program("prlimit"))
    GTEST_SKIP() << "needs root, setpriv and prlimit to drop CAP_IPC_LOCK";
  DaemonOptions options;
  options.launcher = {"setpriv", "--bounding-set=-ipc_lock", "--inh-caps=-ipc_lock", "prlimit",
                      "--memlock=65536:65536", "--"};
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  v1::Recording r;
  ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23445", 1'000'000, &r).ok()) << d.log_text();
  EXPECT_TRUE(r.stats().ring_not_locked()) << r.DebugString();
  auto watch = d.cli({"watch", "bd0/" + r.name().substr(r.name().rfind('/') + 1)}, std::chrono::seconds(3));
  EXPECT_NE(watch.output.find("ring not locked in RAM"), std::string::npos) << watch.output;
  ASSERT_TRUE(stop_recording(d, r.name()).ok());
  for (int i = 0; i < 50 && d.log_text().find("could not be locked in RAM") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_NE(d.log_text().find("could not be locked in RAM"), std::string::npos) << d.log_text();
  EXPECT_NE(d.log_text().find("ring memory: 1044 MiB reserved but not locked in RAM"), std::string::npos)
      << d.log_text();
}

// The writer thread asks for SCHED_FIFO (daemon.writer_realtime_priority,
// 10 by default) and gets it where the process may; where it may not (no
// CAP_SYS_NICE, RLIMIT_RTPRIO 0: Docker's default), it records at normal
// priority and says so in the drive's status and the log.
TEST_F(DaemonTest, TheWriterThreadRunsRealTimeWhereAllowedAndSaysWhenNot) {
  if (geteuid() != 0 || !have_program("setpriv") || !have_program("prlimit"))
    GTEST_SKIP() << "needs root, setpriv and prlimit";
  auto record_and_read = [&](const DaemonOptions& options, int* policy, std::string* scheduling) {
    Daemon d(options);
    ASSERT_TRUE(d.started()) << d.log_text();
    v1::Recording r;
    ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23446", 1'000'000, &r).ok()) << d.log_text();
    *policy = thread_policy(d.process().pid(), "writer bd0");
    grpc::ClientContext ctx;
    v1::GetDriveRequest req;
    req.set_name("drives/bd0");
    v1::Drive drive;
    ASSERT_TRUE(d.drives->GetDrive(&ctx, req, &drive).ok());
    *scheduling = drive.writer_scheduling();
    ASSERT_TRUE(stop_recording(d, r.name()).ok());
    if (scheduling->rfind("normal", 0) == 0) {
      for (int i = 0; i < 50 && d.log_text().find("runs at normal priority") == std::string::npos; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      EXPECT_NE(d.log_text().find("the writer thread of drive bd0 runs at normal priority"), std::string::npos)
          << d.log_text();
    }
  };
  int policy = -1;
  std::string scheduling;
  record_and_read(DaemonOptions{}, &policy, &scheduling);
  EXPECT_EQ(policy, SCHED_FIFO);
  EXPECT_EQ(scheduling, "SCHED_FIFO 10");

  DaemonOptions denied;
  denied.launcher = {"setpriv", "--bounding-set=-sys_nice", "--inh-caps=-sys_nice", "prlimit", "--rtprio=0:0", "--"};
  record_and_read(denied, &policy, &scheduling);
  EXPECT_EQ(policy, SCHED_OTHER);
  EXPECT_EQ(scheduling.rfind("normal (SCHED_FIFO priority 10: Operation not permitted)", 0), 0u) << scheduling;
}

TEST(DaemonConfigTest, BadConfigNamesFileLineAndKey) {
  TempDir dir;
  std::string config = dir.file("bad.toml");
  std::ofstream(config) << "[daemon]\nsocket = \"" << dir.file("s") << "\"\n\n[limits]\nring_size = 12\n";
  auto r = run_command({binary_path("daemon/discrecd"), "serve", "--config", config}, std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(config + ":5"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("limits.ring_size"), std::string::npos) << r.output;

  std::ofstream(config) << "[drives.x]\nuri = \"/dev/sda\"\n";
  r = run_command({binary_path("daemon/discrecd"), "serve", "--config", config}, std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("drives.x.uri"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace discrec::test
