// Live sources on loopback: ffmpeg sends a generated stream over UDP, RTP,
// RTSP (pushing to our listen mode, or to an RTSP server ingest pulls from
// as a client), SRT and HTTP; ingest records it. Also a
// UDP source killed mid-stream and restarted: the recording continues with
// continuous timestamps and the gap is reported.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "tests/recorder/ingest/test_streams.h"
#include "tests/support/process.h"

namespace discrec::recorder::ingest {
namespace {

using namespace std::chrono_literals;
using namespace testing;

// Runs an Ingest on its own thread, as the recorder does.
class LiveIngest {
 public:
  explicit LiveIngest(IngestOptions o) : in_(std::move(o), sink_, SteadyClock::instance()) {
    thread_ = std::thread([this] { status_ = in_.run(); done_ = true; });
  }
  ~LiveIngest() { stop(); }
  // Waits until no new TS packet arrived for `quiet` (or `limit` passed).
  void wait_quiet(Nanos quiet, Nanos limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    size_t last = 0;
    auto since = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < end && !done_) {
      size_t now = in_.stats().packets_in;
      if (now != last) {
        last = now;
        since = std::chrono::steady_clock::now();
      } else if (now > 0 && std::chrono::steady_clock::now() - since > quiet) {
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
  }
  IngestRun stop() {
    in_.stop();
    if (thread_.joinable()) thread_.join();
    IngestRun run{status_, in_.stats(), sink_.bytes(), sink_.gop_packet_indices()};
    return run;
  }
  RecordingSink& sink() { return sink_; }
  Ingest& ingest() { return in_; }

 private:
  RecordingSink sink_;
  Ingest in_;
  Status status_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

std::vector<std::string> send_file(const std::string& file, std::vector<std::string> output) {
  std::vector<std::string> args = {"-re", "-i", file, "-map", "0", "-c", "copy"};
  args.insert(args.end(), output.begin(), output.end());
  return args;
}

IngestOptions live_options(const std::string& url) {
  IngestOptions o;
  o.url = url;
  o.open_timeout = 5s;
  o.read_timeout = 1s;
  o.reconnect.initial_backoff = 50ms;
  o.reconnect.max_backoff = 100ms;
  return o;
}

// Records `url` while ffmpeg sends h264_aac.ts to `sender_output`.
IngestRun record_while_sending(IngestOptions o, std::vector<std::string> sender_output, int port, bool udp,
                               bool ingest_listens = true, const std::string& stream = "h264_aac.ts") {
  std::string in = test_stream(stream);
  pid_t sender = -1;
  std::unique_ptr<LiveIngest> live;
  if (ingest_listens) {
    live = std::make_unique<LiveIngest>(o);
    EXPECT_TRUE(wait_port(port, udp, 5s)) << "ingest not listening on " << port;
    sender = spawn_ffmpeg(send_file(in, sender_output));
  } else {
    sender = spawn_ffmpeg(send_file(in, sender_output));
    EXPECT_TRUE(wait_port(port, udp, 5s)) << "sender not listening on " << port;
    live = std::make_unique<LiveIngest>(o);
  }
  live->wait_quiet(1500ms, 15s);
  IngestRun run = live->stop();
  EXPECT_EQ(reap(sender, false), 0) << "sender failed";
  return run;
}

TEST(IngestLiveTest, UdpUnicast) {
  int port = free_port(true);
  std::string url = "udp://127.0.0.1:" + std::to_string(port);
  IngestRun run = record_while_sending(live_options(url), {"-f", "mpegts", url + "?pkt_size=1316"}, port, true);
  EXPECT_EQ(run.status.error().code(), ErrorCode::kAborted);
  EXPECT_EQ(compare_with_input(test_stream("h264_aac.ts"), run), "");
}

TEST(IngestLiveTest, UdpMulticast) {
  int port = free_port(true);
  std::string group = "udp://239.255.42.42:" + std::to_string(port);
  IngestRun run = record_while_sending(live_options(group + "?localaddr=127.0.0.1"),
                                       {"-f", "mpegts", group + "?pkt_size=1316&ttl=0&localaddr=127.0.0.1"}, port,
                                       true);
  if (run.stats.packets_in == 0) GTEST_SKIP() << "no multicast routing on loopback here: " << run.stats.last_error;
  EXPECT_EQ(compare_with_input(test_stream("h264_aac.ts"), run), "");
}

TEST(IngestLiveTest, RtpCarryingMpegTs) {
  int port = free_port(true) & ~1;  // RTP on an even port, RTCP on the next
  std::string url = "rtp://127.0.0.1:" + std::to_string(port);
  IngestRun run = record_while_sending(live_options(url), {"-f", "rtp_mpegts", url}, port, true);
  // The RTP demuxer needs the first packets to detect the payload: the start
  // may be lost, as with a camera already sending.
  EXPECT_EQ(compare_with_input(test_stream("h264_aac.ts"), run, /*exact_counts=*/false), "");
}

TEST(IngestLiveTest, RtpH264DescribedBySdp) {
  std::string in = test_stream("h264_subs.mp4");
  ASSERT_FALSE(in.empty());
  int port = free_port(true) & ~1;
  std::filesystem::path sdp = make_temp_dir("sdp") / "session.sdp";
  pid_t sender = spawn_ffmpeg({"-re", "-i", in, "-map", "0:v", "-c", "copy", "-sdp_file", sdp.string(), "-f", "rtp",
                               "rtp://127.0.0.1:" + std::to_string(port)});
  for (int i = 0; i < 100 && !std::filesystem::exists(sdp); ++i) std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(50ms);  // written, not just created
  LiveIngest live(live_options(sdp.string()));
  live.wait_quiet(1500ms, 15s);
  IngestRun run = live.stop();
  EXPECT_EQ(reap(sender, false), 0);
  ASSERT_EQ(run.stats.streams.size(), 1u);
  EXPECT_EQ(run.stats.streams[0].codec, "h264");
  // Packets sent before the SDP was read are lost, as with any RTP receiver.
  EXPECT_GE(run.stats.video_frames, 25u);
  EXPECT_LE(run.stats.video_frames, 50u);
  std::filesystem::path out = sdp.parent_path() / "out.ts";
  write_file(out, run.ts);
  MediaProbe got = probe_media(out.string(), true);
  const StreamProbe* v = got.first("video");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->packets, run.stats.video_frames);
  EXPECT_EQ(v->decode_errors, 0u);
  EXPECT_TRUE(v->dts_monotonic);
  TsCheck ts = check_ts(run.ts, 0x100);
  EXPECT_EQ(ts.cc_errors, 0u);
  EXPECT_EQ(ts.random_access_indices, run.gops);
  EXPECT_EQ(ts.random_access_pts, v->key_pts_90k);
}

TEST(IngestLiveTest, RtspCameraPushesToListenMode) {
  int port = free_port(false);
  std::string url = "rtsp://127.0.0.1:" + std::to_string(port) + "/live";
  IngestOptions o = live_options(url);
  o.listen = true;
  // From MP4: RTSP needs AAC's global header, which MPEG-TS sources lack.
  // FFmpeg's RTSP listener gives the first packets no timestamps, so the
  // recording starts at the first key frame that has one.
  IngestRun run = record_while_sending(o, {"-map", "-0:s", "-f", "rtsp", "-rtsp_transport", "tcp", url}, port, false,
                                       true, "h264_subs.mp4");
  EXPECT_EQ(compare_with_input(test_stream("h264_subs.mp4"), run, /*exact_counts=*/false), "");
  EXPECT_GE(run.stats.key_frames, 3u);
}

// The usual IP camera: an RTSP server ingest connects to as a client
// (DESCRIBE, SETUP, PLAY; RTP over UDP). The server is RTSP::Server (Debian's
// librtsp-server-perl, nobody here wrote it) relaying what ffmpeg publishes
// to it as the camera's encoder would.
TEST(IngestLiveTest, RtspClientPullsFromACameraServer) {
  if (discrec::test::run_command({"perl", "-MRTSP::Server", "-e", "1"}).exit_code != 0)
    GTEST_SKIP() << "librtsp-server-perl is not installed";
  std::filesystem::path dir = make_temp_dir("rtsp-server");
  // 8 s, long enough to be live after the connect; MP4, as RTSP needs
  // AAC's global header.
  const std::string in = (dir / "camera.mp4").string();
  ASSERT_EQ(run_ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=8", "-f", "lavfi", "-i",
                        "sine=frequency=440:duration=8", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
                        "-pix_fmt", "yuv420p", "-c:a", "aac", "-y", in}),
            0);
  const int client_port = free_port(false);
  int source_port = free_port(false);
  while (source_port == client_port) source_port = free_port(false);
  discrec::test::Process server(
      {"perl", discrec::test::source_path("tests/support/rtsp_relay.pl"), "--clientport", std::to_string(client_port), "--serverport", std::to_string(source_port),
       "--client_listen_address", "127.0.0.1", "--source_listen_address", "127.0.0.1", "--rtp_start_port",
       std::to_string(free_port(true)), "--loglevel", "2"},
      (dir / "server.log").string());
  ASSERT_TRUE(wait_port(client_port, false, 20s) && wait_port(source_port, false, 20s))
      << discrec::test::read_file((dir / "server.log").string());
  const std::string path = "/cam" + std::to_string(client_port);
  pid_t camera = spawn_ffmpeg(send_file(in, {"-f", "rtsp", "rtsp://127.0.0.1:" + std::to_string(source_port) + path}));
  // The stream exists on the server once the camera's ANNOUNCE went through.
  const std::string url = "rtsp://127.0.0.1:" + std::to_string(client_port) + path;
  bool described = false;
  for (int i = 0; i < 50 && !described; ++i) {
    described = discrec::test::run_command({"ffprobe", "-v", "error", "-rw_timeout", "2000000", url},
                                           std::chrono::seconds(5)).exit_code == 0;
    if (!described) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(described) << discrec::test::read_file((dir / "server.log").string());
  LiveIngest live(live_options(url));
  EXPECT_EQ(reap(camera, false), 0) << "camera failed";
  live.wait_quiet(1500ms, 15s);
  IngestRun run = live.stop();
  EXPECT_GT(run.stats.packets_in, 0u) << run.stats.last_error;
  // Live: what the camera sent before the connect is not there.
  EXPECT_GE(run.stats.key_frames, 4u);
  EXPECT_GE(run.stats.video_frames, 100u);
  std::filesystem::path out = dir / "out.ts";
  write_file(out, run.ts);
  MediaProbe got = probe_media(out.string(), true);
  const StreamProbe* v = got.first("video");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->codec, "h264");
  EXPECT_EQ(v->packets, run.stats.video_frames);
  EXPECT_EQ(v->decode_errors, 0u);
  EXPECT_TRUE(v->dts_monotonic);
  EXPECT_NE(got.first("audio"), nullptr) << "the camera's audio was not recorded";
  EXPECT_EQ(check_ts(run.ts, 0x100).random_access_indices, run.gops);
}

TEST(IngestLiveTest, RtspListenTakesTheCameraBackAfterItReconnects) {
  std::string in = test_stream("h264_subs.mp4");
  ASSERT_FALSE(in.empty());
  int port = free_port(false);
  std::string url = "rtsp://127.0.0.1:" + std::to_string(port) + "/live";
  IngestOptions o = live_options(url);
  o.listen = true;
  LiveIngest live(o);
  std::vector<std::string> push = {"-re", "-i", in, "-map", "0:v", "-map", "0:a", "-c", "copy", "-f", "rtsp",
                                   "-rtsp_transport", "tcp", url};
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(wait_port(port, false, 10s)) << "not listening, round " << round;
    EXPECT_EQ(reap(spawn_ffmpeg(push), false), 0) << "push " << round;
    if (round == 0) std::this_thread::sleep_for(500ms);
  }
  live.wait_quiet(1s, 5s);
  IngestRun run = live.stop();
  EXPECT_GE(run.stats.reconnects, 1u);
  EXPECT_EQ(live.sink().gaps().size(), 1u);
  EXPECT_GE(run.stats.key_frames, 6u);  // both pushes recorded (each loses its unstamped first GOP)
  EXPECT_GE(run.stats.video_frames, 70u);
  std::filesystem::path out = make_temp_dir("rtsp2") / "out.ts";
  write_file(out, run.ts);
  MediaProbe got = probe_media(out.string(), true);
  const StreamProbe* v = got.first("video");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->packets, run.stats.video_frames);
  EXPECT_EQ(v->decode_errors, 0u);
  EXPECT_TRUE(v->dts_monotonic);
  EXPECT_EQ(check_ts(run.ts, 0x100).random_access_indices, run.gops);
}

