// A 4-stream disc (issue 17): how long verify takes to read it back, and how
// many extents each file has.
//
// Three real discrecd processes run side by side, each with one emulated
// BD-R at 4x (timing model on, real time; seek_ms=150, the emulator's BD
// default; reads at 8x). Each records 4 live UDP streams of 8 Mbit/s for
// kRecordSeconds, sent by one PCR-paced sender thread (bench_live_senders.h)
// from a cached CBR TS. The first daemon stripes as configured by default
// ([disc] stripe_size = "4MiB", stripe_wait = 0.25; recordings with the
// default 2 s latency budget); the second has stripe_size = "0" (every ECC
// unit written as soon as it is buffered); the third stripes like the first
// but its recordings ask for a 16 s latency budget. All discs are finalized
// (closed) over gRPC; the first two are verified with VerifyDisc.
//
// Figures:
//  - verify_4_streams: the striped disc's VerifyDisc time (from the call to
//    its last message, which includes reading the UDF file system back).
//    Reference: the same number of bytes read sequentially from the same
//    emulated disc through device::Drive (READ(12), streaming, 1 MiB per
//    command as verify reads), from the first recorded block on, after the
//    daemon has stopped. Ratio = reference time / verify time (goal >= 0.8):
//    verify reads the disc in LBA order, so interleaved files must not make
//    it seek.
//  - extents_per_file_4_streams: the UDF extents of each recording's file on
//    the striped disc, as read back from the finalized image
//    (recorder/udf/volume_reader.h). Reference: the same on the unstriped
//    disc. Ratio = reference / striped (goal >= 10: striping should make
//    extents an order of magnitude longer; at 8 Mbit/s and the default 2 s
//    latency budget a stripe waits 0.5 s of its budget, i.e. ~0.5 MB).
//  - extents_per_file_4_streams_16s_budget: the same on the third disc, same
//    reference: how far a longer budget gets towards tens of extents.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "device/drive.h"
#include "recorder/udf/volume_builder.h"
#include "recorder/udf/volume_reader.h"
#include "tests/bench/bench_daemon_rpc.h"
#include "tests/bench/bench_daemon_support.h"
#include "tests/bench/bench_live_senders.h"

namespace {

using namespace discrec;
using Steady = std::chrono::steady_clock;

constexpr int kStreams = 4;
constexpr int kDiscs = 3;
constexpr uint64_t kBitrate = 8'000'000;
constexpr int kRecordSeconds = 60;
constexpr int kStreamSeconds = 90;
constexpr uint32_t kReadBlocks = 512;  // what verify reads per command on BD (16 ECC units)
const char* const kSimQuery = "profile=bd-r&speed=4&seek_ms=150";

double since(Steady::time_point t0) { return std::chrono::duration<double>(Steady::now() - t0).count(); }

struct DiscExtents {
  int files = 0;
  uint64_t extents = 0;
  uint64_t min_per_file = ~0ull, max_per_file = 0;
  uint32_t first_lba = ~0u;
};

// Each recording's extents on a finalized image (a recording written as
// parts counts once: recordings_from joins them).
bool read_extents(const std::string& image, DiscExtents* out) {
  auto source = recorder::udf::ImageFileSectorSource::open(image);
  if (!source.ok()) return false;
  auto volume = recorder::udf::read_volume(*source);
  if (!volume.ok()) {
    std::fprintf(stderr, "bench_disc_4_streams: %s: %s\n", image.c_str(), volume.error().to_string().c_str());
    return false;
  }
  auto recordings = recorder::udf::recordings_from(*volume);
  if (!recordings.ok()) {
    std::fprintf(stderr, "bench_disc_4_streams: %s: %s\n", image.c_str(), recordings.error().to_string().c_str());
    return false;
  }
  for (const auto& f : *recordings) {
    ++out->files;
    out->extents += f.extents.size();
    out->min_per_file = std::min<uint64_t>(out->min_per_file, f.extents.size());
    out->max_per_file = std::max<uint64_t>(out->max_per_file, f.extents.size());
    for (const auto& e : f.extents) out->first_lba = std::min(out->first_lba, e.lba);
  }
  return out->files > 0;
}

// Seconds to read `bytes` from `lba` on, in verify's command size; < 0 on failure.
double sequential_read(const std::string& image, uint32_t lba, uint64_t bytes) {
  auto drive = device::Drive::open("sim://" + image + "?" + kSimQuery);
  if (!drive.ok()) {
    std::fprintf(stderr, "bench_disc_4_streams: %s\n", drive.error().to_string().c_str());
    return -1;
  }
  auto capacity = (*drive)->read_capacity();
  if (!capacity.ok()) return -1;
  const uint32_t end = static_cast<uint32_t>(std::min<uint64_t>(lba + bytes / 2048, uint64_t{capacity->last_lba} + 1));
  std::vector<uint8_t> buffer(size_t{kReadBlocks} * 2048);
  const auto t0 = Steady::now();
  for (uint32_t at = lba; at < end;) {
    const uint32_t n = std::min(kReadBlocks, end - at);
    auto read = (*drive)->read12(at, std::span(buffer).first(size_t{n} * 2048), /*streaming=*/true);
    if (!read.ok()) {
      std::fprintf(stderr, "bench_disc_4_streams: READ(12) at %u: %s\n", at, read.error().to_string().c_str());
      return -1;
    }
    at += n;
  }
  const double t = since(t0);
  if (uint64_t{end - lba} * 2048 < bytes)
    std::fprintf(stderr, "bench_disc_4_streams: the reference read %llu bytes of %llu (end of disc)\n",
                 static_cast<unsigned long long>(uint64_t{end - lba} * 2048), static_cast<unsigned long long>(bytes));
  return t * static_cast<double>(bytes) / static_cast<double>(uint64_t{end - lba} * 2048);
}

struct Disc {
  const char* what;
  std::string stripe_toml;
  std::chrono::milliseconds latency_budget;  // 0: the default (2 s)
  bool verify;
  test::TempDir dir;
  std::unique_ptr<bench::BenchDaemon> daemon;
  std::unique_ptr<bench::DaemonRpc> rpc;
  std::vector<std::string> names;
  v1::DiscOperationProgress finalized, verified;
  double verify_s = 0;
  std::string image() const { return dir.file("bd0.img"); }
};

}  // namespace

