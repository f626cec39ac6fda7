// Shared by the daemon benchmarks that need many live sources: a cached
// constant-rate MPEG-TS file, and one thread that sends it to many UDP ports
// at once, each copy paced by the file's PCR as a camera or an encoder would
// send it. One thread and one socket for all copies, so 64 sources cost the
// machine a few percent of a core instead of 64 ffmpeg processes.
// Header-only, bench use only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/bench_daemon_support.h"

namespace discrec::bench {

// A `seconds`-long 640x360 H.264 + AAC TS at a constant mux rate of
// `bitrate_bps` (null packets fill it up, as broadcast encoders do), made
// once with ffmpeg and kept in the cache directory. Empty path on failure.
inline std::filesystem::path cached_live_stream(uint64_t bitrate_bps, int seconds) {
  namespace fs = std::filesystem;
  fs::path dir = cache_dir();
  fs::create_directories(dir);
  const std::string stem = "live_" + std::to_string(bitrate_bps / 1000) + "k_" + std::to_string(seconds) + "s";
  fs::path out = dir / (stem + ".ts");
  if (fs::exists(out) && fs::file_size(out) > 0) return out;
  std::fprintf(stderr, "bench: generating %s (once)\n", out.c_str());
  // 10 s of noisy video at ~85% of the mux rate, then looped with codec copy
  // (ffmpeg keeps the timestamps running across loops).
  fs::path base = dir / (stem + "_base.ts");
  const std::string video_kbps = std::to_string(bitrate_bps * 85 / 100 / 1000) + "k";
  auto r = test::run_command(
      {"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi", "-i",
       "testsrc2=size=640x360:rate=25,noise=alls=20:allf=t", "-f", "lavfi", "-i", "sine=sample_rate=48000", "-t", "10",
       "-c:v", "libx264", "-preset", "ultrafast", "-b:v", video_kbps, "-maxrate", video_kbps, "-bufsize", video_kbps,
       "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-muxrate", std::to_string(bitrate_bps),
       "-f", "mpegts", "-y", base.string()},
      std::chrono::minutes(10));
  if (r.exit_code != 0) {
    std::fprintf(stderr, "bench: ffmpeg failed:\n%s\n", r.output.c_str());
    return {};
  }
  fs::path tmp = dir / (stem + ".ts.part");
  r = test::run_command({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-stream_loop",
                         std::to_string((seconds + 9) / 10 - 1), "-i", base.string(), "-map", "0", "-c", "copy",
                         "-muxrate", std::to_string(bitrate_bps), "-f", "mpegts", "-y", tmp.string()},
                        std::chrono::minutes(10));
  fs::remove(base);
  if (r.exit_code != 0) {
    std::fprintf(stderr, "bench: ffmpeg failed:\n%s\n", r.output.c_str());
    return {};
  }
  fs::rename(tmp, out);
  return out;
}

// Sends one TS file to many 127.0.0.1 UDP ports, 7 packets (1316 bytes) per
// datagram, each datagram when the file's PCR says (linear between PCRs).
// Copy i starts `stagger * i` after start(), so the copies' key frames do not
// all arrive in the same millisecond. Every copy runs from the file's start
// to its end once; make the file longer than the benchmark needs.
//
// Thread-safety: start() and stop() from one thread; sent() from any.
class PcrPacedSenders {
 public:
  static constexpr size_t kPacket = 188;
  static constexpr size_t kDatagram = 7 * kPacket;

  explicit PcrPacedSenders(const std::filesystem::path& ts_file) {
    std::ifstream in(ts_file, std::ios::binary);
    bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    bytes_.resize(bytes_.size() / kDatagram * kDatagram);
    schedule();
  }
  ~PcrPacedSenders() { stop(); }

  bool ok() const { return !send_at_.empty(); }
  double duration_s() const { return send_at_.empty() ? 0 : send_at_.back() / 1e9; }
  uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }

