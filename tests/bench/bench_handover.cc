// The hand-over (issue 20, item 6): what moving a live recording from one
// full disc to the next drive of a pool costs, against the same stream
// recorded on one drive, in the same run.
//
// One Recorder (real time) with three emulated BD-Rs at 4x (sim://, timing
// model on, small discs of kDiscBlocks): a pool of bd0 and bd1, and ref0 on
// its own. A synthetic live source of 40 Mbit/s (a GOP start every 0.5 s,
// tests/recorder/session/session_test_support.h) is recorded on the pool
// for kTotalBytes, which crosses one hand-over (part 1 fills bd0 down to the
// switch reserve, part 2 goes on in bd1; bd0 is finalized and read back
// while part 2 records), and at the same time the same stream, same length,
// same 8 MiB ring, on ref0, which never switches. Both run side by side so
// both see the same load on the machine.
//
// Every drive is opened by the bench (RecorderOptions::open_drive) through a
// transport that timestamps each WRITE(10)/WRITE(12) (start and end of the
// command). The recording's data writes on a drive are its writes in order
// until they have covered what the part wrote (RecordingPartInfo::bytes);
// what a drive writes after that is its finalize, not recording data.
//
// Figures:
//  - handover_lost_gops: shed GOPs (shed_gops counts what the ring's
//    overflow turned away too) over all parts; reference: the same of the
//    single-drive recording. Ratio = (reference + 1) / (value + 1): 1 when
//    both lose nothing, below 1 when the hand-over loses more. Goal >= 1:
//    the hand-over must lose nothing a plain recording does not.
//  - handover_ring_headroom: ring size / the highest ring fill of any part
//    (each part has its own ring; its high-water mark covers the whole part,
//    the switch included: part 2's ring takes the stream while bd1 makes its
//    first write); reference: ring size / the single recording's highest
//    fill. Ratio = value / reference. Goal >= 0.9: the switch may need a
//    little more ring than steady recording, not much more (the latency
//    budget and the hand-over reserve are sized as for any recording).
//  - handover_longest_write_gap: the longest time no data write of the
//    pooled recording was in flight on either drive (end of one write to the
//    start of the next, whichever drive), over the writes starting within
//    kAroundSwitch of part 1's last data write; reference: the same on ref0
//    over the same wall-clock window (it records at the same time). Ratio =
//    reference / value. Goal >= 0.5: the writer writes in stripes (4 MiB, or
//    what a quarter of the 2 s latency budget gathers: 0.5 s), so a plain
//    recording already leaves its drive idle ~0.5 s between stripes; the
//    switch may at most double that (the new drive's first stripe waits for
//    its own stripe's worth of data, like any start).
//  - handover_switch_write_gap: the gap itself, from the end of part 1's
//    last data write on bd0 to the start of part 2's first on bd1; same
//    reference, ratio and goal.
//  - handover_write_gap_vs_ring: the longest gap against the time the 8 MiB
//    ring takes to fill at 40 Mbit/s (how long a drive may stay idle before
//    the source is shed). Ratio = ring time / gap. Goal >= 2: the ring must
//    cover the longest gap twice over. One ECC unit's write time at 4x
//    (64 KiB / 18 MB/s, ~3.6 ms) goes to stderr only: a stream at a third of
//    the drive's speed leaves the drive idle between stripes by design, so
//    gaps counted in ECC units say nothing about the hand-over.
//
// BENCH_HANDOVER_TRACE=1 lists every write of the pool's drives on stderr.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "device/drive.h"
#include "device/transport.h"
#include "recorder/session/drive_pool.h"
#include "recorder/session/recorder.h"
#include "tests/recorder/session/session_test_support.h"
#include "tests/support/process.h"