TEST(IngestLiveTest, SrtListener) {
  int port = free_port(true);
  std::string url = "srt://127.0.0.1:" + std::to_string(port);
  IngestRun run = record_while_sending(live_options(url + "?mode=listener"),
                                       {"-f", "mpegts", url + "?mode=caller&pkt_size=1316"}, port, true);
  // The caller closes without lingering, so its last packets may not arrive.
  EXPECT_EQ(compare_with_input(test_stream("h264_aac.ts"), run, /*exact_counts=*/false), "");
}

TEST(IngestLiveTest, HttpClient) {
  int port = free_port(false);
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/live.ts";
  IngestRun run = record_while_sending(live_options(url), {"-f", "mpegts", "-listen", "1", url}, port, false,
                                       /*ingest_listens=*/false);
  EXPECT_EQ(compare_with_input(test_stream("h264_aac.ts"), run), "");
}

// A source that starts answering only after the recording started (an
// encoder started together with it): the first open is retried, no faster
// than the reconnect backoff, until the open timeout, and the recording
// gets the whole stream.
TEST(IngestLiveTest, AFirstOpenIsRetriedUntilTheSourceAnswers) {
  int port = free_port(false);
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/live.ts";
  IngestOptions o = live_options(url);
  o.open_timeout = 15s;
  o.reconnect.initial_backoff = 400ms;  // as DriveSession raises it to the policy's min_reconnect_interval
  o.reconnect.max_backoff = 800ms;
  LiveIngest live(o);
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(2500ms);  // connection refused meanwhile
  IngestStats waiting = live.ingest().stats();
  EXPECT_EQ(waiting.state, IngestStats::State::kOpening);
  EXPECT_GE(waiting.open_attempts, 2u);
  // 0, 0.4, 1.2, 2.0 s: never faster than the backoff.
  EXPECT_LE(waiting.open_attempts, 4u);
  EXPECT_NE(waiting.last_error.find("Connection refused"), std::string::npos) << waiting.last_error;
  pid_t sender = spawn_ffmpeg(send_file(test_stream("h264_aac.ts"), {"-f", "mpegts", "-listen", "1", url}));
  live.wait_quiet(1500ms, 20s);
  IngestRun run = live.stop();
  EXPECT_EQ(reap(sender, false), 0) << "sender failed";
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_LE(run.stats.open_attempts,
            static_cast<uint64_t>(elapsed / o.reconnect.initial_backoff) + 1);
  EXPECT_EQ(run.stats.reconnects, 0u);
  EXPECT_EQ(compare_with_input(test_stream("h264_aac.ts"), run), "");
}

