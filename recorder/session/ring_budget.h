// RingBudget: how much memory the rings of all recordings may take together,
// daemon-wide. Ring memory is locked (or at least touched) up front, so a
// client asking for eight 4 GiB rings would otherwise take the machine's
// memory, and the kernel's OOM killer the daemon with every recording in it.
// A recording reserves its rings' size before they are allocated and gives
// it back when they are freed; what does not fit is refused with the
// numbers.
//
// Thread-safety: thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "device/result.h"

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

  // limit_bytes == 0: no limit.
  explicit RingBudget(uint64_t limit_bytes) : limit_(limit_bytes) {}
  RingBudget(const RingBudget&) = delete;
  RingBudget& operator=(const RingBudget&) = delete;

  // kResourceExhausted, naming what `who` needs and what is free, when
  // `bytes` does not fit.
  Result<Reservation> reserve(uint64_t bytes, const std::string& who);

  uint64_t limit() const { return limit_; }
  uint64_t used() const;

 private:
  void give_back(uint64_t bytes);

  const uint64_t limit_;
  mutable std::mutex mutex_;
  uint64_t used_ = 0;  // GUARDED_BY(mutex_)
};

}  // namespace discrec::recorder
