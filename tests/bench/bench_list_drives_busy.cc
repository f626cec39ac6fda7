// ListDrives while every drive is busy (issue 18, point 7): a real discrecd
// with 16 emulated drives, each busy with a long operation on its command
// thread, answers ListDrives from the snapshots the drives published, never
// waiting for a drive. Measured: the latency of ListDrives (all 16 drives)
// against GetDaemonInfo (a call that touches no drive), the two interleaved
// call by call in the same run, on the same channel.
//
// How the drives are kept busy (timing model on, real time):
//  - bd0..bd7: unformatted BD-RE; a FormatMedium call each, whose FORMAT
//    UNIT (opcode 04h) the fault script delays by kFormatDelayMs
//    ("busy formatting the disc").
//  - bd8..bd15: BD-R, each with a 2 s test clip recorded through the CLI
//    (upload), then a VerifyDisc call each, whose first READ(12) (opcode
//    A8h, the verify's only read: the clip is < 1 MiB) the fault script
//    delays by kVerifyDelayMs ("busy verifying the disc"). It stays below
//    the 30 s READ(12) timeout, so the verify succeeds.
// All 16 report a not_ready_reason starting with "busy " (GetDrive) before
// the measurement, and every measured ListDrives answer must still list the
// 16 drives as busy; otherwise the run fails. The 16 operations must then
// succeed; the daemon is stopped (SIGTERM) once they have ended.
//
// Figures (ratio = GetDaemonInfo / ListDrives, goal >= 0.25: ListDrives of
// 16 busy drives at most 4x slower than a call that touches no drive):
//  - list_drives_16_busy_p50, list_drives_16_busy_p99.
//
// The config raises [limits] max_calls_per_peer (16 by default): the 16
// long calls come from this one client, and the measured calls too.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "discrec/v1/daemon.grpc.pb.h"
#include "tests/bench/bench_daemon_rpc.h"
#include "tests/bench/bench_daemon_support.h"

