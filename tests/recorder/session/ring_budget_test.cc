#include "recorder/session/ring_budget.h"

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

}  // namespace
}  // namespace discrec::recorder
