// Start storm (issue 17): a real discrecd with 16 emulated BD-R drives at 4x
// (timing model on, real time) gets 64 live UDP recordings of 4 Mbit/s
// each, 4 per drive, all 64 StartRecording calls issued in ONE burst from 64
// client threads. The reference, measured in the same run on a fresh daemon
// and fresh discs: the same 64 recordings started one by one (each waits
// until the previous one is RECORDING). Each phase then records for
// kRecordSeconds after its last recording is RECORDING, stops them all and
// reads their stats over gRPC.
//
// The sources: one PCR-paced sender thread (bench_live_senders.h) sends the
// same cached 4 Mbit/s CBR TS to 64 loopback ports, copies staggered over
// one GOP; it runs before the first start, so recordings join mid-stream,
// as they would a camera's multicast.
//
// Figures:
//  - start_storm_missed_deadlines: the missed write deadlines (arrival +
//    2 s latency budget, RecordingStats.missed_deadlines) summed over the
//    64 recordings. The goal is 0 and the reference is expected to be 0 too,
//    so the ratio is (reference + 1) / (burst + 1): 1 when both are 0, below
//    1 as soon as the burst misses more than the calm start (goal >= 1).
//  - start_storm_time_to_recording: from the first StartRecording until all
//    64 are RECORDING (the daemon has their first bytes). Reference: the same
//    span one by one. A burst should not take longer than the starts done
//    one after another (ratio = reference / burst, goal >= 1).
//
// The config raises [limits] max_calls_per_peer (16 by default) to 80 and
// max_calls to 160: the burst comes from one client (one uid), which the
// default limits would answer with RESOURCE_EXHAUSTED beyond 16 calls in
// flight. Rings are 8 MiB (16 s of a stream; the default 64 MiB x 64 would
// not fit the 1 GiB default ring_memory), ring_memory 640 MiB.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <latch>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/bench_daemon_rpc.h"
#include "tests/bench/bench_daemon_support.h"
#include "tests/bench/bench_live_senders.h"

