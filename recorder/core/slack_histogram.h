// Deadline slack (deadline - completion time) as a fixed-size histogram, so
// the writer can record every chunk without allocating and still report a
// p99. Buckets are 1 ms wide from -1 s to +10 s (outside: clamped into the
// edge buckets), grouped 128 to a coarse bucket so a percentile costs ~200
// steps, not 11,000; the minimum is kept exactly.
//
// Thread-safety: thread-compatible (the writer thread owns it).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

#include "base/clock.h"

namespace discrec::recorder {

class SlackHistogram {
 public:
  static constexpr int64_t kBucketNs = 1'000'000;
  static constexpr int64_t kLowestNs = -1'000'000'000;
  static constexpr size_t kBuckets = 11'000;
  static constexpr size_t kGroup = 128;  // a power of two: the per-sample index is a shift

  void add(Nanos slack) { add_to_bucket(slack.count(), bucket_of(slack.count())); }
  // The same sample into two histograms (a recording's and its drive's),
  // finding its bucket once: the writer does this for every chunk.
  static void add(Nanos slack, SlackHistogram& a, SlackHistogram& b) {
    const size_t bucket = bucket_of(slack.count());
    a.add_to_bucket(slack.count(), bucket);
    b.add_to_bucket(slack.count(), bucket);
  }
  uint64_t count() const { return total_; }
  // Exact minimum; 0 when empty.
  int64_t min_ns() const { return total_ ? min_ns_ : 0; }
  // The slack that 99% of samples are at or above ("1% of chunks had less
  // slack than this"): the tail that matters for deadlines. Bucket
  // resolution (lower edge); 0 when empty.
  int64_t p99_ns() const {
    if (total_ == 0) return 0;
    const uint64_t rank = total_ / 100;  // samples allowed below
    uint64_t seen = 0;
    size_t g = 0;
    while (g + 1 < groups_.size() && seen + groups_[g] <= rank) seen += groups_[g++];
    for (size_t b = g * kGroup; b < kBuckets; ++b) {
      seen += counts_[b];
      if (seen > rank) return std::max(kLowestNs + static_cast<int64_t>(b) * kBucketNs, min_ns_);
    }
    return min_ns_;
  }

 private:
  static size_t bucket_of(int64_t ns) {
    return static_cast<size_t>(std::clamp<int64_t>((ns - kLowestNs) / kBucketNs, 0, kBuckets - 1));
  }
  void add_to_bucket(int64_t ns, size_t b) {
    min_ns_ = std::min(min_ns_, ns);
    ++counts_[b];
    ++groups_[b / kGroup];
    ++total_;
  }

  std::array<uint32_t, kBuckets> counts_{};
  std::array<uint64_t, (kBuckets + kGroup - 1) / kGroup> groups_{};
  uint64_t total_ = 0;
  int64_t min_ns_ = std::numeric_limits<int64_t>::max();
};

}  // namespace discrec::recorder
