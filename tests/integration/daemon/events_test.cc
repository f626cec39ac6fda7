// What the daemon tells about itself: the event history a client replays
// with `discrec events --since`, the log lines of a recording and of a
// refused call, a reload (SIGHUP) that applies or names every change, and a
// drive that could not be opened at start and is opened later. A real
// discrecd, the real CLI and a gRPC client.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/integration/daemon/daemon_fixture.h"

namespace discrec::test {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Waits up to `timeout` for `done` (polled every 100 ms).
bool eventually(const std::function<bool()>& done, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  auto give_up = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < give_up) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

// The lines of the log that contain every one of `parts`.
std::vector<std::string> lines_with(const std::string& log, const std::vector<std::string>& parts) {
  std::vector<std::string> found;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const auto& p : parts) all = all && contains(line, p);
    if (all) found.push_back(line);
  }
  return found;
}

class EventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_program("ffmpeg")) FAIL() << "ffmpeg is not installed (setup.sh installs it)";
    std::string log;
    ASSERT_TRUE(make_test_stream(source_.file("src.ts"), 3, "libx264", 25, "320x240", &log)) << log;
  }
  TempDir source_;
};

// Events that happened before the client connected are shown first, in
// order, then the live ones, each once: the sequence numbers run 1, 2, 3...
TEST_F(EventsTest, SinceReplaysWhatHappenedBeforeThenFollowsLive) {
  Daemon d;
  ASSERT_TRUE(d.started()) << d.log_text();
  auto first = d.cli({"record", source_.file("src.ts"), "--drive", "bd0", "--title", "first", "--bitrate", "2000000"});
  ASSERT_EQ(first.exit_code, 0) << first.output << d.log_text();
  // The end is announced by the monitor, twice a second.
  ASSERT_TRUE(eventually([&] { return !lines_with(d.log_text(), {"recording rec001", "bytes on disc"}).empty(); }))
      << d.log_text();

  TempDir out;
  Process watcher({binary_path("clients/discrec"), "--socket", d.socket(), "events", "--since", "10m"},
                  out.file("events.log"));
  auto shown = [&] { return read_file(out.file("events.log")); };
  ASSERT_TRUE(eventually([&] { return contains(shown(), "bytes on disc"); })) << shown();
  // The CLI sends a file's bytes itself (an upload).
  EXPECT_TRUE(contains(shown(), "recording from upload:src.ts")) << shown();

  // Now live: a second recording while the watcher follows.
  v1::Recording second;
  ASSERT_TRUE(start_recording(d, "drives/bd0", source_.file("src.ts"), 2'000'000, &second, "second").ok());
  ASSERT_TRUE(eventually([&] { return lines_with(shown(), {"rec002", "bytes on disc"}).size() == 1; })) << shown();
  watcher.signal(SIGINT);
  EXPECT_EQ(watcher.wait(std::chrono::seconds(10)), 0) << "Ctrl-C ends `events` with 0";

  // Every event once, in order, none missing between history and live.
  std::vector<uint64_t> numbers;
  std::vector<std::string> lines;
  std::istringstream in(shown());
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '#') continue;
    numbers.push_back(std::stoull(line.substr(1)));
    lines.push_back(line);
  }
  ASSERT_GE(numbers.size(), 4u) << shown();
  EXPECT_EQ(numbers.front(), 1u) << shown();
  for (size_t i = 1; i < numbers.size(); ++i) EXPECT_EQ(numbers[i], numbers[i - 1] + 1) << shown();
  auto index_of = [&](const std::vector<std::string>& parts) {
    for (size_t i = 0; i < lines.size(); ++i) {
      bool all = true;
      for (const auto& p : parts) all = all && contains(lines[i], p);
      if (all) return static_cast<int>(i);
    }
    return -1;
  };
  const int started1 = index_of({"rec001", "recording from"}), ended1 = index_of({"rec001", "bytes on disc"});
  const int started2 = index_of({"rec002", "recording from"}), ended2 = index_of({"rec002", "bytes on disc"});
  EXPECT_TRUE(0 <= started1 && started1 < ended1 && ended1 < started2 && started2 < ended2) << shown();

  // A client that saw #N resumes after it, over gRPC as well.
  grpc::ClientContext ctx;
  v1::WatchEventsRequest req;
  req.set_after_sequence(numbers[1]);
  auto stream = d.events->WatchEvents(&ctx, req);
  v1::Event e;
  ASSERT_TRUE(stream->Read(&e));
  EXPECT_EQ(e.sequence(), numbers[2]);
  EXPECT_EQ(e.dropped(), 0u);
  ctx.TryCancel();
  stream->Finish();

  // A time in the future replays nothing; a bad --since is bad usage.
  auto bad = d.cli({"events", "--since", "yesterday"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  auto help = d.cli({"--help"});
  EXPECT_TRUE(contains(help.output, "--since")) << help.output;
}

// One line for the start (id, drive, redacted source, priority, declared
// rate) and the end (bytes, lost, shed, why) of a recording, the lost
// extent, the finalize and the verify, and one for every refused call (who,
// what, why), never with a password.
TEST_F(EventsTest, TheLogTellsARecordingAndEveryRefusal) {
  DaemonOptions options;
  options.files = {{"bad-spot.faults", "write-error lba=5600-5600 count=1\n"}};
  options.sim_drives = {{"bd0", "profile=bd-re&speed=4&faults={dir}/bad-spot.faults"}};
  options.traversable_dir = true;
  options.extra_toml = "socket_mode = \"0666\"\nsocket_mode_force = true\n[access]\nothers = \"observe\"\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  // Long enough to reach the bad spot.
  std::string gen_log;
  ASSERT_TRUE(make_test_stream(source_.file("long.ts"), 10, "libx264", 25, "320x240", &gen_log)) << gen_log;
  auto rec = d.cli({"record", source_.file("long.ts"), "--drive", "bd0", "--title", "logged", "--priority", "3",
                    "--bitrate", "2000000"});
  ASSERT_EQ(rec.exit_code, 0) << rec.output << d.log_text();

  v1::Recording r;
  auto too_fast = start_recording(d, "drives/bd0", "udp://127.0.0.1:23471", 10'000'000'000ull, &r);
  EXPECT_EQ(too_fast.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  auto secret = start_recording(d, "drives/bd0", "rtsp://admin:hunter2@10.9.8.7/live", 1'000'000, &r);
  EXPECT_EQ(secret.error_code(), grpc::StatusCode::PERMISSION_DENIED) << secret.error_message();
  auto bad = start_recording(d, "drives/bd0", "nosuchscheme://x", 1'000'000, &r);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto stranger = run_command({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               binary_path("clients/discrec"), "--socket", d.socket(), "record",
                               "udp://127.0.0.1:23472", "--drive", "bd0", "--detach"});
  EXPECT_EQ(stranger.exit_code, 5) << stranger.output;

  auto fin = d.cli({"finalize", "bd0", "--label", "LOGGED"});
  ASSERT_EQ(fin.exit_code, 0) << fin.output;
  auto ver = d.cli({"verify", "bd0"});
  ASSERT_EQ(ver.exit_code, 0) << ver.output;

  std::string log;
  ASSERT_TRUE(eventually([&] {
    log = d.log_text();
    // The monitor announces a recording's end within half a second of
    // it, or after the finalize or verify that held the drive then.
    return contains(log, "verify of drive bd0") && contains(log, "disc finalized") &&
           !lines_with(log, {"recording rec001", "bytes on disc"}).empty();
  })) << log;
  auto expect_line = [&](const std::vector<std::string>& parts) {
    EXPECT_FALSE(lines_with(log, parts).empty()) << "no log line with all of: " << ::testing::PrintToString(parts)
                                                 << "\n" << log;
  };
  expect_line({"drive bd0", "recording rec001", "recording from upload:long.ts", "priority 3",
               "declared 2000000 bit/s", "; streaming writes"});
  expect_line({"drive bd0", "recording rec001", "stopped (from upload:long.ts; streaming writes)", "bytes on disc",
               "bytes lost in 1 extent(s)", "bytes shed in", "the source ended"});
  expect_line({"lost extent", "drive bd0", "recording rec001"});
  expect_line({"disc finalized", "drive bd0"});
  expect_line({"verify of drive bd0", "0 mismatch(es)"});
  expect_line({"refused StartRecording from uid 0 (role admin)", "admission refused", "Mbit/s"});
  expect_line({"refused StartRecording from uid 0 (role admin)", "permission denied", "rtsp://admin:***@10.9.8.7"});
  expect_line({"refused StartRecording from uid 0 (role admin)", "bad argument", "nosuchscheme"});
  expect_line({"refused StartRecording from uid 65534 (role observe)", "permission denied", "needs control"});
  EXPECT_FALSE(contains(log, "hunter2")) << log;
}

// journald's native protocol, as a journal receives it: one datagram per
// entry, "KEY=value\n" fields (or KEY\n, a 64-bit little-endian length,
// the bytes and \n for a value with a newline).
std::map<std::string, std::string> journal_fields(const std::string& datagram) {
  std::map<std::string, std::string> out;
  size_t at = 0;
  while (at < datagram.size()) {
    const size_t end = datagram.find('\n', at);
    if (end == std::string::npos) break;
    const std::string line = datagram.substr(at, end - at);
    const size_t eq = line.find('=');
    if (eq != std::string::npos) {
      out[line.substr(0, eq)] = line.substr(eq + 1);
      at = end + 1;
      continue;
    }
    uint64_t size = 0;
    if (end + 9 > datagram.size()) break;
    for (int i = 7; i >= 0; --i) size = size << 8 | static_cast<uint8_t>(datagram[end + 1 + i]);
    out[line] = datagram.substr(end + 9, size);
    at = end + 9 + size + 1;
  }
  return out;
}

// Where libsystemd sends journal entries (fixed in sd_journal_sendv).
constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

// A stand-in for journald on a machine without one (containers, CI): it
// binds the journal's socket and keeps what arrives. Not started when a
// journal is there (the test then reads it back with journalctl).
class FakeJournal {
 public:
  FakeJournal() {
    std::error_code ec;
    if (std::filesystem::exists(kJournalSocket, ec)) return;
    std::filesystem::create_directories("/run/systemd/journal", ec);
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, kJournalSocket, sizeof addr.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
      return;
    }
    timeval tv{0, 200'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    reader_ = std::thread([this] {
      std::vector<char> buffer(1 << 20);
      while (!done_) {
        const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (n <= 0) continue;
        std::lock_guard lock(mutex_);
        entries_.push_back(journal_fields(std::string(buffer.data(), static_cast<size_t>(n))));
      }
    });
  }
  ~FakeJournal() {
    if (fd_ < 0) return;
    done_ = true;
    reader_.join();
    ::close(fd_);
    ::unlink(kJournalSocket);
  }
  bool listening() const { return fd_ >= 0; }
  std::vector<std::map<std::string, std::string>> entries() {
    std::lock_guard lock(mutex_);
    return entries_;
  }

 private:
  int fd_ = -1;
  std::atomic<bool> done_{false};
  std::thread reader_;
  std::mutex mutex_;
  std::vector<std::map<std::string, std::string>> entries_;
};

// Under systemd the log goes to journald with fields to filter on: a
// recording's start and end carry its drive, recording and disc.
TEST_F(EventsTest, JournalEntriesCarryTheDriveRecordingAndDisc) {
  FakeJournal fake;
  const bool real_journal = !fake.listening() && have_program("journalctl");
  if (!fake.listening() && !real_journal) GTEST_SKIP() << "neither a journal nor a way to stand in for one";
  DaemonOptions options;
  options.extra_toml = "log = \"journal\"\n";  // into the fixture's [daemon]
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  auto rec = d.cli({"record", source_.file("src.ts"), "--drive", "bd0", "--title", "100% news", "--bitrate",
                    "2000000"});
  ASSERT_EQ(rec.exit_code, 0) << rec.output;
  std::vector<std::map<std::string, std::string>> entries;
  ASSERT_TRUE(eventually([&] {
    if (real_journal) {
      entries.clear();
      auto out = run_command({"journalctl", "-o", "json", "--no-pager", "SYSLOG_IDENTIFIER=discrecd",
                              "DISCREC_DRIVE=bd0", "_PID=" + std::to_string(d.process().pid())});
      std::istringstream in(out.output);
      for (std::string line; std::getline(in, line);) {
        std::map<std::string, std::string> e;
        for (const char* key : {"MESSAGE", "PRIORITY", "DISCREC_DRIVE", "DISCREC_RECORDING", "DISCREC_DISC"}) {
          std::smatch m;
          if (std::regex_search(line, m, std::regex(std::string("\"") + key + "\":\"([^\"]*)\"")))
            e[key] = m[1];
        }
        entries.push_back(e);
      }
    } else {
      entries = fake.entries();
    }
    int ends = 0;
    for (auto& e : entries) ends += contains(e["MESSAGE"], "bytes on disc");
    return ends > 0;
  })) << "no recording end in the journal; stderr log:\n" << d.log_text();
  bool started = false, ended = false, daemon_line = false;
  for (auto& e : entries) {
    if (contains(e["MESSAGE"], "listening on")) daemon_line = e["PRIORITY"] == "6" && e["DISCREC_DRIVE"].empty();
    if (e["DISCREC_RECORDING"] != "rec001") continue;
    EXPECT_EQ(e["DISCREC_DRIVE"], "bd0");
    EXPECT_TRUE(std::regex_match(e["DISCREC_DISC"], std::regex("20[0-9]{6}T[0-9]{6}Z"))) << e["DISCREC_DISC"];
    if (contains(e["MESSAGE"], "recording from")) {
      started = true;
      EXPECT_TRUE(contains(e["MESSAGE"], "title '100% news'")) << e["MESSAGE"];  // a '%' is a '%'
      EXPECT_EQ(e["PRIORITY"], "6");
    }
    if (contains(e["MESSAGE"], "bytes on disc")) ended = contains(e["MESSAGE"], "streaming writes");
  }
  EXPECT_TRUE(started);
  EXPECT_TRUE(ended);
  if (!real_journal) EXPECT_TRUE(daemon_line);  // every line goes there, not only events
  // Nothing went to stderr as lines in the meantime.
  EXPECT_FALSE(contains(d.log_text(), "recording from")) << d.log_text();
}

// A reload applies what it can and names what it cannot: a changed limit is
// applied, the URI of an idle drive is taken (the drive reopens), the URI of
// a recording drive and a limit the sessions took at start are warnings
// naming the key. A bad file is refused and the old configuration kept.
TEST_F(EventsTest, SighupAppliesOrNamesEveryChange) {
  DaemonOptions options;
  options.sim_drives = {{"bd0", "profile=bd-re&speed=4"}, {"bd1", "profile=bd-re&speed=4"}};
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  // bd0 records (a source that sends nothing yet keeps its disc open).
  v1::Recording r;
  ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23473", 1'000'000, &r).ok());

  const std::string config_path = d.dir().file("discrecd.toml");
  const std::string original = read_file(config_path);
  std::string changed = original;
  auto replace = [&](const std::string& from, const std::string& to) {
    auto at = changed.find(from);
    ASSERT_NE(at, std::string::npos) << from << " in " << changed;
    changed.replace(at, from.size(), to);
  };
  replace("/bd0.img?", "/bd0-new.img?");
  replace("/bd1.img?", "/bd1-new.img?");
  replace("[sources]", "[limits]\nmax_string_bytes = 2048\nmax_recordings_per_drive = 4\n[sources]");
  std::ofstream(config_path) << changed;
  d.process().signal(SIGHUP);
  std::string log;
  ASSERT_TRUE(eventually([&] {
    log = d.log_text();
    return contains(log, "configuration reloaded from");
  })) << log;

  EXPECT_FALSE(lines_with(log, {"limits.max_string_bytes: 4096 -> 2048 (applied)"}).empty()) << log;
  EXPECT_FALSE(lines_with(log, {"limits.max_recordings_per_drive: 8 -> 4 is NOT applied", "restart"}).empty()) << log;
  EXPECT_FALSE(lines_with(log, {"drives.bd0.uri", "NOT applied", "open disc"}).empty()) << log;
  EXPECT_FALSE(lines_with(log, {"drive bd1", "bd1-new.img", "reopened with the new settings (applied"}).empty()) << log;

  auto drive = [&](const std::string& name) {
    grpc::ClientContext ctx;
    v1::GetDriveRequest req;
    req.set_name(name);
    v1::Drive out;
    EXPECT_TRUE(d.drives->GetDrive(&ctx, req, &out).ok());
    return out;
  };
  EXPECT_TRUE(contains(drive("drives/bd1").uri(), "bd1-new.img")) << drive("drives/bd1").DebugString();
  EXPECT_TRUE(contains(drive("drives/bd0").uri(), "/bd0.img")) << drive("drives/bd0").DebugString();
  EXPECT_TRUE(std::filesystem::exists(d.dir().file("bd1-new.img")));
  // The applied limit holds for the next call.
  auto long_title = start_recording(d, "drives/bd1", "udp://127.0.0.1:23474", 1'000'000, &r, std::string(3000, 't'));
  EXPECT_EQ(long_title.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(contains(long_title.error_message(), "2048")) << long_title.error_message();

  // A broken file: refused, logged, the daemon goes on as it was.
  std::ofstream(config_path) << "[limits\nnot toml";
  d.process().signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return contains(d.log_text(), "reload refused, keeping the running configuration"); }))
      << d.log_text();
  auto info = d.cli({"info"});
  EXPECT_EQ(info.exit_code, 0) << info.output;
}

