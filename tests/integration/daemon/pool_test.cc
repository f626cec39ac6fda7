// Recordings that span discs, end to end: a real discrecd with a pool of
// emulated drives holding small discs, the real CLI, FFmpeg-made streams,
// and 7-Zip and ffprobe on the disc images: every part plays on its own, and
// the parts joined in order hold every frame with no gap at a boundary.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <signal.h>
#include <unistd.h>

#include "tests/integration/daemon/daemon_fixture.h"

namespace discrec::test {
namespace {

using namespace std::chrono_literals;

// `seconds` of MPEG-2 video at a constant 20 Mbit/s (640x360, 25 fps, a GOP
// a second) with MP2 audio: many bytes a second from a cheap encoder.
bool make_20mbit_stream(const std::string& path, int seconds, std::string* log) {
  auto r = run_command({"ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc2=size=640x360:rate=25:duration=" + std::to_string(seconds), "-f", "lavfi", "-i",
                        "sine=frequency=440:sample_rate=48000:duration=" + std::to_string(seconds), "-c:v",
                        "mpeg2video", "-g", "25", "-b:v", "20M", "-minrate", "20M", "-maxrate", "20M", "-bufsize",
                        "4M", "-c:a", "mp2", "-b:a", "128k", "-f", "mpegts", path},
                       std::chrono::seconds(300));
  if (log) *log = r.output;
  return r.exit_code == 0;
}

// The presentation times of the first video stream's decoded frames, in 90 kHz ticks.
std::vector<int64_t> video_frame_pts(const std::string& file) {
  auto r = run_command({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts", "-of",
                        "csv=p=0", file},
                       std::chrono::seconds(300));
  std::vector<int64_t> pts;
  std::istringstream in(r.output);
  std::string line;
  // "129600," per frame (the comma opens its empty side data), blank lines between.
  while (std::getline(in, line)) {
    line = line.substr(0, line.find(','));
    if (!line.empty() && line.find_first_not_of("0123456789-") == std::string::npos) pts.push_back(std::stoll(line));
  }
  return pts;
}

bool first_frame_is_key(const std::string& file) {
  auto r = run_command({"ffprobe", "-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1", "-show_entries",
                        "frame=key_frame", "-of", "csv=p=0", file});
  return r.output.rfind("1", 0) == 0;
}

std::string concatenate(const std::vector<std::string>& files, const std::string& out) {
  std::ofstream o(out, std::ios::binary);
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    o << in.rdbuf();
  }
  return out;
}

// Waits until the pooled recording ended and every full disc is done.
v1::Recording wait_until_parts_done(Daemon& d, const std::string& name, std::chrono::seconds limit,
                                    bool verify = true, bool back_in_slot = false) {
  const auto until = std::chrono::steady_clock::now() + limit;
  v1::Recording r;
  for (;;) {
    r = get_recording(d, name);
    bool done = r.state() == v1::RECORDING_STATE_STOPPED || r.state() == v1::RECORDING_STATE_FAILED;
    for (int i = 0; done && i + 1 < r.parts_size(); ++i)
      done = (r.parts(i).state() == "verified" || r.parts(i).state() == "failed" ||
              (!verify && r.parts(i).state() == "finalized")) &&
             (!back_in_slot || r.parts(i).has_slot());
    if (done || std::chrono::steady_clock::now() > until) return r;
    std::this_thread::sleep_for(200ms);
  }
}

std::string drive_of(const v1::RecordingPart& part) {
  // "drives/bd1/recordings/rec001-part2" -> "bd1"
  const std::string& n = part.recording();
  return n.substr(7, n.find('/', 7) - 7);
}

TEST(PoolTest, AFileLongerThanADiscIsRecordedAcrossDiscsThatJoinIntoEveryFrame) {
  if (!have_program("ffmpeg") || !have_program("ffprobe")) FAIL() << "ffmpeg is not installed (setup.sh installs it)";
  if (!have_program("7z") && !have_program("7zz")) FAIL() << "7-Zip is not installed (setup.sh installs it)";
  TempDir source;
  std::string log;
  // 100 s at 20 Mbit/s: 250 MB over discs of 123 MB.
  ASSERT_TRUE(make_20mbit_stream(source.file("src.ts"), 100, &log)) << log;
  const auto source_pts = video_frame_pts(source.file("src.ts"));
  ASSERT_EQ(source_pts.size(), 2500u);

  DaemonOptions options;
  options.sim_drives = {{"bd0", "profile=bd-r&speed=12&blocks=60000"},
                        {"bd1", "profile=bd-r&speed=12&blocks=60000"},
                        {"bd2", "profile=bd-r&speed=12&blocks=60000"},
                        {"bd3", "profile=bd-r&speed=12&blocks=60000"}};
  options.extra_toml = "[pools.archive]\ndrives = [\"bd0\", \"bd1\", \"bd2\", \"bd3\"]\nprepare_minutes = 0.5\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();

  auto recorded = d.cli({"record", source.file("src.ts"), "--pool", "archive", "--bitrate", "21M", "--ring", "8MiB",
                         "--title", "Night", "--id", "night"},
                        300s);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.output << d.log_text();
  EXPECT_NE(recorded.output.find("part 1: bd0/night-part1"), std::string::npos) << recorded.output;
  EXPECT_NE(recorded.output.find("part 2: bd1/night-part2"), std::string::npos) << recorded.output;

  auto r = wait_until_parts_done(d, "drives/archive/recordings/night", 300s);
  ASSERT_EQ(r.state(), v1::RECORDING_STATE_STOPPED) << r.error();
  ASSERT_GE(r.parts_size(), 3);
  EXPECT_EQ(r.stats().shed_bytes(), 0u);
  EXPECT_EQ(r.stats().lost_bytes(), 0u);
  EXPECT_EQ(r.stats().bytes_written(), r.stats().bytes_in());
  for (int i = 0; i + 1 < r.parts_size(); ++i) {
    EXPECT_EQ(r.parts(i).state(), "verified") << r.parts(i).note();
    EXPECT_EQ(r.parts(i).volume_label(), "Night " + std::to_string(i + 1));
  }
  // The last disc stays open, as any recording's; finalize it by hand.
  const std::string last_drive = drive_of(r.parts(r.parts_size() - 1));
  auto fin = d.cli({"finalize", last_drive, "--label", "Night " + std::to_string(r.parts_size())});
  ASSERT_EQ(fin.exit_code, 0) << fin.output;

  // Each disc read by 7-Zip; each part plays alone from a key frame.
  std::vector<std::string> parts;
  for (int i = 0; i < r.parts_size(); ++i) {
    TempDir out;
    auto files = extract_with_7z(d.image(drive_of(r.parts(i))), out.path());
    ASSERT_EQ(files.size(), 1u) << "part " << i + 1;
    const std::string kept = source.file("part" + std::to_string(i + 1) + ".ts");
    std::filesystem::copy_file(files[0], kept);
    if (i + 1 < r.parts_size()) {
      // A full disc carries its index: the recording, the part, the labels
      // of the parts before it, and a playlist of its file.
      const auto dir = std::filesystem::path(files[0]).parent_path();
      const std::string json = read_file((dir / "index.json").string());
      const std::string m3u8 = read_file((dir / "index.m3u8").string());
      EXPECT_NE(json.find("\"recording\": \"night\""), std::string::npos) << json;
      EXPECT_NE(json.find("\"part\": " + std::to_string(i + 1) + ",\n"), std::string::npos) << json;
      for (int k = 1; k <= i + 1; ++k)
        EXPECT_NE(json.find("\"label\": \"Night " + std::to_string(k) + "\""), std::string::npos) << json;
      EXPECT_EQ(m3u8.rfind("#EXTM3U\n", 0), 0u) << m3u8;
      EXPECT_NE(m3u8.find(std::filesystem::path(files[0]).filename().string() + "\n#EXT-X-ENDLIST"), std::string::npos)
          << m3u8;
    }
    EXPECT_TRUE(first_frame_is_key(kept)) << "part " << i + 1;
    EXPECT_GT(video_frame_pts(kept).size(), 0u) << "part " << i + 1;
    parts.push_back(kept);
  }
  // Joined in order: every frame, and no gap longer than a frame.
  const auto joined = video_frame_pts(concatenate(parts, source.file("joined.ts")));
  ASSERT_EQ(joined.size(), source_pts.size());
  for (size_t i = 1; i < joined.size(); ++i)
    ASSERT_EQ(joined[i] - joined[i - 1], 3600) << "frame " << i;  // 25 fps in 90 kHz ticks
}

// The disc images of an emulated library that hold a recording, ordered by
// the part number their index names (the last part, finalized by hand,
// carries no index: it goes last); each as its extracted .ts file.
std::vector<std::string> parts_in_library(const std::string& library, const TempDir& out) {
  std::vector<std::pair<int, std::string>> found;
  for (const auto& entry : std::filesystem::directory_iterator(library)) {
    if (entry.path().extension() != ".img" || std::filesystem::file_size(entry.path()) == 0) continue;  // a blank
    const std::string dir = out.file(entry.path().stem().string());
    std::filesystem::create_directories(dir);
    auto files = extract_with_7z(entry.path().string(), dir);
    if (files.size() != 1) continue;  // a blank, never written
    const std::string json = read_file((std::filesystem::path(files[0]).parent_path() / "index.json").string());
    const auto at = json.find("\"part\": ");
    const int part = at == std::string::npos ? 1000 : std::atoi(json.c_str() + at + 8);
    found.push_back({part, files[0]});
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> files;
  for (auto& [part, file] : found) files.push_back(file);
  return files;
}

TEST(PoolTest, AChangerFeedsTheDrivesAndTheDiscsInItsSlotsJoinIntoEveryFrame) {
  if (!have_program("ffmpeg") || !have_program("ffprobe")) FAIL() << "ffmpeg is not installed (setup.sh installs it)";
  if (!have_program("7z") && !have_program("7zz")) FAIL() << "7-Zip is not installed (setup.sh installs it)";
  TempDir source, library_root, out;
  std::string log;
  // 100 s at 20 Mbit/s (250 MB) onto a 6-slot library of 82 MB BD-Rs and its two drives.
  ASSERT_TRUE(make_20mbit_stream(source.file("src.ts"), 100, &log)) << log;
  const auto source_pts = video_frame_pts(source.file("src.ts"));
  ASSERT_EQ(source_pts.size(), 2500u);
  const std::string library = library_root.file("lib");
  const std::string uri = "sim-changer://" + library + "?slots=6&drives=2&profile=bd-r&blocks=40000&speed=4&move_ms=500";
  DaemonOptions options;
  options.sim_drives = {};
  options.extra_toml = "sim_directories = [\"" + library_root.path() + "\"]\n" +
                       "[pools.vault]\ndrives = [\"bd1\", \"bd2\"]\nprepare_minutes = 0.5\nchanger = \"" + uri +
                       "\"\n[drives.bd1]\nuri = \"" + uri + "&drive=1\"\n[drives.bd2]\nuri = \"" + uri + "&drive=2\"\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  auto recorded = d.cli({"record", source.file("src.ts"), "--pool", "vault", "--bitrate", "21M", "--ring", "8MiB",
                         "--title", "Vault", "--id", "vault"},
                        600s);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.output << d.log_text();
  auto r = wait_until_parts_done(d, "drives/vault/recordings/vault", 300s, /*verify=*/true, /*back_in_slot=*/true);
  ASSERT_EQ(r.state(), v1::RECORDING_STATE_STOPPED) << r.error();
  ASSERT_GE(r.parts_size(), 4) << d.log_text();
  EXPECT_EQ(r.stats().shed_bytes(), 0u);
  EXPECT_EQ(r.stats().lost_bytes(), 0u);
  for (int i = 0; i + 1 < r.parts_size(); ++i) {
    EXPECT_EQ(r.parts(i).state(), "verified") << r.parts(i).note();
    EXPECT_TRUE(r.parts(i).has_slot()) << "part " << i + 1;
  }
  // The catalog names each full disc's slot.
  auto catalog = d.cli({"--json", "catalog", "vault"});
  ASSERT_EQ(catalog.exit_code, 0) << catalog.output;
  EXPECT_NE(catalog.output.find("\"slot\":" + std::to_string(r.parts(0).slot())), std::string::npos) << catalog.output;
  // The last disc, still in its drive, is finalized by hand; then every
  // disc of the library is read by 7-Zip, and the parts joined in order
  // hold every frame with no gap.
  const std::string last_drive = drive_of(r.parts(r.parts_size() - 1));
  ASSERT_EQ(d.cli({"finalize", last_drive}).exit_code, 0);
  d.process().signal(SIGTERM);
  d.process().wait(std::chrono::seconds(30));
  auto files = parts_in_library(library, out);
  ASSERT_EQ(files.size(), static_cast<size_t>(r.parts_size()));
  const auto joined = video_frame_pts(concatenate(files, source.file("joined.ts")));
  ASSERT_EQ(joined.size(), source_pts.size());
  for (size_t i = 1; i < joined.size(); ++i) ASSERT_EQ(joined[i] - joined[i - 1], 3600) << "frame " << i;
}

