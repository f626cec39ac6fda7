// Ring throughput: one producer thread pushes chunks (bytes + chunk record)
// through a ByteRing/ChunkRing pair and one consumer thread releases them.
// Reference: a plain memcpy of the same bytes, chunk by chunk, into a buffer
// of the ring's size, touching one byte of each chunk.
//
// Two consumers, two figures each:
//  - in place (the main figures): what the StreamingWriter does. It hands
//    ring memory to WRITE(12) as is and copies only a command that wraps
//    around the end of the ring. The drive (SG_IO, the emulated drive) then
//    reads those bytes, as it would read any buffer the reference filled, so
//    the consumer here touches one byte per chunk, like the reference.
//  - copy out: every chunk copied out of the ring (two copies in all), the
//    cost if a consumer could not use ring memory in place.
// Prints: <name>: <value> MB/s, reference <value> MB/s, ratio <r> (goal >= 0.5)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <span>
#include <thread>
#include <vector>

#include "recorder/core/ring_buffer.h"

using namespace discrec;
using namespace discrec::recorder;

namespace {

constexpr size_t kRingBytes = 4 << 20;
constexpr double kGoal = 0.5;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double ring_mb_per_s(size_t chunk, uint64_t total, bool in_place) {
  auto bytes = ByteRing::create(kRingBytes);
  auto chunks = ChunkRing::create(kRingBytes / std::min<size_t>(chunk, 1316) + 16);
  if (!bytes.ok() || !chunks.ok()) return 0;
  std::vector<uint8_t> src(chunk, 0x47);
  std::vector<uint8_t> dst(chunk);
  const uint64_t n = total / chunk;
  volatile uint8_t sink = 0;
  const auto t0 = std::chrono::steady_clock::now();
  std::thread producer([&] {
    for (uint64_t i = 0; i < n;) {
      if (!chunks->free_slot() || !bytes->try_write(src)) {
        std::this_thread::yield();  // the machine may have fewer free cores than threads
        continue;
      }
      Chunk c;
      c.input_begin = i * chunk;
      c.size = static_cast<uint32_t>(chunk);
      chunks->try_push(c);
      ++i;
    }
  });
  // The consumer takes whatever is visible in one go (as the writer does
  // per command), then releases it.
  for (uint64_t i = 0; i < n;) {
    const size_t visible = chunks->available();
    if (visible == 0) {
      std::this_thread::yield();
      continue;
    }
    size_t offset = 0;
    for (size_t k = 0; k < visible; ++k) {
      const Chunk& c = chunks->at(k);
      std::span<const uint8_t> here = in_place && offset == 0 ? bytes->contiguous(c.size) : std::span<const uint8_t>();
      if (in_place && offset > 0) {
        // Later chunks of the same command follow the first in ring memory.
        auto whole = bytes->contiguous(offset + c.size);
        if (!whole.empty()) here = whole.subspan(offset);
      }
      if (here.empty()) {  // wraps (or copy-out mode): stage it, as the writer does
        bytes->peek(offset, {dst.data(), c.size});
        here = {dst.data(), c.size};
      }
      offset += c.size;
      sink = sink + here[c.size - 1];
    }
    bytes->consume(offset);
    chunks->pop(visible);
    i += visible;
  }
  producer.join();
  return static_cast<double>(n * chunk) / seconds_since(t0) / 1e6;
}

double memcpy_mb_per_s(size_t chunk, uint64_t total) {
  std::vector<uint8_t> src(chunk, 0x47);
  std::vector<uint8_t> ring(kRingBytes);
  const uint64_t n = total / chunk;
  volatile uint8_t sink = 0;
  size_t pos = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < n; ++i) {
    if (pos + chunk > ring.size()) pos = 0;
    std::memcpy(ring.data() + pos, src.data(), chunk);
    sink = sink + ring[pos];
    pos += chunk;
  }
  return static_cast<double>(n * chunk) / seconds_since(t0) / 1e6;
}

void report(const char* name, size_t chunk, uint64_t total, bool in_place) {
  // Best of three each: the machine is shared.
  double ring = 0, ref = 0;
  for (int i = 0; i < 3; ++i) {
    ring = std::max(ring, ring_mb_per_s(chunk, total, in_place));
    ref = std::max(ref, memcpy_mb_per_s(chunk, total));
  }
  std::printf("%s: %.0f MB/s, reference %.0f MB/s, ratio %.2f (goal >= %.1f)\n", name, ring, ref,
              ring / ref, kGoal);
}

}  // namespace

int main() {
  report("ring_throughput_64KiB_chunks", 64 << 10, 2ull << 30, true);
  report("ring_throughput_1316B_chunks", 7 * 188, 1ull << 30, true);
  report("ring_throughput_64KiB_chunks_copy_out", 64 << 10, 2ull << 30, false);
  report("ring_throughput_1316B_chunks_copy_out", 7 * 188, 1ull << 30, false);
  return 0;
}