// The open timeout bounds all first attempts together: a source that never
// answers fails after it, naming the attempts and the last cause.
TEST(IngestLiveTest, AFirstOpenGivesUpAtTheOpenTimeout) {
  int port = free_port(false);
  IngestOptions o = live_options("http://127.0.0.1:" + std::to_string(port) + "/live.ts");
  o.open_timeout = 1500ms;
  o.reconnect.initial_backoff = 200ms;
  o.reconnect.max_backoff = 400ms;
  RecordingSink sink;
  Ingest in(o, sink, SteadyClock::instance());
  const auto t0 = std::chrono::steady_clock::now();
  Status s = in.run();
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kUnavailable) << s.error().to_string();
  EXPECT_NE(s.error().message().find("attempts within 1500 ms"), std::string::npos) << s.error().message();
  EXPECT_NE(s.error().message().find("Connection refused"), std::string::npos) << s.error().message();
  EXPECT_GE(in.stats().open_attempts, 3u);
  EXPECT_LT(elapsed, 3s);
}

TEST(IngestLiveTest, HttpListenReceivesAPush) {
  int port = free_port(false);
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/live.ts";
  IngestOptions o = live_options(url);
  o.listen = true;
  IngestRun run = record_while_sending(o, {"-f", "mpegts", url}, port, false);
  EXPECT_EQ(compare_with_input(test_stream("h264_aac.ts"), run), "");
}

