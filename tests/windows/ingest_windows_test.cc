// The ingest as built for Windows (FFmpeg from tools/windows_deps.sh): an
// H.264 + AAC transport stream (made on the host by the ffmpeg CLI, see
// CMakeLists.txt) remuxed from a file beneath a permitted directory
// (open_file_windows.cc) and from a pipe (file_io::wait_readable), frame for
// frame, with GOP marks at the key frames; a path out of the directory is
// refused.
#include <fcntl.h>
#include <io.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "recorder/ingest/ingest.h"
#include "recorder/ingest/source_policy.h"
#include "tests/support/process.h"

namespace discrec::recorder::ingest {
namespace {

// What the host's ffmpeg was asked for: 75 frames at 25 fps, a key frame
// every 12 frames (7 key frames), AAC audio.
constexpr uint64_t kFrames = 75;
constexpr uint64_t kKeyFrames = 7;

class CollectingSink final : public TsSink {
 public:
  Status write_packets(std::span<const uint8_t> packets, bool gop_start) override {
    if (gop_start) gops.push_back(bytes.size());
    bytes.insert(bytes.end(), packets.begin(), packets.end());
    return ok_status();
  }
  void source_gap(TimePoint, Nanos) override {}
  std::vector<uint8_t> bytes;
  std::vector<size_t> gops;
};

std::string input_stream() {
  const char* path = std::getenv("DISCREC_WINDOWS_TS");
  return path ? path : "";
}

void expect_remuxed(const IngestStats& stats, const CollectingSink& sink) {
  EXPECT_EQ(stats.state, IngestStats::State::kFinished) << stats.last_error;
  EXPECT_EQ(stats.video_frames, kFrames);
  EXPECT_EQ(stats.key_frames, kKeyFrames);
  ASSERT_EQ(stats.streams.size(), 2u) << (stats.skipped_streams.empty() ? "" : stats.skipped_streams[0]);
  EXPECT_EQ(stats.streams[0].codec, "h264");
  EXPECT_EQ(stats.streams[1].codec, "aac");
  ASSERT_FALSE(sink.bytes.empty());
  ASSERT_EQ(sink.bytes.size() % kTsPacketSize, 0u);
  for (size_t i = 0; i < sink.bytes.size(); i += kTsPacketSize) ASSERT_EQ(sink.bytes[i], 0x47) << "packet " << i / 188;
  EXPECT_EQ(sink.gops.size(), kKeyFrames);
  // Only the tables (PAT, PMT) come before the first key frame.
  EXPECT_LE(sink.gops.front(), 3 * kTsPacketSize) << "the recording starts at a key frame";
  // Every mark is a packet that starts a video PES.
  for (size_t at : sink.gops) {
    ASSERT_EQ(at % kTsPacketSize, 0u);
    const uint8_t* p = sink.bytes.data() + at;
    EXPECT_TRUE(p[1] & 0x40) << "mark at " << at << ": no payload unit start";
    const size_t payload = ((p[3] >> 4) & 2) ? 5u + p[4] : 4u;
    ASSERT_LT(payload + 4, kTsPacketSize);
    EXPECT_TRUE(p[payload] == 0 && p[payload + 1] == 0 && p[payload + 2] == 1 && (p[payload + 3] & 0xF0) == 0xE0)
        << "mark at " << at << ": not a video PES start";
  }
}

TEST(WindowsIngest, AFileBeneathThePermittedDirectoryIsRemuxedFrameForFrame) {
  const std::string in = input_stream();
  ASSERT_FALSE(in.empty()) << "DISCREC_WINDOWS_TS not set";
  const std::filesystem::path path(in);
  IngestOptions options;
  options.url = path.filename().string();
  options.file_root = path.parent_path().string();
  options.file_path = path.filename().string();
  CollectingSink sink;
  SteadyClock clock;
  Ingest ingest(options, sink, clock);
  const Status status = ingest.run();
  ASSERT_TRUE(status.ok()) << status.error().to_string();
  expect_remuxed(ingest.stats(), sink);
}

TEST(WindowsIngest, APipeIsRemuxedFrameForFrame) {
  const std::string in = input_stream();
  ASSERT_FALSE(in.empty());
  std::ifstream file(in, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(file)), {});
  ASSERT_GT(bytes.size(), 10'000u);
  int fds[2];
  ASSERT_TRUE(test::make_pipe(fds));
  // Written in pieces with pauses: the reader waits on an empty pipe.
  std::thread writer([&] {
    for (size_t at = 0; at < bytes.size(); at += 32 * 1024) {
      const size_t n = std::min<size_t>(32 * 1024, bytes.size() - at);
      if (::_write(fds[1], bytes.data() + at, static_cast<unsigned>(n)) != static_cast<int>(n)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::_close(fds[1]);
  });
  IngestOptions options;
  options.url = "upload";
  options.input_fd = fds[0];
  CollectingSink sink;
  SteadyClock clock;
  Status status;
  IngestStats stats;
  {
    Ingest ingest(options, sink, clock);
    status = ingest.run();
    stats = ingest.stats();
  }
  writer.join();
  ASSERT_TRUE(status.ok()) << status.error().to_string();
  expect_remuxed(stats, sink);
}

TEST(WindowsIngest, APathOutOfThePermittedDirectoryIsRefused) {
  const std::string in = input_stream();
  ASSERT_FALSE(in.empty());
  const std::filesystem::path path(in);
  const std::filesystem::path dir = path.parent_path();
  // The file exists, but only by going up and back down.
  const std::string up = "../" + dir.filename().string() + "/" + path.filename().string();
  for (const std::string& relative : {up, std::string("C:/Windows/win.ini"), std::string("..\\x.ts"),
                                      path.filename().string() + ":stream", std::string("NUL")}) {
    auto fd = open_file_beneath(dir.string(), relative);
    EXPECT_FALSE(fd.ok()) << relative;
    if (fd.ok()) ::_close(*fd);
  }
  // The directory itself is not a file.
  EXPECT_FALSE(open_file_beneath(dir.parent_path().string(), dir.filename().string()).ok());
  auto fd = open_file_beneath(dir.string(), path.filename().string());
  ASSERT_TRUE(fd.ok()) << fd.error().to_string();
  ::_close(*fd);
}

}  // namespace
}  // namespace discrec::recorder::ingest