int main() {
  setenv("DISCREC_BINARY_DIR", DISCREC_BUILD_DIR, 0);
  if (!test::have_program("ffmpeg")) {
    std::fprintf(stderr, "bench_disc_4_streams: ffmpeg is not installed\n");
    return 1;
  }
  auto file = bench::cached_live_stream(kBitrate, kStreamSeconds);
  if (file.empty()) return 1;
  bench::PcrPacedSenders senders(file);
  if (!senders.ok()) {
    std::fprintf(stderr, "bench_disc_4_streams: no PCR in %s\n", file.c_str());
    return 1;
  }
  const auto wall0 = Steady::now();
  const std::string striped_toml = "stripe_size = \"4MiB\"\nstripe_wait = 0.25\n";
  Disc discs[kDiscs] = {
      {"striped", striped_toml, std::chrono::milliseconds(0), true, {}, {}, {}, {}, {}, {}, 0},
      {"unstriped", "stripe_size = \"0\"\n", std::chrono::milliseconds(0), true, {}, {}, {}, {}, {}, {}, 0},
      {"striped, 16 s budget", striped_toml, std::chrono::seconds(16), false, {}, {}, {}, {}, {}, {}, 0}};
  const int base_port = 20000 + static_cast<int>(getpid() % 600) * kDiscs * kStreams;
  std::vector<int> ports;
  for (int i = 0; i < kDiscs * kStreams; ++i) ports.push_back(base_port + i);
  for (auto& d : discs) {
    d.daemon = std::make_unique<bench::BenchDaemon>(
        d.dir, std::vector<std::pair<std::string, std::string>>{{"bd0", kSimQuery}},
        "[disc]\n" + d.stripe_toml + "[sources]\nnetworks = [\"127.0.0.0/8\"]\n");
    if (!d.daemon->started()) {
      std::fprintf(stderr, "bench_disc_4_streams: discrecd did not start:\n%s\n", d.daemon->log_text().c_str());
      return 1;
    }
    d.rpc = std::make_unique<bench::DaemonRpc>(d.daemon->socket());
    if (!d.rpc->connected()) return 1;
  }
  senders.start(ports, std::chrono::milliseconds(125));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (int k = 0; k < kDiscs; ++k)
    for (int i = 0; i < kStreams; ++i) {
      v1::Recording r;
      auto st = discs[k].rpc->start("bd0", "udp://127.0.0.1:" + std::to_string(ports[k * kStreams + i]), kBitrate,
                                    0, "cam" + std::to_string(i), &r, discs[k].latency_budget);
      if (!st.ok()) {
        std::fprintf(stderr, "bench_disc_4_streams: StartRecording: %s\n", st.error_message().c_str());
        return 1;
      }
      discs[k].names.push_back(r.name());
    }
  std::this_thread::sleep_for(std::chrono::seconds(kRecordSeconds));
  for (auto& d : discs)
    for (const auto& name : d.names) (void)d.rpc->stop(name);
  senders.stop();
  for (auto& d : discs) {
    uint64_t written = 0, missed = 0, lost = 0, shed = 0;
    for (const auto& r : d.rpc->list_all()) {
      written += r.stats().bytes_written();
      missed += r.stats().missed_deadlines();
      lost += r.stats().lost_bytes();
      shed += r.stats().shed_bytes();
    }
    std::fprintf(stderr, "bench_disc_4_streams: %s: %llu bytes written, %llu missed deadlines, %llu shed, %llu lost\n",
                 d.what, static_cast<unsigned long long>(written), static_cast<unsigned long long>(missed),
                 static_cast<unsigned long long>(shed), static_cast<unsigned long long>(lost));
  }

  // Finalize all at once (each its own daemon and drive), then verify one
  // after the other so the timed verify has the machine to itself.
  grpc::Status fin[kDiscs];
  {
    std::vector<std::thread> threads;
    for (int k = 0; k < kDiscs; ++k)
      threads.emplace_back([&, k] { fin[k] = discs[k].rpc->disc_operation("bd0", true, &discs[k].finalized); });
    for (auto& t : threads) t.join();
  }
  for (int k = 0; k < kDiscs; ++k) {
    auto& d = discs[k];
    if (!fin[k].ok()) {
      std::fprintf(stderr, "bench_disc_4_streams: %s: finalize: %s\n%s\n", d.what, fin[k].error_message().c_str(),
                   d.daemon->log_text().c_str());
      return 1;
    }
    if (!d.verify) {
      d.rpc.reset();
      d.daemon.reset();
      continue;
    }
    const auto t0 = Steady::now();
    std::vector<std::pair<std::string, double>> stages;
    auto st = d.rpc->disc_operation("bd0", false, &d.verified, &stages);
    d.verify_s = since(t0);
    std::string stage_text;
    for (const auto& [stage, at] : stages) stage_text += " '" + stage + "' at " + std::to_string(at) + " s;";
    if (!st.ok() || d.verified.mismatches_size() != 0) {
      std::fprintf(stderr, "bench_disc_4_streams: %s: verify: %s %s\n", d.what, st.error_message().c_str(),
                   d.verified.summary().c_str());
      return 1;
    }
    std::fprintf(stderr, "bench_disc_4_streams: %s: finalize: %s; verify %.3f s: %s; stages:%s\n", d.what,
                 d.finalized.summary().c_str(), d.verify_s, d.verified.summary().c_str(), stage_text.c_str());
    d.rpc.reset();
    d.daemon.reset();  // releases the image
  }

  DiscExtents extents[kDiscs];
  for (int k = 0; k < kDiscs; ++k) {
    if (!read_extents(discs[k].image(), &extents[k])) return 1;
    std::fprintf(stderr, "bench_disc_4_streams: %s: %d files, %llu extents (%llu..%llu per file)\n", discs[k].what,
                 extents[k].files, static_cast<unsigned long long>(extents[k].extents),
                 static_cast<unsigned long long>(extents[k].min_per_file),
                 static_cast<unsigned long long>(extents[k].max_per_file));
  }
  const uint64_t verify_bytes = discs[0].verified.bytes();
  const double reference_s = sequential_read(discs[0].image(), extents[0].first_lba, verify_bytes);
  if (reference_s <= 0) return 1;
  std::fprintf(stderr, "bench_disc_4_streams: sequential read of %llu bytes from LBA %u: %.3f s; %.1f s wall\n",
               static_cast<unsigned long long>(verify_bytes), extents[0].first_lba, reference_s, since(wall0));

  std::printf("verify_4_streams: %.2f s, reference %.2f s, ratio %.2f (goal >= 0.8)\n", discs[0].verify_s, reference_s,
              reference_s / discs[0].verify_s);
  const double striped = static_cast<double>(extents[0].extents) / extents[0].files;
  const double unstriped = static_cast<double>(extents[1].extents) / extents[1].files;
  std::printf("extents_per_file_4_streams: %.1f extents/file, reference %.1f extents/file, ratio %.1f (goal >= 10)\n",
              striped, unstriped, unstriped / striped);
  // The same with a 16 s latency budget: a stripe may wait 4 s, i.e. fill the
  // 4 MiB stripe_size at 8 Mbit/s. What a longer budget buys.
  const double long_budget = static_cast<double>(extents[2].extents) / extents[2].files;
  std::printf(
      "extents_per_file_4_streams_16s_budget: %.1f extents/file, reference %.1f extents/file, ratio %.1f (goal >= 10)\n",
      long_budget, unstriped, unstriped / long_budget);
  return 0;
}
