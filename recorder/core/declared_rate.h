// DeclaredRateMeter: holds a recording's pushes to the bitrate it declared.
//
// A client declares a bitrate and admission books drive time for it; the
// writer's guarantees to every other recording rest on that declaration. A
// stream that pushes more takes drive time booked for others, so the
// producer meters what it accepts: a token bucket refilled at the declared
// rate x (1 + the admission margin), `burst` deep. Pushes the bucket covers
// conform; a push that finds it empty (the recording has been above its
// declaration for longer than the burst) does not, and neither takes tokens
// nor is refused: it is the writer's to shed first (StreamingWriter).
//
// Kept as GCRA's theoretical arrival time (ITU-T I.371), the same bucket in
// one integer: `tat_` is when the stream would be back on schedule. A push
// of n bytes moves it n x (time per byte) later; the bucket is empty when
// that is more than `burst` ahead of the push's arrival. One multiply, one
// max and one compare per push, no floating point, no state but two words:
// it runs on the ingest thread inside every write_packets().
//
// The burst is the ring's margin: a latency budget's worth of bytes, what
// the writer can hold back without a deadline at risk (a recording's ring is
// twice that by default), and never more than the ring (a stranger's long
// latency budget must not buy an unbounded burst; a small ring may still
// be filled at once).
//
// Thread-safety: the producer's (one thread), like ChunkCoalescer.
#pragma once

#include <algorithm>
#include <cstdint>

#include "base/clock.h"

namespace discrec::recorder {

class DeclaredRateMeter {
 public:
  // Conforms to nothing (an empty bucket that never fills).
  DeclaredRateMeter() = default;
  // `bits_per_second` > 0; `margin` as admission's (clamped to [0, 9]);
  // `burst_time`: the latency budget; `max_burst_bytes`: the ring.
  DeclaredRateMeter(uint64_t bits_per_second, double margin, Nanos burst_time, uint64_t max_burst_bytes) {
    if (!(margin >= 0)) margin = 0;  // NaN too: the strictest reading
    margin = std::min(margin, 9.0);
    const double bytes_per_second = static_cast<double>(std::max<uint64_t>(bits_per_second, 1)) / 8 * (1 + margin);
    // <= 8e9 ns/byte x 2^24 < 2^57: fits, with 2^-24 ns of resolution (a
    // relative error below 1e-7 even at 10 Gbit/s).
    fixed_ns_per_byte_ = static_cast<uint64_t>(1e9 / bytes_per_second * kFixedOne);
    if (fixed_ns_per_byte_ == 0) fixed_ns_per_byte_ = 1;
    // Below the cost of an absurd push (kMaxCostNs), so that one never conforms.
    const int64_t ring_burst_ns = std::min(cost_ns(max_burst_bytes), kMaxCostNs / 2);
    burst_ns_ = std::max<int64_t>(0, std::min<int64_t>(burst_time.count(), ring_burst_ns));
    burst_bytes_ = static_cast<uint64_t>(std::min(static_cast<double>(burst_ns_) / 1e9 * bytes_per_second,
                                                  static_cast<double>(max_burst_bytes)));
  }

  // Meters a push of `bytes` arriving at `arrival`: true when it conforms
  // (and then takes its tokens; a push that does not conform takes none).
  // `bursts` > 1 lets the bucket go that many bursts deep into debt, which
  // later pushes repay: the long-run rate stays the declared one.
  bool conforms(TimePoint arrival, uint64_t bytes, int bursts = 1) {
    int64_t tat = 0;
    if (!fits(arrival, bytes, bursts, &tat)) return false;
    tat_ = tat;
    return true;
  }
  // conforms() without taking anything.
  bool would_conform(TimePoint arrival, uint64_t bytes, int bursts = 1) const {
    int64_t tat = 0;
    return fits(arrival, bytes, bursts, &tat);
  }

  Nanos burst() const { return Nanos(burst_ns_); }
  // The burst in bytes: the bucket's depth.
  uint64_t burst_bytes() const { return burst_bytes_; }

 private:
  static constexpr int kFixedBits = 24;
  static constexpr double kFixedOne = double(uint64_t{1} << kFixedBits);
  static constexpr int64_t kMaxCostNs = INT64_MAX / 4;  // ~73 years: saturates, never wraps

  bool fits(TimePoint arrival, uint64_t bytes, int bursts, int64_t* tat) const {
    const int64_t now = arrival.time_since_epoch().count();
    const int64_t start = std::max(tat_, now);  // idle time refills, up to the burst
    // burst_ns_ <= kMaxCostNs / 2: a few bursts cannot overflow.
    return !__builtin_add_overflow(start, cost_ns(bytes), tat) && *tat - now <= bursts * burst_ns_;
  }
  // Truncated: rounding favours the stream, never flags an honest one.
  int64_t cost_ns(uint64_t bytes) const {
    const unsigned __int128 fixed = static_cast<unsigned __int128>(bytes) * fixed_ns_per_byte_;
    const unsigned __int128 ns = fixed >> kFixedBits;
    return ns > static_cast<unsigned __int128>(kMaxCostNs) ? kMaxCostNs : static_cast<int64_t>(ns);
  }

  uint64_t fixed_ns_per_byte_ = UINT64_MAX >> 8;  // 2^-24 ns units; default: nothing fits
  int64_t burst_ns_ = 0;
  uint64_t burst_bytes_ = 0;
  int64_t tat_ = INT64_MIN;         // nothing metered yet: the bucket is full
};

}  // namespace discrec::recorder