namespace {

using namespace discrec;
using namespace discrec::recorder;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

constexpr uint64_t kBitrate = 40'000'000;
constexpr uint64_t kRingBytes = 8ull << 20;
// 123 MB discs: part 1 takes what is above the switch reserve (the ring,
// two stripes and a 5 s GOP at 40 Mbit/s: ~41 MB), i.e. ~82 MB in ~16 s.
constexpr uint32_t kDiscBlocks = 60000;
constexpr uint64_t kTotalBytes = 110'000'000 / 188 * 188;  // 22 s at 40 Mbit/s
// Gaps "around the switch": writes starting this long before or after part
// 1's last data write.
constexpr auto kAroundSwitch = 5s;
const char* const kSimQuery = "profile=bd-r&speed=4";
constexpr double kBdEccUnitBytes = 65536;
constexpr double kBd4xBytesPerSecond = 4 * 4'495'500.0;

struct Write {
  Steady::time_point start, end;
  uint32_t lba = 0;
  uint32_t blocks = 0;
};

// Every write a drive was sent, in order. Thread-safe.
class WriteLog {
 public:
  void add(const Write& w) {
    std::lock_guard lock(mutex_);
    writes_.push_back(w);
  }
  std::vector<Write> writes() const {
    std::lock_guard lock(mutex_);
    return writes_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Write> writes_;
};

// The emulated drive's transport, timing each WRITE(10)/WRITE(12) that
// succeeds. Thread-compatible like any transport (the Drive serialises); the
// log it adds to is thread-safe, as the bench reads it while drives write.
class TimedTransport final : public device::Transport {
 public:
  TimedTransport(std::unique_ptr<device::Transport> inner, WriteLog& log) : inner_(std::move(inner)), log_(log) {}
  Result<device::CommandResult> execute(const device::CommandRequest& request) override {
    const auto& cdb = request.cdb;
    const bool write10 = cdb.size() >= 10 && cdb[0] == 0x2A;
    const bool write12 = cdb.size() >= 12 && cdb[0] == 0xAA;
    if (!write10 && !write12) return inner_->execute(request);
    Write w;
    w.lba = (uint32_t{cdb[2]} << 24) | (uint32_t{cdb[3]} << 16) | (uint32_t{cdb[4]} << 8) | cdb[5];
    w.blocks = write10 ? (uint32_t{cdb[7]} << 8) | cdb[8]
                       : (uint32_t{cdb[6]} << 24) | (uint32_t{cdb[7]} << 16) | (uint32_t{cdb[8]} << 8) | cdb[9];
    w.start = Steady::now();
    auto result = inner_->execute(request);
    w.end = Steady::now();
    if (result.ok() && result->good()) log_.add(w);
    return result;
  }
  std::string describe() const override { return inner_->describe(); }

