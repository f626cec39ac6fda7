// The daemon's own cost while it records (issue 8): a real discrecd with one
// emulated BD-RE (timing model on, 4x) records 8 live UDP streams, each sent
// by `ffmpeg -re -c copy` of a ~2 Mbit/s 640x360 H.264 TS for ~15 s.
//
// References, measured in the same run, and why:
//  - CPU: the 8 ffmpeg senders' own CPU (utime+stime of the reaped
//    children). Per stream, a sender demuxes and re-muxes the TS and sends
//    it; the daemon demuxes it, marks GOPs, queues it and writes it. That is
//    comparable work, so a daemon that needs more CPU than the senders is
//    doing something wasteful (ratio = senders / daemon, goal >= 1).
//  - Memory: the senders' summed peak RSS (VmHWM, sampled while they run).
//    Per stream both hold a libavformat context and buffers; the daemon
//    holds a ring too (8 MiB each here: 32 s of a 2 Mbit/s stream, far above
//    the 2 s latency budget). Keeping 8 recordings should cost no more
//    memory than the 8 processes that merely send them (goal >= 1).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/bench_daemon_support.h"

namespace {

using namespace discrec;
using Clock = std::chrono::steady_clock;

constexpr int kStreams = 8;
constexpr int kSeconds = 15;

double children_cpu() {
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Every `"key": N` in JSON text.
std::vector<long long> all_json_numbers(const std::string& text, const std::string& key) {
  std::vector<long long> out;
  size_t at = 0;
  for (;;) {
    long long v = bench::json_number_after(text, key, at, &at);
    if (at == std::string::npos) return out;
    out.push_back(v);
    ++at;
  }
}

}  // namespace

int main() {
  setenv("DISCREC_BINARY_DIR", DISCREC_BUILD_DIR, 0);
  if (!test::have_program("ffmpeg")) {
    std::fprintf(stderr, "bench_daemon_idle: ffmpeg is not installed\n");
    return 1;
  }
  test::TempDir dir;
  const std::string source = dir.file("stream.ts");
  auto gen = test::run_command(
      {"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi", "-i",
       "testsrc2=size=640x360:rate=25:duration=" + std::to_string(kSeconds), "-f", "lavfi", "-i",
       "sine=sample_rate=48000:duration=" + std::to_string(kSeconds), "-c:v", "libx264", "-preset", "ultrafast",
       "-b:v", "1850k", "-maxrate", "1850k", "-bufsize", "1850k", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac",
       "-b:a", "128k", "-f", "mpegts", "-y", source},
      std::chrono::minutes(5));
  if (gen.exit_code != 0) {
    std::fprintf(stderr, "bench_daemon_idle: ffmpeg could not make the stream:\n%s\n", gen.output.c_str());
    return 1;
  }

  bench::BenchDaemon daemon(dir, "profile=bd-re&speed=4&timing=on&formatted=nospares");
  if (!daemon.started()) {
    std::fprintf(stderr, "bench_daemon_idle: discrecd did not start:\n%s\n", daemon.log_text().c_str());
    return 1;
  }
  const long daemon_rss_before = bench::status_kb(daemon.pid(), "VmRSS");
  // Ports from our pid, so parallel runs on one machine do not collide.
  const int base_port = 30000 + static_cast<int>(getpid() % 2000) * 8;
  for (int i = 0; i < kStreams; ++i) {
    auto r = test::run_command(daemon.cli({"record", "udp://127.0.0.1:" + std::to_string(base_port + i), "--drive",
                                           "bd0", "--bitrate", "2000000", "--ring-mib", "8", "--title",
                                           "cam" + std::to_string(i), "--detach"}));
    if (r.exit_code != 0) {
      std::fprintf(stderr, "bench_daemon_idle: recording %d refused:\n%s\n%s\n", i, r.output.c_str(),
                   daemon.log_text().c_str());
      return 1;
    }
  }

  const double children0 = children_cpu();
  const double daemon0 = bench::cpu_seconds(daemon.pid());
  const auto t0 = Clock::now();
  std::vector<std::unique_ptr<test::Process>> senders;
  for (int i = 0; i < kStreams; ++i)
    senders.push_back(std::make_unique<test::Process>(
        std::vector<std::string>{"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i", source, "-c",
                                 "copy", "-f", "mpegts",
                                 "udp://127.0.0.1:" + std::to_string(base_port + i) + "?pkt_size=1316"},
        dir.file("sender" + std::to_string(i) + ".log")));
  std::map<pid_t, long> sender_hwm;
  for (bool any = true; any;) {
    any = false;
    for (auto& s : senders) {
      if (!s->running()) continue;
      any = true;
      long hwm = bench::status_kb(s->pid(), "VmHWM");
      sender_hwm[s->pid()] = std::max(sender_hwm[s->pid()], hwm);
    }
    if (any) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (Clock::now() - t0 > std::chrono::seconds(kSeconds * 4)) {
      std::fprintf(stderr, "bench_daemon_idle: the senders did not finish\n");
      return 1;
    }
  }
  for (auto& s : senders) {
    int rc = s->wait(std::chrono::seconds(5));
    if (rc != 0) {
      std::fprintf(stderr, "bench_daemon_idle: a sender failed (exit %d)\n", rc);
      return 1;
    }
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double daemon_cpu = bench::cpu_seconds(daemon.pid()) - daemon0;
  const double sender_cpu = children_cpu() - children0;
  const long daemon_hwm = bench::status_kb(daemon.pid(), "VmHWM");
  long senders_hwm = 0;
  for (const auto& [pid, kb] : sender_hwm) senders_hwm += kb;

  // The figures mean nothing unless all 8 recordings really recorded.
  auto list = test::run_command(daemon.cli({"--json", "recordings"}));
  auto written = all_json_numbers(list.output, "bytes_written");
  int recorded = static_cast<int>(std::count_if(written.begin(), written.end(), [](long long b) {
    return b >= static_cast<long long>(kSeconds / 2) * 2000000 / 8;  // at least half of what was sent
  }));
  if (list.exit_code != 0 || recorded != kStreams) {
    std::fprintf(stderr, "bench_daemon_idle: only %d of %d recordings recorded:\n%s\n%s\n", recorded, kStreams,
                 list.output.c_str(), daemon.log_text().c_str());
    return 1;
  }
  if (daemon_cpu <= 0 || sender_cpu <= 0 || daemon_hwm <= 0 || senders_hwm <= 0) {
    std::fprintf(stderr, "bench_daemon_idle: could not read /proc figures\n");
    return 1;
  }
  std::fprintf(stderr,
               "bench_daemon_idle: %.1f s wall, daemon %.2f cpu-s, senders %.2f cpu-s; daemon RSS %.1f MiB before "
               "the recordings (8 rings of 8 MiB on top)\n",
               wall, daemon_cpu, sender_cpu, daemon_rss_before / 1024.0);
  std::printf("daemon_cpu_8_recordings: %.4f cpu-s/s, reference %.4f cpu-s/s, ratio %.2f (goal >= 1)\n",
              daemon_cpu / wall, sender_cpu / wall, sender_cpu / daemon_cpu);
  std::printf("daemon_peak_rss_8_recordings: %.1f MiB, reference %.1f MiB, ratio %.2f (goal >= 1)\n",
              daemon_hwm / 1024.0, senders_hwm / 1024.0, static_cast<double>(senders_hwm) / daemon_hwm);
  return 0;
}