  void start(std::vector<int> ports, std::chrono::nanoseconds stagger) {
    stop();
    stop_requested_ = false;
    thread_ = std::thread([this, ports = std::move(ports), stagger] { run(ports, stagger); });
  }
  void stop() {
    stop_requested_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  // send_at_[d]: nanoseconds after the copy's start at which datagram d goes.
  void schedule() {
    const size_t packets = bytes_.size() / kPacket;
    std::vector<std::pair<size_t, int64_t>> pcrs;  // packet index, PCR in ns
    int pcr_pid = -1;
    for (size_t p = 0; p < packets; ++p) {
      const uint8_t* t = &bytes_[p * kPacket];
      if (t[0] != 0x47 || !(t[3] & 0x20) || t[4] < 7 || !(t[5] & 0x10)) continue;
      const int pid = ((t[1] & 0x1f) << 8) | t[2];
      if (pcr_pid < 0) pcr_pid = pid;
      if (pid != pcr_pid) continue;
      const uint64_t base = (uint64_t{t[6]} << 25) | (uint64_t{t[7]} << 17) | (uint64_t{t[8]} << 9) |
                            (uint64_t{t[9]} << 1) | (t[10] >> 7);
      const uint64_t ext = ((t[10] & 1u) << 8) | t[11];
      const int64_t ns = static_cast<int64_t>((base * 300 + ext) * 1000 / 27);
      if (!pcrs.empty() && ns <= pcrs.back().second) continue;  // a wrap or a jump: keep the rate
      pcrs.push_back({p, ns});
    }
    if (pcrs.size() < 2) return;
    send_at_.resize(bytes_.size() / kDatagram);
    size_t seg = 0;
    for (size_t d = 0; d < send_at_.size(); ++d) {
      const size_t p = d * 7;
      while (seg + 2 < pcrs.size() && p >= pcrs[seg + 1].first) ++seg;
      const auto [p0, t0] = pcrs[seg];
      const auto [p1, t1] = pcrs[seg + 1];
      const double at = static_cast<double>(t0) + (static_cast<double>(p) - static_cast<double>(p0)) *
                                                      static_cast<double>(t1 - t0) /
                                                      static_cast<double>(p1 - p0);
      send_at_[d] = std::max<int64_t>(0, static_cast<int64_t>(at) - pcrs.front().second);
    }
  }

  void run(const std::vector<int>& ports, std::chrono::nanoseconds stagger) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    const int sndbuf = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    struct Copy {
      sockaddr_in to{};
      int64_t start_ns = 0;
      size_t next = 0;
    };
    std::vector<Copy> copies(ports.size());
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const int64_t t0 = now.tv_sec * 1'000'000'000LL + now.tv_nsec;
    for (size_t i = 0; i < ports.size(); ++i) {
      copies[i].to.sin_family = AF_INET;
      copies[i].to.sin_port = htons(static_cast<uint16_t>(ports[i]));
      copies[i].to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      copies[i].start_ns = t0 + static_cast<int64_t>(i) * stagger.count();
    }
    // Wake every millisecond and send what is due: a 1 ms granularity is
    // finer than any receiver's buffering and keeps the thread cheap.
    for (bool any = true; any && !stop_requested_.load(std::memory_order_relaxed);) {
      ::clock_gettime(CLOCK_MONOTONIC, &now);
      const int64_t t = now.tv_sec * 1'000'000'000LL + now.tv_nsec;
      any = false;
      for (auto& c : copies) {
        while (c.next < send_at_.size() && c.start_ns + send_at_[c.next] <= t) {
          ::sendto(fd, &bytes_[c.next * kDatagram], kDatagram, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&c.to),
                   sizeof c.to);
          ++c.next;
          sent_.fetch_add(kDatagram, std::memory_order_relaxed);
        }
        any = any || c.next < send_at_.size();
      }
      timespec wake{now.tv_sec, now.tv_nsec + 1'000'000};
      if (wake.tv_nsec >= 1'000'000'000) {
        wake.tv_sec += 1;
        wake.tv_nsec -= 1'000'000'000;
      }
      ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, nullptr);
    }
    ::close(fd);
  }

  std::vector<uint8_t> bytes_;
  std::vector<int64_t> send_at_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<uint64_t> sent_{0};
  std::thread thread_;
};

}  // namespace discrec::bench
