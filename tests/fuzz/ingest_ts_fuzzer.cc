// Fuzzes GopMarker (TS packet scanning, PES PTS parsing, partial-packet
// carry) with arbitrary bytes cut into arbitrary chunks, and Timeline with
// arbitrary timestamps. Invariants: the sink only ever gets whole packets,
// and every mapped DTS of a stream strictly increases.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "recorder/ingest/gop_marker.h"
#include "recorder/ingest/timeline.h"

namespace {

using discrec::Nanos;
using discrec::Status;
using discrec::TimePoint;

class CheckingSink : public discrec::recorder::TsSink {
 public:
  Status write_packets(std::span<const uint8_t> packets, bool) override {
    if (packets.empty() || packets.size() % discrec::recorder::kTsPacketSize != 0) __builtin_trap();
    return discrec::ok_status();
  }
  void source_gap(TimePoint, Nanos) override {}
};

int64_t read_i64(const uint8_t*& p, const uint8_t* end) {
  int64_t v = 0;
  size_t n = std::min<size_t>(8, static_cast<size_t>(end - p));
  std::memcpy(&v, p, n);
  p += n;
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  CheckingSink sink;
  int pid = ((data[0] & 0x1f) << 8) | data[1];
  int64_t interval = (data[2] & 1) ? 45000 : 0;
  discrec::recorder::ingest::GopMarker marker(sink, pid, interval);
  // Chunk sizes from a byte-driven schedule, so packets split everywhere.
  size_t off = 4, step = 1 + data[3];
  while (off < size) {
    size_t n = std::min(size - off, step);
    if (!marker.consume(data + off, n).ok()) break;
    off += n;
    step = 1 + (step * 31 + 7) % 700;
  }

  discrec::recorder::ingest::Timeline timeline(3);
  std::vector<int64_t> last(3, INT64_MIN);
  const uint8_t* p = data + 4;
  const uint8_t* end = data + size;
  while (end - p >= 17) {
    size_t stream = *p++ % 4;  // 3 is out of range on purpose
    if (*p++ % 7 == 0) timeline.start_segment();
    int64_t dts = read_i64(p, end) >> 20, pts = read_i64(p, end) >> 20;  // keep far from overflow
    if ((dts & 0xff) == 0x13) dts = discrec::recorder::ingest::Timeline::kNoTs;
    if (timeline.map(stream, stream != 2, dts, pts, 3600) && stream < 3) {
      if (dts <= last[stream]) __builtin_trap();
      if (pts != discrec::recorder::ingest::Timeline::kNoTs && pts < dts) __builtin_trap();
      last[stream] = dts;
    }
  }
  return 0;
}
