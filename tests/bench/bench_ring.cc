// Ring throughput: one producer thread pushes chunks through a ByteRing/
// ChunkRing pair the way Recording does (bytes copied in, records through a
// ChunkCoalescer, so 1316-byte pushes of one GOP share a record) and one
// consumer thread takes them out the way the StreamingWriter does.
// Reference: a plain memcpy of the same bytes, chunk by chunk, into a buffer
// of the ring's size.
//
// The consumer waits (sleeping, as the writer idles) until at least one ECC
// unit is buffered, takes whole units up to a command's worth, walks the
// chunk records the command completes, and releases bytes and records. The
// drive then reads the command's bytes, as it would read a buffer the
// reference filled, so neither side counts that: both touch one byte per
// command to keep the work from being optimized away. The writer hands ring
// memory to WRITE(12) as is, stopping a command at the end of the ring, so
// no command is copied out. (A copy-out variant was dropped: the writer
// never copies in steady state, and a second core reading every byte the
// first wrote measures mostly how far apart the two vCPUs are that minute.)
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
// The writer's defaults for BD: 64 KiB ECC units, up to 8 per WRITE(12).
constexpr size_t kUnitBytes = 64 << 10;
constexpr size_t kCommandBytes = 8 * kUnitBytes;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double ring_mb_per_s(size_t chunk, uint64_t total) {
  auto bytes = ByteRing::create(kRingBytes);
  auto chunks = ChunkRing::create(kRingBytes / std::min<size_t>(chunk, 1316) + 16);
  if (!bytes.ok() || !chunks.ok()) return 0;
  std::vector<uint8_t> src(chunk, 0x47);
  std::vector<uint8_t> staging(kCommandBytes);
  const uint64_t n = total / chunk;
  volatile uint8_t sink = 0;
  const auto t0 = std::chrono::steady_clock::now();
  // The producer is Recording's: records go through a ChunkCoalescer with
  // its settings (one GOP, pushes close in time: small pushes merge).
  ChunkCoalescer coalescer(ChunkCoalescer::kDefaultPublishBytes, std::chrono::seconds(2) / 32);
  std::thread producer([&] {
    for (uint64_t i = 0; i < n;) {
      if (!coalescer.has_room(*chunks) || !bytes->try_write(src)) {
        coalescer.publish(*chunks);
        std::this_thread::yield();  // the machine may have fewer free cores than threads
        continue;
      }
      Chunk c;
      c.input_begin = i * chunk;
      c.size = static_cast<uint32_t>(chunk);
      coalescer.add(*chunks, c);
      ++i;
    }
    coalescer.publish(*chunks);  // the stop: the last record goes out
  });
  // The consumer is the StreamingWriter's loop: once at least one ECC unit
  // is buffered it takes whole units, up to a command's worth, hands them
  // on, then releases the bytes and the chunks they complete (a chunk may
  // straddle two commands).
  const uint64_t end = n * chunk;
  size_t head_partial = 0;  // bytes of the first chunk already released
  while (bytes->read_position() < end) {
    const size_t visible = chunks->available();
    const uint64_t buffered =
        visible == 0 ? 0 : chunks->at(visible - 1).input_end() - bytes->read_position();
    size_t payload = std::min<uint64_t>(buffered, kCommandBytes) / kUnitBytes * kUnitBytes;
    if (payload == 0 && bytes->read_position() + buffered == end) payload = buffered;  // the tail
    if (payload == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(10));
      continue;
    }
    // A command stops at the end of ring memory when whole units fit before
    // it, so it is handed on in place; the next one starts at 0.
    const size_t to_end = bytes->bytes_to_end();
    if (payload > to_end && to_end >= kUnitBytes) payload = to_end / kUnitBytes * kUnitBytes;
    std::span<const uint8_t> command = bytes->contiguous(payload);
    if (command.empty()) {  // less than a unit before the ring's end: staged, as the writer does
      bytes->peek(0, {staging.data(), payload});
      command = {staging.data(), payload};
    }
    // The drive would read the command now, from ring memory or from the
    // buffer a memcpy filled alike, so neither figure counts it: one byte
    // per command keeps the work from being optimized away.
    sink = sink + command[payload - 1];
    size_t pos = 0, completed = 0;
    while (completed < visible) {
      const size_t rest = chunks->at(completed).size - head_partial;
      if (pos + rest > payload) {
        head_partial += payload - pos;
        break;
      }
      pos += rest;
      head_partial = 0;
      ++completed;
    }
    bytes->consume(payload);
    chunks->pop(completed);
  }
  producer.join();
  return static_cast<double>(n * chunk) / seconds_since(t0) / 1e6;
}

// The reference: the same bytes memcpy'd chunk by chunk into a buffer of
// the ring's size, one thread, no ring.
double memcpy_mb_per_s(size_t chunk, uint64_t total) {
  std::vector<uint8_t> src(chunk, 0x47);
  std::vector<uint8_t> ring(kRingBytes);
  const uint64_t n = total / chunk;
  volatile uint8_t sink = 0;
  size_t pos = 0;
  size_t since_command = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < n; ++i) {
    if (pos + chunk > ring.size()) pos = 0;
    std::memcpy(ring.data() + pos, src.data(), chunk);
    pos += chunk;
    since_command += chunk;
    if (since_command >= kCommandBytes) {  // as the ring's consumer, a byte per command
      since_command -= kCommandBytes;
      sink = sink + ring[pos - 1];
    }
  }
  return static_cast<double>(n * chunk) / seconds_since(t0) / 1e6;
}

void report(const char* name, size_t chunk, uint64_t total) {
  // Best of five each: the machine is shared, and how far apart its two
  // cores are (which sets the cost of every cache line the two threads
  // share) changes from minute to minute.
  double ring = 0, ref = 0;
  for (int i = 0; i < 5; ++i) {
    ring = std::max(ring, ring_mb_per_s(chunk, total));
    ref = std::max(ref, memcpy_mb_per_s(chunk, total));
  }
  std::printf("%s: %.0f MB/s, reference %.0f MB/s, ratio %.2f (goal >= %.1f)\n", name, ring, ref,
              ring / ref, kGoal);
}

}  // namespace

int main() {
  report("ring_throughput_64KiB_chunks", 64 << 10, 2ull << 30);
  report("ring_throughput_1316B_chunks", 7 * 188, 1ull << 30);
  return 0;
}