TEST(PoolTest, ALiveUdpStreamIsHandedOverWithoutSheddingOrMissingADeadline) {
  if (!have_program("ffmpeg")) FAIL() << "ffmpeg is not installed (setup.sh installs it)";
  TempDir source;
  std::string log;
  ASSERT_TRUE(make_20mbit_stream(source.file("src.ts"), 40, &log)) << log;
  DaemonOptions options;
  // 82 MB discs at 4x in real time: 20 Mbit/s fills one in about 30 s.
  options.sim_drives = {{"bd0", "profile=bd-r&speed=4&blocks=40000"}, {"bd1", "profile=bd-r&speed=4&blocks=40000"}};
  options.extra_toml = "[pools.live]\ndrives = [\"bd0\", \"bd1\"]\nprepare_minutes = 0.25\nverify = false\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  const std::string url = "udp://127.0.0.1:" + std::to_string(20000 + ::getpid() % 20000);
  v1::Recording started;
  auto status = start_recording(d, "drives/live", url, 21'000'000, &started,
                                "Live", 0, 8u << 20);
  ASSERT_TRUE(status.ok()) << status.error_message() << d.log_text();
  auto sent = run_command({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i",
                           source.file("src.ts"), "-c", "copy", "-f", "mpegts", url + "?pkt_size=1316"},
                          std::chrono::seconds(120));
  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  // Stopped at once: the last partial ECC unit waits for more data or the
  // stop, and a source that stays silent for a whole latency budget makes it
  // late whatever the pool does.
  ASSERT_TRUE(stop_recording(d, started.name()).ok());
  auto r = wait_until_parts_done(d, started.name(), 120s, /*verify=*/false);
  ASSERT_GE(r.parts_size(), 2) << d.log_text();
  EXPECT_EQ(r.parts(0).state(), "finalized") << r.parts(0).note();
  EXPECT_EQ(r.stats().shed_gops(), 0u);
  EXPECT_EQ(r.stats().shed_bytes(), 0u);
  EXPECT_EQ(r.stats().missed_deadlines(), 0u) << [&] {
    std::string parts;
    for (const auto& p : r.parts()) {
      auto part = get_recording(d, p.recording());
      parts += p.recording() + ": " + std::to_string(part.stats().missed_deadlines()) + " missed, min slack " +
               std::to_string(part.stats().min_deadline_slack().seconds() * 1000 + part.stats().min_deadline_slack().nanos() / 1000000) + " ms; ";
    }
    return parts + d.log_text();
  }();
  EXPECT_EQ(r.stats().bytes_written(), r.stats().bytes_in());
  EXPECT_GT(r.stats().bytes_in(), 90'000'000u);  // most of the 100 MB sent (UDP on loopback may drop a little)
}

