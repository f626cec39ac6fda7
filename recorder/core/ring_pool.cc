#include "recorder/core/ring_pool.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

namespace discrec::recorder {

std::string format_mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

namespace {

struct Run {
  size_t start = 0;
  size_t length = 0;
};
}  // namespace

// --- RingMemory ---

Result<RingMemory> RingMemory::allocate(size_t bytes) {
  ASSIGN_OR_RETURN(LockedMemory memory, LockedMemory::allocate(bytes));
  RingMemory m;
  m.size_ = bytes;
  m.locked_ = memory.locked();
  m.runs_.push_back({memory.data(), bytes});
  m.own_ = std::move(memory);
  return m;
}

RingMemory RingMemory::on_heap(size_t bytes) {
  RingMemory m;
  m.heap_.reset(new uint8_t[bytes]());
  m.size_ = bytes;
  m.runs_.push_back({m.heap_.get(), bytes});
  return m;
}

Result<RingMemory> RingMemory::carve(RingPool& pool, size_t bytes) {
  if (bytes == 0) return Error(ErrorCode::kInvalidArgument, "cannot carve an empty ring");
  const size_t count = RingPool::carve_size(bytes) / RingPool::kGranuleBytes;
  ASSIGN_OR_RETURN(std::vector<uint32_t> granules, pool.take(count));
  RingMemory m;
  m.pool_ = &pool;
  m.size_ = bytes;
  m.locked_ = pool.locked();
  // Where each run of physically consecutive granules ends, as an offset.
  std::vector<size_t> run_end(count);
  for (size_t i = count; i-- > 0;) {
    const bool joins_next = i + 1 < count && granules[i + 1] == granules[i] + 1;
    run_end[i] = joins_next ? run_end[i + 1] : std::min(bytes, (i + 1) * RingPool::kGranuleBytes);
  }
  if (run_end[0] == bytes) {
    m.runs_.push_back({pool.granule(granules[0]), bytes});  // one run: the usual case
  } else {
    m.shift_ = RingPool::kGranuleShift;
    m.within_mask_ = RingPool::kGranuleBytes - 1;
    m.runs_.reserve(count);
    for (size_t i = 0; i < count; ++i) m.runs_.push_back({pool.granule(granules[i]), run_end[i]});
  }
  if (!pool.locked()) {
    for (uint32_t g : granules) pool.memory_.prefault(size_t{g} << RingPool::kGranuleShift, RingPool::kGranuleBytes);
  }
  m.granules_ = std::move(granules);
  return m;
}

RingMemory& RingMemory::operator=(RingMemory&& other) noexcept {
  if (this != &other) {
    reset();
    runs_ = std::move(other.runs_);
    shift_ = std::exchange(other.shift_, 63);
    within_mask_ = std::exchange(other.within_mask_, ~size_t{0} >> 1);
    size_ = std::exchange(other.size_, 0);
    locked_ = std::exchange(other.locked_, false);
    own_ = std::move(other.own_);
    heap_ = std::move(other.heap_);
    pool_ = std::exchange(other.pool_, nullptr);
    granules_ = std::move(other.granules_);
    other.runs_.clear();
    other.granules_.clear();
  }
  return *this;
}

void RingMemory::reset() {
  if (pool_ != nullptr) pool_->give_back(granules_);
  pool_ = nullptr;
  granules_.clear();
  own_ = LockedMemory();
  heap_.reset();
  runs_.clear();
  shift_ = 63;
  within_mask_ = ~size_t{0} >> 1;
  size_ = 0;
  locked_ = false;
}

size_t RingMemory::run_count() const {
  size_t n = 0;
  for (size_t offset = 0; offset < size_; offset += contiguous_from(offset)) ++n;
  return n;
}

// --- RingPool ---

Result<std::unique_ptr<RingPool>> RingPool::create(size_t bytes) {
  if (bytes == 0) return Error(ErrorCode::kInvalidArgument, "cannot reserve an empty ring pool");
  const size_t size = carve_size(bytes);
  if (size / kGranuleBytes > UINT32_MAX) {
    return Error(ErrorCode::kInvalidArgument, "ring pool of " + format_mib(size) + " is too large");
  }
  ASSIGN_OR_RETURN(LockedMemory memory, LockedMemory::reserve(size));
  return std::unique_ptr<RingPool>(new RingPool(std::move(memory)));
}

RingPool::RingPool(LockedMemory memory)
    : memory_(std::move(memory)), granule_count_(memory_.size() / kGranuleBytes) {
  free_.assign((granule_count_ + 63) / 64, 0);
  for (size_t i = 0; i < granule_count_; ++i) set_free(i, true);
  free_count_ = granule_count_;
}

size_t RingPool::free_bytes() const {
  std::lock_guard lock(mutex_);
  return free_count_ * kGranuleBytes;
}

Result<std::vector<uint32_t>> RingPool::take(size_t count) {
  std::lock_guard lock(mutex_);
  if (count > free_count_) {
    return Error(ErrorCode::kResourceExhausted,
                 "the ring memory pool has " + format_mib(free_count_ * kGranuleBytes) + " of its " +
                     format_mib(granule_count_ * kGranuleBytes) + " free, " + format_mib(count * kGranuleBytes) +
                     " are needed");
  }
  // The free runs, one pass over the bitmap (whole words at a time where
  // they are all free or all taken).
  std::vector<Run> runs;
  size_t i = 0;
  while (i < granule_count_) {
    const uint64_t word = free_[i / 64];
    if (i % 64 == 0 && word == 0) {
      i += 64;
      continue;
    }
    if (!is_free(i)) {
      ++i;
      continue;
    }
    Run r{i, 0};
    while (i < granule_count_) {
      if (i % 64 == 0 && free_[i / 64] == ~uint64_t{0} && i + 64 <= granule_count_) {
        r.length += 64;
        i += 64;
      } else if (is_free(i)) {
        ++r.length;
        ++i;
      } else {
        break;
      }
    }
    runs.push_back(r);
  }
  // Best fit when one run holds it all: the ring stays contiguous and the
  // large runs stay whole for large rings. Otherwise the largest runs first,
  // so the ring has as few seams as the free memory allows.
  const Run* best = nullptr;
  for (const Run& r : runs)
    if (r.length >= count && (best == nullptr || r.length < best->length)) best = &r;
  std::vector<Run> chosen;
  if (best != nullptr) {
    chosen.push_back({best->start, count});
  } else {
    std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.length > b.length; });
    size_t left = count;
    for (const Run& r : runs) {
      if (left == 0) break;
      const size_t take = std::min(left, r.length);
      chosen.push_back({r.start, take});
      left -= take;
    }
  }
  std::vector<uint32_t> granules;
  granules.reserve(count);
  for (const Run& r : chosen)
    for (size_t g = r.start; g < r.start + r.length; ++g) {
      set_free(g, false);
      granules.push_back(static_cast<uint32_t>(g));
    }
  free_count_ -= count;
  return granules;
}

void RingPool::give_back(std::span<const uint32_t> granules) {
  // Outside the lock: an unlocked pool's pages go back to the system, which
  // takes a while for a large ring; nobody else can carve them until they
  // are marked free below.
  if (!locked()) {
    for (size_t i = 0; i < granules.size();) {  // one call per run of consecutive granules
      size_t j = i + 1;
      while (j < granules.size() && granules[j] == granules[j - 1] + 1) ++j;
      memory_.discard(size_t{granules[i]} << kGranuleShift, (j - i) * kGranuleBytes);
      i = j;
    }
  }
  std::lock_guard lock(mutex_);
  for (uint32_t g : granules) set_free(g, true);
  free_count_ += granules.size();
}

}  // namespace discrec::recorder