 private:
  std::unique_ptr<device::Transport> inner_;
  WriteLog& log_;
};

// A drive's recording data writes: its writes in order until they cover
// `bytes` (the rest is the finalize's file system).
std::vector<Write> data_writes(const std::vector<Write>& writes, uint64_t bytes) {
  std::vector<Write> out;
  uint64_t covered = 0;
  for (const auto& w : writes) {
    if (covered >= bytes) break;
    out.push_back(w);
    covered += uint64_t{w.blocks} * 2048;
  }
  return out;
}

struct Gap {
  double seconds = 0;
  Steady::time_point at{};
};

// The longest time with no write in flight, from the first write to the
// last of those that start within [from, to].
Gap longest_gap(std::vector<Write> writes, Steady::time_point from = Steady::time_point::min(),
                Steady::time_point to = Steady::time_point::max()) {
  std::erase_if(writes, [&](const Write& w) { return w.start < from || w.start > to; });
  std::sort(writes.begin(), writes.end(), [](const Write& a, const Write& b) { return a.start < b.start; });
  Gap longest;
  if (writes.empty()) return longest;
  auto busy_until = writes.front().end;
  for (size_t i = 1; i < writes.size(); ++i) {
    const double idle = std::chrono::duration<double>(writes[i].start - busy_until).count();
    if (idle > longest.seconds) longest = {idle, writes[i].start};
    busy_until = std::max(busy_until, writes[i].end);
  }
  return longest;
}

bool ended(const RecordingInfo& info) {
  return info.state == RecordingState::kStopped || info.state == RecordingState::kFailed;
}

template <typename F>
bool eventually(F done, std::chrono::seconds timeout) {
  const auto until = Steady::now() + timeout;
  while (!done()) {
    if (Steady::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

double ms(double seconds) { return seconds * 1000; }

}  // namespace

int main() {
  const auto wall0 = Steady::now();
  test::TempDir dir;
  std::map<std::string, std::unique_ptr<WriteLog>> logs;
  for (const char* d : {"bd0", "bd1", "ref0"}) logs[d] = std::make_unique<WriteLog>();
  auto uri = [&](const std::string& d) {
    return "sim://" + dir.path() + "/" + d + ".img?" + kSimQuery + "&blocks=" + std::to_string(kDiscBlocks);
  };

  RecorderOptions o;
  o.state_directory = dir.path();
  o.ring_memory_bytes = 256ull << 20;
  o.default_ring_bytes = kRingBytes;
  o.tick_interval = 100ms;
  o.disc_space_warnings = {};
  o.open_drive = [&](const std::string& u) -> Result<std::unique_ptr<device::Drive>> {
    auto transport = device::open_transport(u);
    if (!transport.ok()) return transport.error();
    WriteLog* log = nullptr;
    for (auto& [name, l] : logs)
      if (u.find("/" + name + ".img") != std::string::npos) log = l.get();
    if (!log) return std::make_unique<device::Drive>(std::move(*transport));
    return std::make_unique<device::Drive>(std::make_unique<TimedTransport>(std::move(*transport), *log));
  };
  auto sources = std::make_shared<test::SyntheticSources>();
  Recorder recorder(o, sources);
  for (const char* d : {"bd0", "bd1", "ref0"})
    if (Status s = recorder.add_drive({d, uri(d)}); !s.ok()) {
      std::fprintf(stderr, "bench_handover: add_drive %s: %s\n", d, s.error().to_string().c_str());
      return 1;
    }
  PoolSpec spec;
  spec.id = "live";
  spec.drives = {"bd0", "bd1"};
  spec.prepare_margin = 4s;
  if (Status s = recorder.add_pool(spec); !s.ok()) {
    std::fprintf(stderr, "bench_handover: add_pool: %s\n", s.error().to_string().c_str());
    return 1;
  }

  auto params = [&](const std::string& drive, const std::string& url) {
    StartRecordingParams p;
    p.drive_id = drive;
    p.source_url = url;
    p.expected_bitrate_bps = kBitrate;
    p.ring_bytes = kRingBytes;
    sources->add(url, {kBitrate, kTotalBytes});
    return p;
  };
  auto pooled = recorder.start_recording(params("live", "udp://239.0.0.1:5010"));
  auto single = recorder.start_recording(params("ref0", "udp://239.0.0.1:5011"));
  if (!pooled.ok() || !single.ok()) {
    std::fprintf(stderr, "bench_handover: start: %s\n",
                 (!pooled.ok() ? pooled.error() : single.error()).to_string().c_str());
    return 1;
  }

  // Until both have ended and part 1's disc is finished (finalized and read
  // back: its finalize writes are then all in the log).
  RecordingInfo pool_info, ref_info;
  const bool done = eventually(
      [&] {
        pool_info = *recorder.get_recording("live", pooled->id);
        ref_info = *recorder.get_recording("ref0", single->id);
        if (!ended(pool_info) || !ended(ref_info)) return false;
        for (size_t i = 0; i + 1 < pool_info.parts.size(); ++i)
          if (pool_info.parts[i].state != "verified" && pool_info.parts[i].state != "failed") return false;
        return true;
      },
      50s);
  if (!done) {
    std::fprintf(stderr, "bench_handover: the recordings did not end in time (pool %s, reference %s)\n",
                 recording_state_name(pool_info.state), recording_state_name(ref_info.state));
    return 1;
  }
  const double record_s = std::chrono::duration<double>(Steady::now() - wall0).count();

  // Per part: its drive's data writes and its ring's peak.
  std::vector<Write> pool_writes;
  uint64_t pool_shed_gops = 0, pool_high_water = 0;
  for (const auto& part : pool_info.parts) {
    auto rec = recorder.get_recording(part.drive_id, part.recording_id);
    if (!rec.ok()) {
      std::fprintf(stderr, "bench_handover: part %u: %s\n", part.part, rec.error().to_string().c_str());
      return 1;
    }
    pool_shed_gops += rec->stats.shed_gops;
    pool_high_water = std::max(pool_high_water, rec->stats.ring_high_water_bytes);
    const auto all = logs[part.drive_id]->writes();
    const auto data = data_writes(all, part.bytes);
    if (getenv("BENCH_HANDOVER_TRACE"))
      for (size_t i = 0; i < all.size(); ++i)
        std::fprintf(stderr, "  %s %s #%zu lba %u +%u  %.3f..%.3f s\n", part.drive_id.c_str(),
                     i < data.size() ? "data" : "other", i, all[i].lba, all[i].blocks,
                     std::chrono::duration<double>(all[i].start - wall0).count(),
                     std::chrono::duration<double>(all[i].end - wall0).count());
    const Gap g = longest_gap(data);
    std::fprintf(stderr,
                 "bench_handover: part %u on %s: %s, %llu bytes, %zu data writes of %zu, ring peak %llu, shed %llu "
                 "GOPs (%llu overflow bytes), longest gap within %.0f ms%s%s\n",
                 part.part, part.drive_id.c_str(), part.state.c_str(), static_cast<unsigned long long>(part.bytes),
                 data.size(), all.size(), static_cast<unsigned long long>(rec->stats.ring_high_water_bytes),
                 static_cast<unsigned long long>(rec->stats.shed_gops),
                 static_cast<unsigned long long>(rec->stats.overflow_bytes), ms(g.seconds),
                 part.note.empty() ? "" : "; ", part.note.c_str());
    pool_writes.insert(pool_writes.end(), data.begin(), data.end());
  }
  const auto ref_all = logs["ref0"]->writes();
  const auto ref_writes = data_writes(ref_all, ref_info.stats.bytes_written);
  std::fprintf(stderr,
               "bench_handover: reference on ref0: %llu bytes, %zu data writes, ring peak %llu, shed %llu GOPs\n",
               static_cast<unsigned long long>(ref_info.stats.bytes_written), ref_writes.size(),
               static_cast<unsigned long long>(ref_info.stats.ring_high_water_bytes),
               static_cast<unsigned long long>(ref_info.stats.shed_gops));
  if (pool_info.parts.size() < 2) {
    std::fprintf(stderr, "bench_handover: no hand-over happened (%zu part)\n", pool_info.parts.size());
    return 1;
  }
  // What is neither on disc nor counted as shed went missing unannounced
  // (between the parts' feeds, say): the figures are printed, but the bench
  // fails.
  const bool unaccounted = pool_info.stats.bytes_written + pool_info.stats.shed_bytes != kTotalBytes ||
                           ref_info.stats.bytes_written + ref_info.stats.shed_bytes != kTotalBytes;
  if (unaccounted)
    std::fprintf(stderr,
                 "bench_handover: of %llu bytes sent, the pool wrote %llu and shed %llu, the reference wrote %llu "
                 "and shed %llu\n",
                 static_cast<unsigned long long>(kTotalBytes),
                 static_cast<unsigned long long>(pool_info.stats.bytes_written),
                 static_cast<unsigned long long>(pool_info.stats.shed_bytes),
                 static_cast<unsigned long long>(ref_info.stats.bytes_written),
                 static_cast<unsigned long long>(ref_info.stats.shed_bytes));

  // Around the switch: the last data write of part 1 and the first of part 2.
  const auto part1 = data_writes(logs[pool_info.parts[0].drive_id]->writes(), pool_info.parts[0].bytes);
  const auto part2 = data_writes(logs[pool_info.parts[1].drive_id]->writes(), pool_info.parts[1].bytes);
  if (!part1.empty() && !part2.empty())
    std::fprintf(stderr,
                 "bench_handover: part 1's last data write ended %.0f ms after the start, part 2's first began at "
                 "%.0f ms (%+.0f ms)\n",
                 ms(std::chrono::duration<double>(part1.back().end - wall0).count()),
                 ms(std::chrono::duration<double>(part2.front().start - wall0).count()),
                 ms(std::chrono::duration<double>(part2.front().start - part1.back().end).count()));

  // The window around the switch: the reference records at the same time,
  // so its gaps in the same window are measured under the same load.
  if (part1.empty() || part2.empty()) {
    std::fprintf(stderr, "bench_handover: a part wrote nothing\n");
    return 1;
  }
  const auto switch_at = part1.back().end;
  const auto from = switch_at - kAroundSwitch, to = switch_at + kAroundSwitch;
  const Gap pool_gap = longest_gap(pool_writes, from, to);
  const Gap ref_gap = longest_gap(ref_writes, from, to);
  const double switch_gap = std::chrono::duration<double>(part2.front().start - part1.back().end).count();
  const double ecc_unit_s = kBdEccUnitBytes / kBd4xBytesPerSecond;
  const double ring_s = static_cast<double>(kRingBytes) / (kBitrate / 8.0);
  std::fprintf(stderr,
               "bench_handover: longest gap (pool) at %.0f ms after the start; one ECC unit at 4x takes %.1f ms "
               "(the pool's gap is %.0f of them, the reference's %.0f); %.1f s wall\n",
               ms(std::chrono::duration<double>(pool_gap.at - wall0).count()), ms(ecc_unit_s),
               pool_gap.seconds / ecc_unit_s, ref_gap.seconds / ecc_unit_s, record_s);

  std::printf("handover_lost_gops: %llu GOPs, reference %llu GOPs, ratio %.2f (goal >= 1)\n",
              static_cast<unsigned long long>(pool_shed_gops), static_cast<unsigned long long>(ref_info.stats.shed_gops),
              (ref_info.stats.shed_gops + 1.0) / (pool_shed_gops + 1.0));
  const double ring = static_cast<double>(kRingBytes);
  const double headroom = ring / static_cast<double>(std::max<uint64_t>(pool_high_water, 1));
  const double ref_headroom = ring / static_cast<double>(std::max<uint64_t>(ref_info.stats.ring_high_water_bytes, 1));
  std::printf("handover_ring_headroom: %.2f x, reference %.2f x, ratio %.2f (goal >= 0.9)\n", headroom, ref_headroom,
              headroom / ref_headroom);
  std::printf("handover_longest_write_gap: %.0f ms, reference %.0f ms, ratio %.2f (goal >= 0.5)\n",
              ms(pool_gap.seconds), ms(ref_gap.seconds), ref_gap.seconds / pool_gap.seconds);
  std::printf("handover_switch_write_gap: %.0f ms, reference %.0f ms, ratio %.2f (goal >= 0.5)\n", ms(switch_gap),
              ms(ref_gap.seconds), ref_gap.seconds / switch_gap);
  std::printf("handover_write_gap_vs_ring: %.0f ms, reference %.0f ms, ratio %.2f (goal >= 2)\n", ms(pool_gap.seconds),
              ms(ring_s), ring_s / pool_gap.seconds);
  return unaccounted ? 1 : 0;
}