TEST(PoolTest, AKillDuringAHandOverLeavesBothDiscsRecoveredAndCatalogued) {
  if (!have_program("ffmpeg")) FAIL() << "ffmpeg is not installed (setup.sh installs it)";
  if (!have_program("7z") && !have_program("7zz")) FAIL() << "7-Zip is not installed (setup.sh installs it)";
  TempDir source;
  std::string log;
  ASSERT_TRUE(make_20mbit_stream(source.file("src.ts"), 40, &log)) << log;
  DaemonOptions options;
  options.sim_drives = {{"bd0", "profile=bd-r&speed=4&blocks=40000"}, {"bd1", "profile=bd-r&speed=4&blocks=40000"}};
  options.extra_toml = "[pools.live]\ndrives = [\"bd0\", \"bd1\"]\nprepare_minutes = 0.25\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  const std::string url = "udp://127.0.0.1:" + std::to_string(21000 + ::getpid() % 20000);
  v1::Recording started;
  ASSERT_TRUE(start_recording(d, "drives/live", url, 21'000'000, &started, "Kill", 0, 8u << 20).ok()) << d.log_text();
  Process sender({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i", source.file("src.ts"), "-c",
                  "copy", "-f", "mpegts", url + "?pkt_size=1316"});
  // The moment the stream has moved to the second disc: the first is
  // draining or being finalized.
  const auto until = std::chrono::steady_clock::now() + 90s;
  for (;;) {
    auto r = get_recording(d, started.name());
    if (r.parts_size() >= 2 && r.parts(1).state() == "recording") break;
    ASSERT_LT(std::chrono::steady_clock::now(), until) << d.log_text();
    std::this_thread::sleep_for(20ms);
  }
  // Two seconds on: the second part's first data is journaled, the first
  // disc is still being finalized (closing a BD-R session takes 3 s).
  std::this_thread::sleep_for(2s);
  d.process().signal(SIGKILL);
  ASSERT_NE(d.process().wait(std::chrono::seconds(10)), -1);
  sender.signal(SIGKILL);
  ASSERT_TRUE(d.restart()) << d.log_text();

  // After the restart the full disc is finished by the pool, the second one
  // taken up open; the catalog knows both.
  std::string catalog;
  const auto recovered_by = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < recovered_by) {
    catalog = d.cli({"--json", "catalog", started.name().substr(started.name().rfind('/') + 1)}).output;
    if (catalog.find("CATALOG_STATE_VERIFIED") != std::string::npos) break;
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_NE(catalog.find("CATALOG_STATE_VERIFIED"), std::string::npos) << catalog << d.log_text();
  EXPECT_NE(catalog.find("\"part\":2"), std::string::npos) << catalog;
  EXPECT_NE(catalog.find("Kill 1"), std::string::npos) << catalog;  // the first disc's label
  auto fin = d.cli({"finalize", "bd1", "--label", "Kill 2"});
  ASSERT_EQ(fin.exit_code, 0) << fin.output;
  for (const std::string drive : {"bd0", "bd1"}) {
    TempDir out;
    auto files = extract_with_7z(d.image(drive), out.path());
    ASSERT_EQ(files.size(), 1u) << drive;
    EXPECT_GT(video_frame_pts(files[0]).size(), 25u) << drive;
  }
}

}  // namespace
}  // namespace discrec::test
