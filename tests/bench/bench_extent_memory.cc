// Memory per MB recorded for extent bookkeeping (issue 17.4: RSS grew
// ~4.2 kB per MB, ~100 MB for a full BD).
//
// Four 40 Mbit/s recordings interleaved on a drive that writes 16 MB/s in
// simulated time and stalls 2.5 s every 10 s, so the writer sheds GOPs and
// the rings turn GOPs away as well as recording thousands of extents. Once
// a simulated second the journal is synced:
//  - measured: as the session does it now (ExtentJournal: the writer hands
//    each closed extent over once, the journal file keeps them);
//  - reference, in the same run: as it was done before, a copy of
//    StreamingWriter::extents() (which then keeps every extent) diffed
//    against a mirror of every recorded extent and of every ring's overflow
//    ranges.
// Heap in use (mallinfo2) is compared after a 100 s warm-up and 120 s later:
// bytes per MB recorded; ratio = reference / measured (a measured figure
// under 1 byte/MB counts as 1), goal >= 10.
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "recorder/core/streaming_writer.h"
#include "recorder/journal/journal_file.h"
#include "recorder/session/checksum_target.h"
#include "recorder/session/extent_journal.h"

namespace {

using namespace discrec;
using namespace discrec::recorder;
using namespace std::chrono_literals;

constexpr uint32_t kUnitBlocks = 32;
constexpr uint32_t kEndLba = 2'000'000'000;

class RateTarget final : public BlockTarget {
 public:
  RateTarget(SimulatedClock& clock, double bytes_per_second) : clock_(clock), rate_(bytes_per_second) {}
  Status write_blocks(uint32_t, std::span<const uint8_t> data, bool) override {
    Nanos took = 1ms + Nanos(static_cast<int64_t>(static_cast<double>(data.size()) * 1e9 / rate_));
    if (clock_.now() >= next_stall_) {
      took += 2500ms;
      next_stall_ = clock_.now() + 10s;
    }
    clock_.advance(took);
    return ok_status();
  }
  Status flush() override { return ok_status(); }

 private:
  SimulatedClock& clock_;
  double rate_;
  TimePoint next_stall_{};
};

// 1316-byte pushes at the bitrate, a GOP every 140 packets.
struct Source {
  std::shared_ptr<Recording> recording;
  uint64_t bitrate_bps;
  TimePoint start;
  uint64_t packets = 0;
  TimePoint next() const {
    return start + Nanos(static_cast<int64_t>(static_cast<double>((packets + 7) * 188 * 8) * 1e9 /
                                              static_cast<double>(bitrate_bps)));
  }
  void feed(TimePoint now, std::vector<uint8_t>& buf) {
    while (next() <= now) {
      for (size_t i = 0; i < buf.size(); i += 188) buf[i] = 0x47;
      (void)recording->write_packets_at(buf, packets % 140 == 0, next());
      packets += 7;
    }
  }
};

double run(bool drain, const std::string& dir) {
  SimulatedClock clock{TimePoint{} + 1s};
  RateTarget target{clock, 16e6};
  ChecksumTarget checksums{target, 0, kEndLba, kUnitBlocks};
  WriterOptions o;
  o.ecc_unit_blocks = kUnitBlocks;
  o.end_lba = kEndLba;
  o.guaranteed_bytes_per_second = 25'000'000;
  StreamingWriter writer(checksums, clock, o);
  ExtentJournal journal(checksums);
  auto file = journal::JournalFile::create(dir + "/journal-bench.bin");
  if (!file.ok()) {
    std::fprintf(stderr, "%s\n", file.error().to_string().c_str());
    std::exit(1);
  }
  std::vector<Source> sources;
  for (int i = 0; i < 4; ++i) {
    RecordingConfig c;
    c.name = "cam" + std::to_string(i);
    c.priority = i;
    c.bitrate_bps = 40'000'000;
    c.latency_budget = 1s;
    auto rec = writer.add_recording(c);
    if (!rec.ok()) std::exit(1);
    journal.begin_recording(*rec);
    sources.push_back({*rec, c.bitrate_bps, clock.now() + Nanos(i * 3'000'000)});
  }
  // The reference's sync: what journal_sync.cc kept before.
  std::map<RecordingId, std::vector<RecordedExtent>> mirror;
  std::map<RecordingId, std::vector<OverflowRange>> mirror_overflows;
  std::vector<uint8_t> buf(7 * 188, 0xFF);
  TimePoint next_sync{};
  auto run_for = [&](Nanos duration) {
    const TimePoint end = clock.now() + duration;
    while (clock.now() < end) {
      for (auto& s : sources) s.feed(clock.now(), buf);
      const TimePoint wake = writer.service_once();
      if (clock.now() >= next_sync) {
        if (drain) {
          journal.collect(writer);
          (void)target.flush();
          (void)journal.append_to(**file);
        } else {
          for (auto& e : writer.extents()) mirror[e.recording_id] = e.recorded;
          for (auto& s : sources) mirror_overflows[s.recording->id()] = s.recording->overflows();
        }
        next_sync = clock.now() + 1s;
      }
      TimePoint next = std::min({wake, end, next_sync});
      for (auto& s : sources) next = std::min(next, s.next());
      if (next > clock.now()) clock.sleep_until(next);
    }
  };
  run_for(100s);
  const uint64_t blocks_before = writer.stats().blocks_written;
  const size_t heap_before = mallinfo2().uordblks;
  run_for(120s);
  const double mb = static_cast<double>(writer.stats().blocks_written - blocks_before) * 2048 / 1e6;
  return (static_cast<double>(mallinfo2().uordblks) - static_cast<double>(heap_before)) / mb;
}

}  // namespace

int main() {
  const std::string dir = std::filesystem::temp_directory_path() / "discrec-bench-extent-memory";
  std::filesystem::create_directories(dir);
  const double measured = run(true, dir);
  const double reference = run(false, dir);
  std::filesystem::remove_all(dir);
  std::printf("extent_bookkeeping_growth: %.1f bytes/MB, reference %.1f bytes/MB, ratio %.1f (goal >= 10)\n",
              measured, reference, reference / std::max(measured, 1.0));
  return 0;
}
