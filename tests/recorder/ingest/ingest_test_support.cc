#include "tests/recorder/ingest/ingest_test_support.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>
}

extern char** environ;

namespace discrec::recorder::ingest::testing {

Status RecordingSink::write_packets(std::span<const uint8_t> packets, bool gop_start) {
  std::lock_guard lock(mu_);
  if (packets.size() % kTsPacketSize != 0 || packets.empty()) whole_ = false;
  size_t index = bytes_.size() / kTsPacketSize;
  if (index + packets.size() / kTsPacketSize > fail_after_) {
    return Error(ErrorCode::kResourceExhausted, "test sink full");
  }
  if (gop_start) gops_.push_back(index);
  bytes_.insert(bytes_.end(), packets.begin(), packets.end());
  ++calls_;
  return ok_status();
}

void RecordingSink::source_gap(TimePoint start, Nanos duration) {
  std::lock_guard lock(mu_);
  gaps_.emplace_back(start, duration);
}

void RecordingSink::flush() {
  std::lock_guard lock(mu_);
  flushes_.push_back(bytes_.size());
}

std::vector<size_t> RecordingSink::flushes() const {
  std::lock_guard lock(mu_);
  return flushes_;
}

std::vector<uint8_t> RecordingSink::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}
std::vector<size_t> RecordingSink::gop_packet_indices() const {
  std::lock_guard lock(mu_);
  return gops_;
}
std::vector<std::pair<TimePoint, Nanos>> RecordingSink::gaps() const {
  std::lock_guard lock(mu_);
  return gaps_;
}
size_t RecordingSink::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}
size_t RecordingSink::bytes_size() const {
  std::lock_guard lock(mu_);
  return bytes_.size();
}
bool RecordingSink::all_calls_whole_packets() const {
  std::lock_guard lock(mu_);
  return whole_;
}
void RecordingSink::fail_after_packets(size_t n) {
  std::lock_guard lock(mu_);
  fail_after_ = n;
}

TsCheck check_ts(const std::vector<uint8_t>& ts, int pid) {
  TsCheck c;
  if (ts.size() % 188 != 0) c.sync_ok = false;
  c.packets = ts.size() / 188;
  std::map<int, int> last_cc;
  for (size_t i = 0; i < c.packets; ++i) {
    const uint8_t* p = ts.data() + i * 188;
    if (p[0] != 0x47) {
      c.sync_ok = false;
      continue;
    }
    int this_pid = ((p[1] & 0x1f) << 8) | p[2];
    bool pusi = p[1] & 0x40;
    int afc = (p[3] >> 4) & 3;
    int cc = p[3] & 0x0f;
    bool has_af = afc & 2, has_payload = afc & 1;
    bool discontinuity = has_af && p[4] > 0 && (p[5] & 0x80);
    bool rai = has_af && p[4] > 0 && (p[5] & 0x40);
    if (this_pid != 0x1fff) {
      auto it = last_cc.find(this_pid);
      if (it != last_cc.end() && !discontinuity) {
        int expected = has_payload ? (it->second + 1) & 0x0f : it->second;
        if (cc != expected && !(has_payload && cc == it->second)) ++c.cc_errors;  // a duplicate is legal
      }
      last_cc[this_pid] = cc;
    }
    if (this_pid == pid && pusi && rai) {
      c.random_access_indices.push_back(i);
      size_t off = 4 + (has_af ? 1 + p[4] : 0);
      int64_t pts = -1;
      if (off + 14 <= 188) {
        const uint8_t* pes = p + off;
        if (pes[0] == 0 && pes[1] == 0 && pes[2] == 1 && (pes[7] & 0x80)) {
          const uint8_t* t = pes + 9;
          pts = ((int64_t)(t[0] & 0x0e) << 29) | ((int64_t)t[1] << 22) | ((int64_t)(t[2] & 0xfe) << 14) |
                ((int64_t)t[3] << 7) | (t[4] >> 1);
        }
      }
      c.random_access_pts.push_back(pts);
    }
  }
  return c;
}

const StreamProbe* MediaProbe::first(const std::string& type) const {
  for (const auto& s : streams) {
    if (s.type == type) return &s;
  }
  return nullptr;
}