namespace {

using namespace discrec;
using Clock = std::chrono::steady_clock;

constexpr int kDrives = 16;
constexpr int kStreams = 64;
constexpr uint64_t kBitrate = 4'000'000;
constexpr uint64_t kRingBytes = 8ull << 20;
constexpr int kRecordSeconds = 30;
constexpr int kStreamSeconds = 200;  // the sent file: longer than the slower phase

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct PhaseResult {
  bool ok = false;
  double to_recording_s = 0;
  double wall_s = 0;
  uint64_t missed = 0, shed = 0, lost = 0, bytes_in = 0, bytes_written = 0, ring_high_water = 0;
  double min_slack_s = 1e9;
  int refused = 0;
  std::string scheduling;
  double daemon_cpu_s = 0, self_cpu_s = 0;  // self: cumulative over the phases
};

PhaseResult run_phase(bool burst, bench::PcrPacedSenders& senders, const std::vector<int>& ports) {
  const char* phase = burst ? "burst" : "one by one";
  PhaseResult out;
  const auto wall0 = Clock::now();
  test::TempDir dir;
  std::vector<std::pair<std::string, std::string>> drives;
  for (int d = 0; d < kDrives; ++d) drives.push_back({"bd" + std::to_string(d), "profile=bd-r&speed=4"});
  bench::BenchDaemon daemon(dir, drives,
                            "[limits]\nring_size = \"8MiB\"\nring_memory = \"640MiB\"\nmax_calls = 160\n"
                            "max_calls_per_peer = 80\n[sources]\nnetworks = [\"127.0.0.0/8\"]\n");
  if (!daemon.started()) {
    std::fprintf(stderr, "bench_start_storm: discrecd did not start:\n%s\n", daemon.log_text().c_str());
    return out;
  }
  bench::DaemonRpc rpc(daemon.socket());
  if (!rpc.connected()) return out;

  // The sources are live before the first start; copies staggered over 1 s.
  senders.start(ports, std::chrono::nanoseconds(1'000'000'000 / kStreams));
  std::this_thread::sleep_for(std::chrono::seconds(2));

  auto drive_of = [](int i) { return "bd" + std::to_string(i % kDrives); };
  auto url_of = [&](int i) { return "udp://127.0.0.1:" + std::to_string(ports[i]); };
  std::vector<std::string> names(kStreams);
  std::vector<std::string> errors(kStreams);
  const auto t0 = Clock::now();
  if (burst) {
    std::latch go(kStreams + 1);
    std::vector<std::thread> threads;
    for (int i = 0; i < kStreams; ++i)
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        v1::Recording r;
        auto st = rpc.start(drive_of(i), url_of(i), kBitrate, kRingBytes, "cam" + std::to_string(i), &r);
        if (st.ok()) names[i] = r.name();
        else errors[i] = st.error_message();
      });
    go.arrive_and_wait();
    for (auto& t : threads) t.join();
    std::fprintf(stderr, "bench_start_storm: burst: all 64 StartRecording calls answered after %.3f s\n", since(t0));
  } else {
    for (int i = 0; i < kStreams; ++i) {
      v1::Recording r;
      auto st = rpc.start(drive_of(i), url_of(i), kBitrate, kRingBytes, "cam" + std::to_string(i), &r);
      if (!st.ok()) {
        errors[i] = st.error_message();
        continue;
      }
      names[i] = r.name();
      while (r.state() == v1::RECORDING_STATE_STARTING && since(t0) < kStreamSeconds - kRecordSeconds - 20) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (!rpc.get(names[i], &r).ok()) break;
      }
      if (r.state() != v1::RECORDING_STATE_RECORDING) errors[i] = "did not reach RECORDING: " + r.error();
    }
  }
  for (int i = 0; i < kStreams; ++i)
    if (!errors[i].empty()) {
      ++out.refused;
      std::fprintf(stderr, "bench_start_storm: %s: recording %d: %s\n", phase, i, errors[i].c_str());
    }
  // Until every recording is RECORDING (or has ended), polled every 20 ms
  // (one by one, they already are).
  bool all = false;
  for (const auto started = Clock::now(); !all && since(started) < 60;) {
    auto list = rpc.list_all();
    all = list.size() == static_cast<size_t>(kStreams - out.refused) &&
          std::all_of(list.begin(), list.end(),
                      [](const v1::Recording& r) { return r.state() != v1::RECORDING_STATE_STARTING; });
    if (!all) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  out.to_recording_s = since(t0);
  if (!all) std::fprintf(stderr, "bench_start_storm: %s: not all recordings reached RECORDING\n", phase);
  {
    grpc::ClientContext ctx;
    v1::GetDriveRequest req;
    req.set_name("drives/bd0");
    v1::Drive d;
    if (rpc.drives->GetDrive(&ctx, req, &d).ok()) out.scheduling = d.writer_scheduling();
  }
  std::this_thread::sleep_for(std::chrono::seconds(kRecordSeconds));
  for (const auto& name : names)
    if (!name.empty()) (void)rpc.stop(name);
  auto list = rpc.list_all();
  senders.stop();
  // What the load costs the machine (2 shared cores here): the daemon's CPU
  // and this process's (the sender thread, the polling client).
  out.daemon_cpu_s = bench::cpu_seconds(daemon.pid());
  out.self_cpu_s = bench::cpu_seconds(getpid());
  std::map<std::string, int> states;
  for (const auto& r : list) {
    ++states[v1::RecordingState_Name(r.state())];
    const auto& s = r.stats();
    out.missed += s.missed_deadlines();
    out.shed += s.shed_bytes();
    out.lost += s.lost_bytes();
    out.bytes_in += s.bytes_in();
    out.bytes_written += s.bytes_written();
    out.ring_high_water = std::max<uint64_t>(out.ring_high_water, s.ring_high_water_bytes());
    if (s.has_min_deadline_slack()) out.min_slack_s = std::min(out.min_slack_s, bench::seconds_of(s.min_deadline_slack()));
    if (r.state() == v1::RECORDING_STATE_FAILED)
      std::fprintf(stderr, "bench_start_storm: %s: %s failed: %s\n", phase, r.name().c_str(), r.error().c_str());
  }
  std::string state_text;
  for (const auto& [s, n] : states) state_text += " " + std::to_string(n) + " " + s;
  // Which recordings came closest to their deadline: the start's cost, if
  // any, shows there first.
  std::sort(list.begin(), list.end(), [](const v1::Recording& a, const v1::Recording& b) {
    return bench::seconds_of(a.stats().min_deadline_slack()) < bench::seconds_of(b.stats().min_deadline_slack());
  });
  std::string tightest;
  for (size_t i = 0; i < std::min<size_t>(list.size(), 6); ++i)
    tightest += " " + list[i].name() + " " + std::to_string(bench::seconds_of(list[i].stats().min_deadline_slack())) +
                " s (p99 " + std::to_string(bench::seconds_of(list[i].stats().p99_deadline_slack())) + " s);";
  std::fprintf(stderr, "bench_start_storm: %s: least slack:%s\n", phase, tightest.c_str());
  out.wall_s = since(wall0);
  std::fprintf(stderr,
               "bench_start_storm: %s: %d refused, all RECORDING after %.3f s; after stop:%s; %llu missed "
               "deadlines, min slack %.3f s, %llu bytes in, %llu written, %llu shed, %llu lost, ring high water "
               "%.2f MiB; writer %s; phase wall %.1f s; daemon %.1f cpu-s, bench process %.1f cpu-s so far\n",
               phase, out.refused, out.to_recording_s, state_text.c_str(),
               static_cast<unsigned long long>(out.missed), out.min_slack_s,
               static_cast<unsigned long long>(out.bytes_in), static_cast<unsigned long long>(out.bytes_written),
               static_cast<unsigned long long>(out.shed), static_cast<unsigned long long>(out.lost),
               out.ring_high_water / 1048576.0, out.scheduling.c_str(), out.wall_s, out.daemon_cpu_s,
               out.self_cpu_s);
  out.ok = all && list.size() == static_cast<size_t>(kStreams) && out.refused == 0;
  if (!out.ok) std::fprintf(stderr, "%s\n", daemon.log_text().c_str());
  return out;
}

}  // namespace