TEST(IngestLiveTest, UdpSourceKilledAndRestartedContinuesWithGapReported) {
  std::string in = test_stream("h264_aac.ts");
  ASSERT_FALSE(in.empty());
  int port = free_port(true);
  std::string url = "udp://127.0.0.1:" + std::to_string(port);
  IngestOptions o = live_options(url);
  o.read_timeout = 800ms;
  o.open_timeout = 3s;  // probing a live AAC track takes about a second
  LiveIngest live(o);
  ASSERT_TRUE(wait_port(port, true, 5s));
  std::vector<std::string> out = {"-f", "mpegts", url + "?pkt_size=1316"};
  pid_t first = spawn_ffmpeg(send_file(in, out));
  std::this_thread::sleep_for(1500ms);
  reap(first, /*kill_it=*/true);  // killed mid-stream
  const TimePoint killed = SteadyClock::instance().now();
  uint64_t before = live.ingest().stats().video_frames;
  std::this_thread::sleep_for(2500ms);  // source away: read timeout, reconnect attempts
  EXPECT_EQ(live.ingest().stats().state, IngestStats::State::kReconnecting);
  {  // Everything received before the loss is in the sink already, during the gap.
    uint64_t muxed = live.ingest().stats().video_frames;
    std::filesystem::path during = make_temp_dir("during") / "during.ts";
    write_file(during, live.sink().bytes());
    MediaProbe got = probe_media(during.string());
    ASSERT_NE(got.first("video"), nullptr);
    EXPECT_EQ(got.first("video")->packets, muxed);
    // ... and the sink was told to hand it on (nothing more is coming).
    auto flushes = live.sink().flushes();
    ASSERT_FALSE(flushes.empty());
    EXPECT_EQ(flushes.back(), live.sink().bytes_size());
  }
  pid_t second = spawn_ffmpeg(send_file(in, out));
  EXPECT_EQ(reap(second, false), 0);
  live.wait_quiet(1s, 5s);
  IngestRun run = live.stop();

  EXPECT_GT(before, 10u);
  EXPECT_LT(before, 75u);
  // Most of the second run: it may lose what came during a backoff sleep,
  // the wait for PAT/PMT and the wait for its first key frame (GOP 0.48 s).
  EXPECT_GT(run.stats.video_frames, before + 30);
  EXPECT_GE(run.stats.reconnects, 1u);
  auto gaps = live.sink().gaps();
  std::string listed;
  for (auto& [start, d] : gaps) {
    listed += std::to_string(start.time_since_epoch().count() / 1000000) + "ms+" + std::to_string(d.count() / 1000000) + "ms ";
  }
  ASSERT_EQ(gaps.size(), 1u) << listed << run.stats.last_error;
  EXPECT_GT(gaps[0].second, 2s);
  EXPECT_LT(gaps[0].second, 5s);
  // The gap starts when data stopped, not when the loss was noticed (the
  // read timeout later: 800 ms; the demuxer's flushed last PES must not
  // count as data arriving then).
  EXPECT_LT(gaps[0].first, killed + 400ms) << "gap began " << (gaps[0].first - killed).count() / 1000000
                                           << " ms after the sender died";
  EXPECT_GT(gaps[0].first, killed - 1s);
  ASSERT_EQ(run.stats.gaps.size(), 1u);
  EXPECT_EQ(run.stats.gaps[0].duration, gaps[0].second);

  std::filesystem::path outp = make_temp_dir("reconnect") / "out.ts";
  write_file(outp, run.ts);
  MediaProbe got = probe_media(outp.string(), true);
  ASSERT_TRUE(got.ok);
  const StreamProbe* v = got.first("video");
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->dts_monotonic);
  EXPECT_EQ(v->packets, run.stats.video_frames);
  EXPECT_EQ(v->decode_errors, 0u);
  TsCheck ts = check_ts(run.ts, 0x100);
  EXPECT_TRUE(ts.sync_ok);
  EXPECT_EQ(ts.cc_errors, 0u);
  EXPECT_EQ(ts.random_access_indices, run.gops);
  EXPECT_EQ(ts.random_access_pts, v->key_pts_90k);
  // Continuous: the output clock advanced by about the recorded media, not the
  // restarted source's clock (which went back to its start).
  ASSERT_GE(v->key_pts_90k.size(), 2u);
  int64_t span = v->key_pts_90k.back() - v->key_pts_90k.front();
  EXPECT_GT(span, 2 * 90000);
  EXPECT_LT(span, 8 * 90000);
}

