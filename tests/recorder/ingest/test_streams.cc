#include "tests/recorder/ingest/test_streams.h"

#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>

namespace discrec::recorder::ingest::testing {
namespace {

const std::filesystem::path& media_dir() {
  static std::filesystem::path dir = make_temp_dir("media");
  return dir;
}

std::vector<std::string> lavfi(double seconds, const std::string& size = "320x240") {
  return {"-f", "lavfi", "-i", "testsrc=size=" + size + ":rate=25", "-f", "lavfi", "-i",
          "sine=frequency=440:sample_rate=48000", "-t", std::to_string(seconds)};
}

std::vector<std::string> cat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

std::string test_stream(const std::string& name) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::filesystem::path out = media_dir() / name;
  if (std::filesystem::exists(out)) return out.string();
  const std::vector<std::string> x264 = {"-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "12",
                                         "-pix_fmt", "yuv420p"};
  std::vector<std::string> args;
  if (name == "h264_aac.ts") {
    args = cat(cat(lavfi(3), x264), {"-c:a", "aac", "-b:a", "64k", "-f", "mpegts"});
  } else if (name == "hevc_ac3.ts") {
    args = cat(lavfi(2), {"-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
                          "keyint=12:min-keyint=12:log-level=error", "-pix_fmt", "yuv420p", "-c:a", "ac3",
                          "-f", "mpegts"});
  } else if (name == "mpeg2_multi.ts") {
    args = cat(lavfi(2), {"-map", "0:v", "-map", "1:a", "-map", "1:a", "-map", "1:a", "-c:v", "mpeg2video",
                          "-g", "12", "-bf", "2", "-q:v", "4", "-c:a:0", "mp2", "-c:a:1", "aac", "-c:a:2", "ac3",
                          "-f", "mpegts"});
  } else if (name == "h264_subs.mp4") {
    std::filesystem::path srt = media_dir() / "subs.srt";
    write_file(srt, std::vector<uint8_t>{});
    {
      std::string text = "1\n00:00:00,000 --> 00:00:01,000\nhello\n\n2\n00:00:01,000 --> 00:00:02,000\nworld\n";
      write_file(srt, std::vector<uint8_t>(text.begin(), text.end()));
    }
    std::vector<std::string> inputs = lavfi(2);
    inputs.resize(inputs.size() - 2);  // "-t 2" must stay an output option, after the last input
    args = cat(cat(cat(inputs, {"-i", srt.string(), "-t", "2", "-map", "0:v", "-map", "1:a", "-map", "2:s"}), x264),
               {"-c:a", "aac", "-c:s", "mov_text", "-f", "mp4"});
  } else if (name == "vp9.webm") {
    args = cat(lavfi(1), {"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus",
                          "-f", "webm"});
  } else if (name == "small_640.ts") {
    args = cat(cat(lavfi(2, "640x360"), x264), {"-c:a", "aac", "-b:a", "64k", "-f", "mpegts"});
  } else {
    return "";
  }
  args.push_back("-y");
  args.push_back(out.string());
  if (run_ffmpeg(args, 120) != 0) {
    std::filesystem::remove(out);
    return "";
  }
  return out.string();
}

IngestRun ingest(IngestOptions options) {
  RecordingSink sink;
  Ingest in(std::move(options), sink, SteadyClock::instance());
  IngestRun run{in.run(), {}, {}, {}};
  run.stats = in.stats();
  run.ts = sink.bytes();
  run.gops = sink.gop_packet_indices();
  return run;
}

std::string compare_with_input(const std::string& input_path, const IngestRun& run, bool exact_counts,
                               double min_fraction) {
  std::ostringstream err;
  static int counter = 0;
  std::filesystem::path out = media_dir() / ("run" + std::to_string(++counter) + ".ts");
  write_file(out, run.ts);
  MediaProbe in = probe_media(input_path);
  MediaProbe got = probe_media(out.string(), /*decode=*/true);
  if (!in.ok || !got.ok) return "probe failed: in " + in.error + ", out " + got.error;

  // Streams MPEG-TS can carry, in order, must all be there with their codecs.
  std::vector<const StreamProbe*> want;
  for (const auto& s : in.streams) {
    if (s.codec == "mov_text" || s.codec == "subrip") continue;
    want.push_back(&s);
  }
  if (want.size() != got.streams.size()) {
    err << "input has " << want.size() << " carried streams, output " << got.streams.size() << "; ";
  }
  for (size_t i = 0; i < std::min(want.size(), got.streams.size()); ++i) {
    const StreamProbe& a = *want[i];
    const StreamProbe& b = got.streams[i];
    if (a.codec != b.codec) err << "stream " << i << " codec " << a.codec << " -> " << b.codec << "; ";
    bool counts_ok = exact_counts ? a.packets == b.packets
                                  : b.packets <= a.packets && b.packets >= min_fraction * static_cast<double>(a.packets);
    if (!counts_ok) {
      err << "stream " << i << " (" << a.codec << ") packets " << a.packets << " -> " << b.packets << "; ";
    }
    if (a.type == "video" && exact_counts && a.key_packets != b.key_packets) {
      err << "stream " << i << " key frames " << a.key_packets << " -> " << b.key_packets << "; ";
    }
    if (!b.dts_monotonic) err << "stream " << i << " output DTS not monotonic; ";
  }
  const StreamProbe* v = got.first("video");
  if (!v) return err.str() + "no video in output";
  if (v->decode_errors != 0 || v->decoded_frames != v->packets) {
    err << "video decodes " << v->decoded_frames << "/" << v->packets << " frames, " << v->decode_errors
        << " errors; ";
  }
  TsCheck ts = check_ts(run.ts, 0x100 + static_cast<int>(v - got.streams.data()));
  if (!ts.sync_ok) err << "TS sync lost; ";
  if (ts.cc_errors) err << ts.cc_errors << " continuity counter errors; ";
  if (ts.random_access_indices != run.gops) {
    err << "GOP marks at " << run.gops.size() << " packets, random-access PES starts at "
        << ts.random_access_indices.size() << " (or at other packets); ";
  }
  if (ts.random_access_pts != v->key_pts_90k) {
    err << "PTS at GOP marks differ from the output's key frame PTS; ";
  }
  if (run.gops.size() != v->key_packets) err << run.gops.size() << " GOP marks for " << v->key_packets << " key frames; ";
  if (run.stats.gop_starts != run.gops.size()) err << "stats.gop_starts " << run.stats.gop_starts << "; ";
  if (run.stats.ts_packets * 188 != run.ts.size()) err << "stats.ts_packets " << run.stats.ts_packets << "; ";
  return err.str();
}

}  // namespace discrec::recorder::ingest::testing
