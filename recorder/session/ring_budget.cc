#include "recorder/session/ring_budget.h"

#include <algorithm>
#include <cstdio>

namespace discrec::recorder {

uint64_t RingBudget::pool_bytes(uint64_t limit_bytes) {
  return limit_bytes + limit_bytes / 64 + 64 * RingPool::kGranuleBytes;
}

RingBudget::RingBudget(uint64_t limit_bytes, bool reserve_pool) : limit_(limit_bytes) {
  if (limit_ == 0 || !reserve_pool) return;
  auto pool = RingPool::create(pool_bytes(limit_));
  if (pool.ok()) {
    pool_ = std::move(pool).value();
  } else {
    pool_error_ = pool.error().to_string();
  }
}

RingBudget::Reservation& RingBudget::Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    reset();
    budget_ = other.budget_;
    bytes_ = other.bytes_;
    other.budget_ = nullptr;
    other.bytes_ = 0;
  }
  return *this;
}

void RingBudget::Reservation::reset() {
  if (budget_ != nullptr) budget_->give_back(bytes_);
  budget_ = nullptr;
  bytes_ = 0;
}

Result<RingBudget::Reservation> RingBudget::reserve(uint64_t bytes, const std::string& who) {
  MutexLock lock(mutex_);
  if (limit_ != 0 && (bytes > limit_ || used_ > limit_ - bytes)) {
    return Error(ErrorCode::kResourceExhausted,
                 who + " needs " + format_mib(bytes) + " of ring memory; " + format_mib(limit_ - used_) + " of the " +
                     format_mib(limit_) + " budget for all rings are free. Ask for a smaller ring, or stop a recording");
  }
  used_ += bytes;
  return Reservation(this, bytes);
}

uint64_t RingBudget::used() const {
  MutexLock lock(mutex_);
  return used_;
}

void RingBudget::give_back(uint64_t bytes) {
  MutexLock lock(mutex_);
  used_ -= std::min(used_, bytes);
}

}  // namespace discrec::recorder