int main() {
  setenv("DISCREC_BINARY_DIR", DISCREC_BUILD_DIR, 0);
  if (!test::have_program("ffmpeg")) {
    std::fprintf(stderr, "bench_start_storm: ffmpeg is not installed\n");
    return 1;
  }
  auto file = bench::cached_live_stream(kBitrate, kStreamSeconds);
  if (file.empty()) return 1;
  bench::PcrPacedSenders senders(file);
  if (!senders.ok()) {
    std::fprintf(stderr, "bench_start_storm: no PCR in %s\n", file.c_str());
    return 1;
  }
  // Ports from our pid, so parallel runs on one machine do not collide.
  const int base_port = 20000 + static_cast<int>(getpid() % 600) * kStreams;
  std::vector<int> ports;
  for (int i = 0; i < kStreams; ++i) ports.push_back(base_port + i);

  const auto t0 = Clock::now();
  PhaseResult storm = run_phase(/*burst=*/true, senders, ports);
  if (!storm.ok) return 1;
  PhaseResult calm = run_phase(/*burst=*/false, senders, ports);
  if (!calm.ok) return 1;
  std::fprintf(stderr, "bench_start_storm: %.1f s wall\n", since(t0));
  // Goal 0 for both: (reference + 1) / (burst + 1) is 1 when neither misses.
  std::printf("start_storm_missed_deadlines: %llu deadlines, reference %llu deadlines, ratio %.2f (goal >= 1)\n",
              static_cast<unsigned long long>(storm.missed), static_cast<unsigned long long>(calm.missed),
              static_cast<double>(calm.missed + 1) / static_cast<double>(storm.missed + 1));
  std::printf("start_storm_time_to_recording: %.2f s, reference %.2f s, ratio %.2f (goal >= 1)\n",
              storm.to_recording_s, calm.to_recording_s, calm.to_recording_s / storm.to_recording_s);
  return 0;
}