namespace {

using namespace discrec;
using Clock = std::chrono::steady_clock;

constexpr int kFormatDrives = 8;
constexpr int kVerifyDrives = 8;
constexpr int kDrives = kFormatDrives + kVerifyDrives;
constexpr int kFormatDelayMs = 30000;
constexpr int kVerifyDelayMs = 25000;  // < the 30 s READ(12) timeout
constexpr int kWarmupCalls = 200;
constexpr int kCalls = 2000;
constexpr double kGoal = 0.25;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
std::string drive_id(int i) { return "bd" + std::to_string(i); }
bool is_busy(const v1::Drive& d) { return d.not_ready_reason().rfind("busy ", 0) == 0; }

// The q-quantile (0..1) of sorted samples, nearest rank.
double quantile(const std::vector<double>& sorted, double q) {
  size_t rank = static_cast<size_t>(q * static_cast<double>(sorted.size()) + 0.999999);
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

int main() {
  setenv("DISCREC_BINARY_DIR", DISCREC_BUILD_DIR, 0);
  if (!test::have_program("ffmpeg")) {
    std::fprintf(stderr, "bench_list_drives_busy: ffmpeg is not installed\n");
    return 1;
  }
  const auto wall0 = Clock::now();
  test::TempDir dir;
  const std::string clip = dir.file("clip.ts");
  std::string log;
  if (!test::make_test_stream(clip, 2, "libx264", 25, "320x240", &log)) {
    std::fprintf(stderr, "bench_list_drives_busy: ffmpeg could not make the clip:\n%s\n", log.c_str());
    return 1;
  }
  std::ofstream(dir.file("format.faults")) << "latency delay=" << kFormatDelayMs << " opcode=0x04\n";
  std::ofstream(dir.file("verify.faults")) << "latency delay=" << kVerifyDelayMs << " opcode=0xa8\n";
  std::vector<std::pair<std::string, std::string>> drives;
  for (int i = 0; i < kDrives; ++i)
    drives.push_back({drive_id(i), i < kFormatDrives ? "profile=bd-re&speed=4&faults=" + dir.file("format.faults")
                                                     : "profile=bd-r&speed=4&faults=" + dir.file("verify.faults")});
  auto daemon = std::make_unique<bench::BenchDaemon>(dir, drives, "[limits]\nmax_calls = 96\nmax_calls_per_peer = 64\n");
  if (!daemon->started()) {
    std::fprintf(stderr, "bench_list_drives_busy: discrecd did not start:\n%s\n", daemon->log_text().c_str());
    return 1;
  }
  bench::DaemonRpc rpc(daemon->socket());
  auto info_stub = v1::DaemonService::NewStub(rpc.channel);
  if (!rpc.connected()) {
    std::fprintf(stderr, "bench_list_drives_busy: no connection to discrecd\n");
    return 1;
  }
  auto fail = [&](const std::string& why) {
    std::fprintf(stderr, "bench_list_drives_busy: %s\ndiscrecd log:\n%s\n", why.c_str(), daemon->log_text().c_str());
    return 1;
  };

  // The clip onto each verify drive, in parallel, through the CLI.
  {
    const auto t0 = Clock::now();
    std::vector<test::CommandResult> results(kVerifyDrives);
    std::vector<std::thread> threads;
    for (int v = 0; v < kVerifyDrives; ++v)
      threads.emplace_back([&, v] {
        results[v] = test::run_command(daemon->cli({"record", clip, "--drive", drive_id(kFormatDrives + v), "--title",
                                                    "clip", "--bitrate", "2000000"}),
                                       std::chrono::seconds(60));
      });
    for (auto& t : threads) t.join();
    for (int v = 0; v < kVerifyDrives; ++v)
      if (results[v].exit_code != 0)
        return fail("recording onto " + drive_id(kFormatDrives + v) + " failed (exit " +
                    std::to_string(results[v].exit_code) + "):\n" + results[v].output);
    std::fprintf(stderr, "bench_list_drives_busy: clip recorded onto %d drives in %.2f s\n", kVerifyDrives, since(t0));
  }

  // The 16 long operations, one client thread each.
  std::vector<grpc::Status> op_status(kDrives);
  std::vector<std::string> op_note(kDrives);
  std::vector<double> op_seconds(kDrives);
  std::atomic<int> ops_ended{0};
  const auto ops0 = Clock::now();
  std::vector<std::thread> ops;
  for (int i = 0; i < kDrives; ++i)
    ops.emplace_back([&, i] {
      if (i < kFormatDrives) {
        grpc::ClientContext ctx;
        v1::FormatMediumRequest req;
        req.set_name("drives/" + drive_id(i));
        v1::Drive out;
        op_status[i] = rpc.drives->FormatMedium(&ctx, req, &out);
        op_note[i] = "format: " + (out.has_medium() ? out.medium().profile_name() : std::string("?"));
      } else {
        v1::DiscOperationProgress last;
        op_status[i] = rpc.disc_operation(drive_id(i), /*finalize=*/false, &last);
        op_note[i] = "verify: " + last.summary();
        if (op_status[i].ok() && last.mismatches_size() > 0)
          op_status[i] = grpc::Status(grpc::StatusCode::DATA_LOSS, last.summary());
      }
      op_seconds[i] = since(ops0);
      ++ops_ended;
    });
  auto join_ops = [&] {
    for (auto& t : ops)
      if (t.joinable()) t.join();
  };

  // Until GetDrive says every drive is busy.
  std::vector<std::string> reasons(kDrives);
  bool all_busy = false;
  while (!all_busy && since(ops0) < 10) {
    all_busy = true;
    for (int i = 0; i < kDrives; ++i) {
      grpc::ClientContext ctx;
      v1::GetDriveRequest req;
      req.set_name("drives/" + drive_id(i));
      v1::Drive d;
      auto st = rpc.drives->GetDrive(&ctx, req, &d);
      if (!st.ok()) {
        join_ops();
        return fail("GetDrive " + drive_id(i) + ": " + st.error_message());
      }
      reasons[i] = d.not_ready_reason();
      all_busy = all_busy && is_busy(d);
    }
    if (!all_busy) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!all_busy) {
    std::string text;
    for (int i = 0; i < kDrives; ++i) text += "\n  " + drive_id(i) + ": " + reasons[i];
    join_ops();
    return fail("not every drive became busy within 10 s:" + text);
  }
  std::fprintf(stderr, "bench_list_drives_busy: all %d drives busy %.2f s after the operations began (%s; %s)\n",
               kDrives, since(ops0), reasons[0].c_str(), reasons[kDrives - 1].c_str());

  // ListDrives and GetDaemonInfo, interleaved call by call.
  std::vector<double> list_ms, info_ms;
  list_ms.reserve(kCalls);
  info_ms.reserve(kCalls);
  std::string call_error;
  int not_all_busy = 0;
  const auto measure0 = Clock::now();
  for (int n = 0; n < kWarmupCalls + kCalls && call_error.empty(); ++n) {
    {
      grpc::ClientContext ctx;
      v1::ListDrivesResponse resp;
      const auto t0 = Clock::now();
      auto st = rpc.drives->ListDrives(&ctx, {}, &resp);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (!st.ok()) call_error = "ListDrives: " + st.error_message();
      else if (resp.drives_size() != kDrives) call_error = "ListDrives listed " + std::to_string(resp.drives_size()) + " drives";
      else if (!std::all_of(resp.drives().begin(), resp.drives().end(), is_busy)) ++not_all_busy;
      if (n >= kWarmupCalls) list_ms.push_back(ms);
    }
    {
      grpc::ClientContext ctx;
      v1::DaemonInfo resp;
      const auto t0 = Clock::now();
      auto st = info_stub->GetDaemonInfo(&ctx, {}, &resp);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (!st.ok()) call_error = "GetDaemonInfo: " + st.error_message();
      else if (resp.drives_size() != kDrives) call_error = "GetDaemonInfo named " + std::to_string(resp.drives_size()) + " drives";
      if (n >= kWarmupCalls) info_ms.push_back(ms);
    }
  }
  const double measure_s = since(measure0);
  const int ended_during = ops_ended.load();
  if (!call_error.empty()) {
    join_ops();
    return fail(call_error);
  }
  std::fprintf(stderr,
               "bench_list_drives_busy: %d + %d warm-up calls of each in %.2f s, %.2f to %.2f s after the operations "
               "began; %d ListDrives answers with a drive not busy, %d operations ended meanwhile\n",
               kCalls, kWarmupCalls, measure_s, std::chrono::duration<double>(measure0 - ops0).count(),
               since(ops0), not_all_busy, ended_during);

  // The operations end when their delays do; all must succeed.
  join_ops();
  bool ops_ok = true;
  for (int i = 0; i < kDrives; ++i) {
    std::fprintf(stderr, "bench_list_drives_busy: %s: %s after %.1f s: %s\n", drive_id(i).c_str(),
                 op_status[i].ok() ? "ok" : op_status[i].error_message().c_str(), op_seconds[i], op_note[i].c_str());
    ops_ok = ops_ok && op_status[i].ok();
  }
  if (!ops_ok) return fail("a long operation failed");
  {
    const auto t0 = Clock::now();
    daemon.reset();  // SIGTERM, waits for the exit
    std::fprintf(stderr, "bench_list_drives_busy: discrecd stopped in %.2f s; %.1f s wall\n", since(t0), since(wall0));
  }
  if (not_all_busy > 0 || ended_during > 0) {
    std::fprintf(stderr, "bench_list_drives_busy: the drives were not all busy for the whole measurement\n");
    return 1;
  }

  std::sort(list_ms.begin(), list_ms.end());
  std::sort(info_ms.begin(), info_ms.end());
  bool met = true;
  for (auto [label, q] : {std::pair{"p50", 0.50}, std::pair{"p99", 0.99}}) {
    const double value = quantile(list_ms, q), reference = quantile(info_ms, q);
    const double ratio = reference / value;
    met = met && ratio >= kGoal;
    std::printf("list_drives_16_busy_%s: %.3f ms, reference %.3f ms (GetDaemonInfo %s), ratio %.2f (goal >= %.2f)\n",
                label, value, reference, label, ratio, kGoal);
  }
  std::fflush(stdout);
  return met ? 0 : 1;
}