// A drive whose image directory does not exist yet fails to open at start;
// it is opened by `discrec load` once it can be, another by the monitor's
// periodic retry and a third by SIGHUP, each result logged once.
TEST_F(EventsTest, ADriveThatFailedToOpenIsRetried) {
  TempDir images;
  DaemonOptions options;
  options.extra_toml = "sim_directories = [\"" + images.path() + "\"]\n[drives.late]\nuri = \"sim://" +
                       images.path() + "/later/late.img?profile=bd-re&speed=4\"\n[drives.later]\nuri = \"sim://" +
                       images.path() + "/much-later/later.img?profile=bd-re&speed=4\"\n[drives.hup]\nuri = \"sim://" +
                       images.path() + "/on-hup/hup.img?profile=bd-re&speed=4\"\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  auto load = d.cli({"load", "late"});
  EXPECT_NE(load.exit_code, 0) << load.output;

  ASSERT_EQ(::mkdir((images.path() + "/much-later").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((images.path() + "/later").c_str(), 0755), 0);
  load = d.cli({"load", "late"});
  EXPECT_EQ(load.exit_code, 0) << load.output << d.log_text();
  auto rec = d.cli({"record", source_.file("src.ts"), "--drive", "late", "--bitrate", "2000000"});
  EXPECT_EQ(rec.exit_code, 0) << rec.output << d.log_text();

  // The monitor retries after 5 s (then 10, 20, ...).
  EXPECT_TRUE(eventually([&] { return contains(d.log_text(), "drive later opened"); }, std::chrono::seconds(60)))
      << d.log_text();
  // That round tried `hup` too and backed off for 10 s: a SIGHUP tries it
  // at once.
  ASSERT_EQ(::mkdir((images.path() + "/on-hup").c_str(), 0755), 0);
  d.process().signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return contains(d.log_text(), "drive hup opened"); }, std::chrono::seconds(5)))
      << d.log_text();
  const std::string log = d.log_text();
  EXPECT_FALSE(lines_with(log, {"drive late opened"}).empty()) << log;
  // The first failure was logged at start; retries that failed the same
  // way said nothing more.
  EXPECT_LE(lines_with(log, {"later", "cannot be opened"}).size(), 1u) << log;
}

}  // namespace
}  // namespace discrec::test