TEST(IngestLiveTest, StopWhileListeningForACameraReturnsPromptly) {
  int port = free_port(false);
  IngestOptions o = live_options("rtsp://127.0.0.1:" + std::to_string(port) + "/live");
  o.listen = true;  // no open timeout: waits for the camera until stopped
  RecordingSink sink;
  Ingest in(o, sink, SteadyClock::instance());
  Status s;
  std::thread t([&] { s = in.run(); });
  ASSERT_TRUE(wait_port(port, false, 5s));
  std::this_thread::sleep_for(200ms);
  auto t0 = std::chrono::steady_clock::now();
  in.stop();
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_EQ(s.error().code(), ErrorCode::kAborted);
}

TEST(IngestLiveTest, SourceThatStaysAwayEndsAfterMaxAttempts) {
  std::string in = test_stream("h264_aac.ts");
  int port = free_port(true);
  std::string url = "udp://127.0.0.1:" + std::to_string(port);
  IngestOptions o = live_options(url);
  o.open_timeout = 2s;  // the first open probes a live AAC track (~1 s)
  o.read_timeout = 300ms;
  o.reconnect.max_attempts = 2;
  RecordingSink sink;
  Ingest ing(o, sink, SteadyClock::instance());
  Status s;
  std::thread t([&] { s = ing.run(); });
  ASSERT_TRUE(wait_port(port, true, 5s));
  pid_t sender = spawn_ffmpeg({"-re", "-i", in, "-map", "0", "-c", "copy", "-t", "1", "-f", "mpegts", url});
  EXPECT_EQ(reap(sender, false), 0);
  t.join();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kTimeout) << s.error().to_string();
  EXPECT_NE(s.error().message().find("not back after 2 attempts"), std::string::npos) << s.error().message();
  IngestStats st = ing.stats();
  EXPECT_EQ(st.state, IngestStats::State::kFailed);
  EXPECT_GT(st.video_frames, 10u);  // what came before stays recorded
  EXPECT_EQ(sink.bytes_size(), st.ts_packets * 188);
  EXPECT_GT(sink.bytes_size(), 0u);
}

TEST(IngestLiveTest, StopWhileWaitingForAFirstPacketReturnsPromptly) {
  int port = free_port(true);
  IngestOptions o = live_options("udp://127.0.0.1:" + std::to_string(port));
  o.open_timeout = 60s;
  RecordingSink sink;
  Ingest in(o, sink, SteadyClock::instance());
  Status s;
  std::thread t([&] { s = in.run(); });
  std::this_thread::sleep_for(300ms);
  auto t0 = std::chrono::steady_clock::now();
  in.stop();
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kAborted);
}

}  // namespace
}  // namespace discrec::recorder::ingest
