#include "recorder/session/ring_budget.h"

#include "recorder/core/recording.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace discrec::recorder {
namespace {

TEST(RingBudgetTest, RefusesWhatDoesNotFitWithTheNumbers) {
  RingBudget budget(100 << 20);
  auto a = budget.reserve(60 << 20, "recording rec001");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(budget.used(), 60u << 20);
  auto b = budget.reserve(60 << 20, "recording rec002");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code(), ErrorCode::kResourceExhausted);
  const std::string m = b.error().message();
  EXPECT_NE(m.find("rec002"), std::string::npos) << m;
  EXPECT_NE(m.find("60.0 MiB"), std::string::npos) << m;   // needed
  EXPECT_NE(m.find("40.0 MiB"), std::string::npos) << m;   // free
  EXPECT_NE(m.find("100.0 MiB"), std::string::npos) << m;  // budget
  EXPECT_EQ(budget.used(), 60u << 20) << "a refusal reserves nothing";
  EXPECT_FALSE(budget.reserve(uint64_t{1} << 62, "huge").ok()) << "no overflow in the check";
}

TEST(RingBudgetTest, ReservationsGiveBackOnceWhenResetMovedOrDestroyed) {
  RingBudget budget(100);
  {
    auto a = budget.reserve(40, "a");
    ASSERT_TRUE(a.ok());
    RingBudget::Reservation moved = std::move(*a);
    EXPECT_EQ(moved.bytes(), 40u);
    EXPECT_EQ(budget.used(), 40u);
    RingBudget::Reservation again;
    again = std::move(moved);
    EXPECT_EQ(budget.used(), 40u) << "moving does not give back";
    again.reset();
    EXPECT_EQ(budget.used(), 0u);
    again.reset();
    EXPECT_EQ(budget.used(), 0u) << "reset twice gives back once";
    auto b = budget.reserve(100, "b");
    ASSERT_TRUE(b.ok()) << "the whole budget is free again";
  }
  EXPECT_EQ(budget.used(), 0u) << "destroyed reservations give back";
}

TEST(RingBudgetTest, ZeroMeansNoLimit) {
  RingBudget budget(0);
  auto a = budget.reserve(uint64_t{1} << 40, "a");
  EXPECT_TRUE(a.ok());
}

TEST(RingBudgetTest, ConcurrentReservationsNeverExceedTheLimit) {
  RingBudget budget(1000);
  std::vector<std::thread> threads;
  std::atomic<uint64_t> peak{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto r = budget.reserve(300, "r");
        if (r.ok()) {
          const uint64_t used = budget.used();
          uint64_t p = peak.load();
          while (used > p && !peak.compare_exchange_weak(p, used)) {
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(peak.load(), 1000u);
  EXPECT_EQ(budget.used(), 0u);
}

// The booking is what the ring uses: a 4 GiB budget admits 64 rings of
// 64 MiB (they were booked at 72 MiB with their records: 56 fitted), and
// the pool behind it holds the 64 rings and their records exactly.
TEST(RingBudgetTest, FourGiBHoldSixtyFourRingsOf64MiB) {
  RecordingConfig config;
  config.bitrate_bps = 4'000'000;
  config.ring_bytes = size_t{64} << 20;
  RingPool* any_pool = reinterpret_cast<RingPool*>(alignof(RingPool));  // only compared with null
  config.ring_pool = any_pool;
  auto booked = Recording::ring_memory_bytes(config, 512 << 10);
  ASSERT_TRUE(booked.ok());
  EXPECT_EQ(*booked, uint64_t{64} << 20);

  const uint64_t limit = uint64_t{4} << 30;
  RingBudget budget(limit, /*reserve_pool=*/false);
  std::vector<RingBudget::Reservation> held;
  for (int i = 0; i < 64; ++i) {
    auto r = budget.reserve(*booked, "recording " + std::to_string(i));
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().to_string();
    held.push_back(std::move(r).value());
  }
  EXPECT_EQ(budget.used(), limit);
  EXPECT_FALSE(budget.reserve(RingPool::kGranuleBytes, "one more").ok());
  // Each ring's records: 64 MiB / 2048 records of 32 bytes = 1 MiB.
  const uint64_t records = RingPool::carve_size((config.ring_bytes / 2048) * sizeof(Chunk));
  EXPECT_EQ(records, uint64_t{1} << 20);
  EXPECT_GE(RingBudget::pool_bytes(limit), 64 * (*booked + records));
  EXPECT_LE(RingBudget::pool_bytes(limit), limit + limit / 64 + (4u << 20)) << "metadata stays small";
}

// The same at a size a test can carve for real: a 64 MiB budget's pool
// holds 64 recordings of 1 MiB rings, records and all, and refuses a 65th.
TEST(RingBudgetTest, ABudgetsPoolHoldsWhatItAdmits) {
  RingBudget budget(64 << 20);
  ASSERT_NE(budget.pool(), nullptr) << budget.pool_error();
  SimulatedClock clock;
  RecordingConfig config;
  config.bitrate_bps = 4'000'000;
  config.ring_bytes = 1 << 20;
  config.ring_pool = budget.pool();
  std::vector<std::pair<RingBudget::Reservation, std::shared_ptr<Recording>>> recordings;
  for (int i = 0; i < 64; ++i) {
    auto booked = Recording::ring_memory_bytes(config, 256 << 10);
    ASSERT_TRUE(booked.ok());
    auto r = budget.reserve(*booked, "recording " + std::to_string(i));
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().to_string();
    auto rec = Recording::create(i + 1, config, clock, 256 << 10, 0.1);
    ASSERT_TRUE(rec.ok()) << i << ": " << rec.error().to_string();
    EXPECT_EQ((*rec)->stats().ring_capacity, size_t{1} << 20);
    recordings.emplace_back(std::move(r).value(), std::move(rec).value());
  }
  EXPECT_FALSE(budget.reserve(1 << 20, "recording 65").ok());
}

}  // namespace
}  // namespace discrec::recorder
