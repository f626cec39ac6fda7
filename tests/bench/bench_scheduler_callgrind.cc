// Instructions per chunk of the scheduler for one fixed scenario, counted by
// callgrind, so a regression shows as a number that does not depend on the
// machine's load: 8 recordings, 64 rounds of 256 KiB of 1316-byte chunks
// each, every push its own record (a GOP start, as in bench_scheduler.cc),
// drained by service_once() into a target that takes no time.
// Reference, same run and same count: a std::priority_queue push + pop per
// chunk.
// Prints: scheduler_instructions_8_recordings: <n> Ir/chunk, reference <n> Ir/chunk, ratio <r> (goal >= 0.25)
// The binary re-runs itself under `valgrind --tool=callgrind`.
#include <unistd.h>
#include <valgrind/callgrind.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <queue>
#include <string>
#include <vector>

#include "recorder/core/streaming_writer.h"

using namespace discrec;
using namespace discrec::recorder;

namespace {

constexpr size_t kChunk = 7 * kTsPacketSize;
constexpr int kRecordings = 8;
constexpr int kRounds = 64;
constexpr double kGoal = 0.25;

class NullTarget final : public BlockTarget {
 public:
  Status write_blocks(uint32_t, std::span<const uint8_t>, bool) override { return ok_status(); }
  Status flush() override { return ok_status(); }
};

uint64_t run_writer() {
  SimulatedClock clock;
  NullTarget target;
  WriterOptions o;
  o.guaranteed_bytes_per_second = 1ull << 40;
  StreamingWriter writer(target, clock, o);
  std::vector<std::shared_ptr<Recording>> recs;
  for (int i = 0; i < kRecordings; ++i) {
    RecordingConfig c;
    c.priority = i;
    // What the pushes below are in simulated time (1316 bytes per 2 us, 5.3
    // Gbit/s while a recording pushes): an honest declaration, so this is
    // the cost of the writer's usual path, not of shedding a recording over
    // its declaration.
    c.bitrate_bps = 8'000'000'000;
    c.ring_bytes = 2 << 20;
    recs.push_back(*writer.add_recording(c));
  }
  std::vector<uint8_t> chunk(kChunk);
  for (size_t p = 0; p < kChunk; p += kTsPacketSize) chunk[p] = 0x47;
  const size_t per_round = (256 << 10) / kChunk + 1;
  for (int round = 0; round < kRounds; ++round) {
    for (auto& r : recs) {
      for (size_t k = 0; k < per_round; ++k) {
        (void)r->write_packets_at(chunk, true, clock.now());  // see bench_scheduler.cc
        clock.advance(std::chrono::microseconds(2));
      }
    }
    CALLGRIND_TOGGLE_COLLECT;
    for (;;) {
      const uint64_t commands = writer.stats().commands;
      writer.service_once();
      if (writer.stats().commands == commands) break;
    }
    CALLGRIND_TOGGLE_COLLECT;
  }
  return writer.stats().bytes_written / kChunk;
}

void run_reference(uint64_t chunks) {
  using Entry = std::pair<int64_t, int>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  for (int i = 0; i < kRecordings; ++i) heap.push({i, i});
  int64_t t = kRecordings;
  volatile int sink = 0;
  CALLGRIND_TOGGLE_COLLECT;
  for (uint64_t i = 0; i < chunks; ++i) {
    Entry e = heap.top();
    heap.pop();
    sink = sink + e.second;
    heap.push({t += 7 * (e.second + 1), e.second});
  }
  CALLGRIND_TOGGLE_COLLECT;
}

// "summary:" / "totals:" of a callgrind output file.
uint64_t instructions_in(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  uint64_t total = 0;
  while (std::getline(in, line)) {
    if (line.rfind("summary:", 0) == 0 || line.rfind("totals:", 0) == 0) {
      total = std::strtoull(line.c_str() + line.find(':') + 1, nullptr, 10);
    }
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--measure") == 0) {
    const uint64_t chunks = run_writer();
    CALLGRIND_DUMP_STATS_AT("writer");
    run_reference(chunks);
    CALLGRIND_DUMP_STATS_AT("reference");
    std::printf("%llu\n", static_cast<unsigned long long>(chunks));
    return 0;
  }
  if (std::system("valgrind --version >/dev/null 2>&1") != 0) {
    std::fprintf(stderr, "bench_scheduler_callgrind: valgrind not installed, skipped\n");
    return 0;
  }
  char dir[] = "/tmp/discrec_callgrind_XXXXXX";
  if (mkdtemp(dir) == nullptr) return 1;
  const std::string out = std::string(dir) + "/cg.out";
  const std::string cmd = "valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=" + out +
                          " " + argv[0] + " --measure > " + dir + "/chunks 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "bench_scheduler_callgrind: valgrind run failed: %s\n", cmd.c_str());
    return 1;
  }
  std::ifstream chunks_file(std::string(dir) + "/chunks");
  uint64_t chunks = 0;
  chunks_file >> chunks;
  const uint64_t writer = instructions_in(out + ".1");
  const uint64_t reference = instructions_in(out + ".2");
  std::system((std::string("rm -rf ") + dir).c_str());
  if (chunks == 0 || writer == 0 || reference == 0) {
    std::fprintf(stderr, "bench_scheduler_callgrind: no counts (chunks %llu)\n",
                 static_cast<unsigned long long>(chunks));
    return 1;
  }
  const double w = static_cast<double>(writer) / static_cast<double>(chunks);
  const double r = static_cast<double>(reference) / static_cast<double>(chunks);
  std::printf("scheduler_instructions_%d_recordings: %.0f Ir/chunk, reference %.0f Ir/chunk, ratio %.2f "
              "(goal >= %.2f)\n",
              kRecordings, w, r, r / w, kGoal);
  return 0;
}
