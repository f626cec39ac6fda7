// RingBudget: how much memory the rings of all recordings may take together,
// daemon-wide. Ring memory is locked (or at least touched) up front, so a
// client asking for eight 4 GiB rings would otherwise take the machine's
// memory, and the kernel's OOM killer the daemon with every recording in it.
// A recording reserves its byte ring's size before it is made and gives it
// back when it is freed; what does not fit is refused with the numbers.
//
// The budget also owns the memory: a RingPool of the limit's size (plus
// 1/64 and a little for the rings' chunk records, accounted apart and not
// booked here), mapped and locked once, when the daemon starts, so that
// starting a recording never maps or locks memory. The booking is what the
// ring takes from the pool, so a 4 GiB budget holds 64 rings of 64 MiB.
//
// Thread-safety: thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include "base/mutex.h"
#include <string>

#include "base/result.h"
#include "recorder/core/ring_pool.h"

namespace discrec::recorder {

class RingBudget {
 public:
  // What one recording holds; returned when destroyed or reset.
  class Reservation {
   public:
    Reservation() = default;
    Reservation(Reservation&& other) noexcept { *this = std::move(other); }
    Reservation& operator=(Reservation&& other) noexcept;
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;
    ~Reservation() { reset(); }

    uint64_t bytes() const { return bytes_; }
    void reset();

   private:
    friend class RingBudget;
    Reservation(RingBudget* budget, uint64_t bytes) : budget_(budget), bytes_(bytes) {}
    RingBudget* budget_ = nullptr;
    uint64_t bytes_ = 0;
  };

  // limit_bytes == 0: no limit, and no pool (each ring is mapped for
  // itself). Otherwise the pool is reserved now; if even that fails (the
  // address space is too small for it), pool() is null and pool_error() says
  // why: rings are then mapped one by one, as before the pool.
  // `reserve_pool` false: the accounting alone (tests of large budgets).
  explicit RingBudget(uint64_t limit_bytes, bool reserve_pool = true);
  RingBudget(const RingBudget&) = delete;
  RingBudget& operator=(const RingBudget&) = delete;

  // kResourceExhausted, naming what `who` needs and what is free, when
  // `bytes` does not fit.
  Result<Reservation> reserve(uint64_t bytes, const std::string& who);

  uint64_t limit() const { return limit_; }
  uint64_t used() const;
  // Where the rings' memory comes from (null: nowhere in particular).
  RingPool* pool() const { return pool_.get(); }
  const std::string& pool_error() const { return pool_error_; }
  // The pool's size for a limit: the limit, the records' 1/64 of it, and
  // room for the records of 64 rings too small for that share to make a
  // granule.
  static uint64_t pool_bytes(uint64_t limit_bytes);

 private:
  void give_back(uint64_t bytes);

  const uint64_t limit_;
  std::unique_ptr<RingPool> pool_;  // set once, in the constructor
  std::string pool_error_;
  mutable Mutex mutex_;
  uint64_t used_ GUARDED_BY(mutex_) = 0;
};

}  // namespace discrec::recorder