MediaProbe probe_media(const std::string& path, bool decode) {
  MediaProbe r;
  AVFormatContext* ic = nullptr;
  int ret = avformat_open_input(&ic, path.c_str(), nullptr, nullptr);
  if (ret < 0) {
    r.error = "open failed";
    return r;
  }
  if (avformat_find_stream_info(ic, nullptr) < 0) {
    r.error = "find_stream_info failed";
    avformat_close_input(&ic);
    return r;
  }
  std::vector<int64_t> last_dts(ic->nb_streams, INT64_MIN);
  int video = -1;
  for (unsigned i = 0; i < ic->nb_streams; ++i) {
    StreamProbe s;
    const AVCodecParameters* par = ic->streams[i]->codecpar;
    const char* t = av_get_media_type_string(par->codec_type);
    s.type = t ? t : "unknown";
    s.codec = avcodec_get_name(par->codec_id);
    s.width = par->width;
    s.height = par->height;
    if (video < 0 && par->codec_type == AVMEDIA_TYPE_VIDEO) video = static_cast<int>(i);
    r.streams.push_back(s);
  }
  AVCodecContext* dec = nullptr;
  if (decode && video >= 0) {
    const AVCodec* codec = avcodec_find_decoder(ic->streams[video]->codecpar->codec_id);
    dec = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(dec, ic->streams[video]->codecpar);
    dec->thread_count = 1;
    if (avcodec_open2(dec, codec, nullptr) < 0) avcodec_free_context(&dec);
  }
  AVPacket* pkt = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  auto drain = [&](StreamProbe& s) {
    while (avcodec_receive_frame(dec, frame) >= 0) {
      ++s.decoded_frames;
      std::pair<int, int> size{frame->width, frame->height};
      if (s.sizes.empty() || s.sizes.back() != size) s.sizes.push_back(size);
      av_frame_unref(frame);
    }
  };
  while (av_read_frame(ic, pkt) >= 0) {
    auto& s = r.streams[pkt->stream_index];
    const AVStream* st = ic->streams[pkt->stream_index];
    ++s.packets;
    if (pkt->dts != AV_NOPTS_VALUE) {
      if (pkt->dts <= last_dts[pkt->stream_index]) s.dts_monotonic = false;
      last_dts[pkt->stream_index] = pkt->dts;
    }
    if (pkt->flags & AV_PKT_FLAG_KEY) {
      ++s.key_packets;
      s.key_pts_90k.push_back(pkt->pts == AV_NOPTS_VALUE ? -1 : av_rescale_q(pkt->pts, st->time_base, {1, 90000}));
    }
    if (dec && pkt->stream_index == video) {
      if (avcodec_send_packet(dec, pkt) < 0) ++s.decode_errors;
      drain(s);
    }
    av_packet_unref(pkt);
  }
  if (dec) {
    avcodec_send_packet(dec, nullptr);
    drain(r.streams[video]);
    avcodec_free_context(&dec);
  }
  av_frame_free(&frame);
  av_packet_free(&pkt);
  avformat_close_input(&ic);
  r.ok = true;
  return r;
}

std::filesystem::path make_temp_dir(const std::string& tag) {
  std::string templ = (std::filesystem::temp_directory_path() / ("discrec-ingest-" + tag + "-XXXXXX")).string();
  char* d = mkdtemp(templ.data());
  return d ? std::filesystem::path(d) : std::filesystem::path();
}

void write_file(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

pid_t spawn_ffmpeg(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  if (posix_spawnp(&pid, "ffmpeg", &fa, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

int reap(pid_t pid, bool kill_it) {
  if (pid <= 0) return -1;
  if (kill_it) kill(pid, SIGKILL);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int run_ffmpeg(const std::vector<std::string>& args, int timeout_s) {
  pid_t pid = spawn_ffmpeg(args);
  if (pid <= 0) return -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (std::chrono::steady_clock::now() > deadline) return reap(pid, true), -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool ffmpeg_has_encoder(const std::string& name) {
  return avcodec_find_encoder_by_name(name.c_str()) != nullptr;
}

int free_port(bool udp) {
  int fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

bool wait_port(int port, bool udp, Nanos timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char want[8];
  std::snprintf(want, sizeof want, ":%04X", port);
  while (std::chrono::steady_clock::now() < deadline) {
    auto tables = udp ? std::vector<const char*>{"/proc/net/udp", "/proc/net/udp6"}
                      : std::vector<const char*>{"/proc/net/tcp", "/proc/net/tcp6"};
    for (const char* table : tables) {
      std::ifstream f(table);
      std::string line;
      while (std::getline(f, line)) {
        // local_address is field 2, st (0A = LISTEN) field 4.
        char local[64], remote[64], st[8];
        if (std::sscanf(line.c_str(), "%*d: %63s %63s %7s", local, remote, st) == 3 &&
            std::string(local).find(want) != std::string::npos && (udp || std::string(st) == "0A")) {
          return true;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace discrec::recorder::ingest::testing
