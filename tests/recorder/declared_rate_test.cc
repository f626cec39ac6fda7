// DeclaredRateMeter: the token bucket that holds a recording to its declared
// bitrate, checked against hand-computed schedules.
#include "recorder/core/declared_rate.h"

#include <gtest/gtest.h>

namespace discrec::recorder {
namespace {

using namespace std::chrono_literals;

TimePoint at(Nanos t) { return TimePoint{} + t; }

TEST(DeclaredRateMeterTest, AtTheDeclaredRateEveryPushConforms) {
  // 8 Mbit/s = 1 MB/s, no margin, 1 s burst: a 1000-byte push every 1 ms.
  DeclaredRateMeter m(8'000'000, 0.0, 1s, 1 << 30);
  for (int i = 0; i < 100'000; ++i) ASSERT_TRUE(m.conforms(at(i * 1ms), 1000)) << i;
}

TEST(DeclaredRateMeterTest, TheBurstIsTheLatencyBudgetsWorthAndNoMore) {
  // 1 MB/s, 1 s burst: 1 MB at once conforms (cost 1 s, not more than the
  // burst), the next byte at the same instant does not.
  DeclaredRateMeter m(8'000'000, 0.0, 1s, 1 << 30);
  EXPECT_EQ(m.burst(), 1s);
  EXPECT_TRUE(m.conforms(at(0s), 500'000));
  EXPECT_TRUE(m.conforms(at(0s), 500'000));
  EXPECT_FALSE(m.conforms(at(0s), 1000));
  // A push that does not conform takes no tokens: 1 ms later 1000 bytes fit.
  EXPECT_FALSE(m.conforms(at(0s), 1000));
  EXPECT_TRUE(m.conforms(at(1ms), 1000));
  EXPECT_FALSE(m.conforms(at(1ms), 1000));
  // Idle time refills the bucket, but only up to the burst.
  EXPECT_TRUE(m.conforms(at(100s), 1'000'000));
  EXPECT_FALSE(m.conforms(at(100s), 1000));
}

TEST(DeclaredRateMeterTest, TheMarginRaisesTheRate) {
  // 1 MB/s + 10%: 1.1 MB per second conforms for ever; 1.2 MB does not.
  DeclaredRateMeter ok(8'000'000, 0.10, 1s, 1 << 30);
  DeclaredRateMeter over(8'000'000, 0.10, 1s, 1 << 30);
  int first_over = -1;
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(ok.conforms(at(i * 1ms), 1100)) << i;
    if (!over.conforms(at(i * 1ms), 1200) && first_over < 0) first_over = i;
  }
  // 100 bytes/ms of excess against a 1.1 MB burst: ~11 s.
  EXPECT_GE(first_over, 10'900);
  EXPECT_LE(first_over, 11'100);
}

TEST(DeclaredRateMeterTest, TheBurstIsAtMostTheRing) {
  // A 1-hour latency budget must not let a liar push an hour's worth at once.
  DeclaredRateMeter m(8'000'000, 0.0, 3600s, 2'000'000);
  EXPECT_EQ(m.burst(), 2s);
  EXPECT_TRUE(m.conforms(at(0s), 2'000'000));
  EXPECT_FALSE(m.conforms(at(0s), 188));
}

TEST(DeclaredRateMeterTest, HostileNumbersNeitherOverflowNorConform) {
  // The slowest rate and the largest push: the cost saturates, never wraps.
  DeclaredRateMeter slow(1, 0.0, Nanos::max(), UINT64_MAX);
  EXPECT_FALSE(slow.conforms(at(0s), UINT32_MAX));
  EXPECT_FALSE(slow.conforms(TimePoint::max(), UINT32_MAX));
  // The fastest rate: 10 Gbit/s with the largest margin.
  DeclaredRateMeter fast(10'000'000'000, 9.0, 1s, UINT64_MAX);
  EXPECT_TRUE(fast.conforms(at(0s), 1 << 30));
  // A NaN or negative margin reads as none (strictest), not as a free pass.
  DeclaredRateMeter nan(8'000'000, std::numeric_limits<double>::quiet_NaN(), 1s, 1 << 30);
  EXPECT_TRUE(nan.conforms(at(0s), 1'000'000));
  EXPECT_FALSE(nan.conforms(at(0s), 1000));
  DeclaredRateMeter negative(8'000'000, -0.9, 1s, 1 << 30);
  EXPECT_TRUE(negative.conforms(at(0s), 1'000'000));
  EXPECT_FALSE(negative.conforms(at(0s), 1000));
}

}  // namespace
}  // namespace discrec::recorder
