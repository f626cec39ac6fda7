#include "recorder/core/admission.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "recorder/core/recording.h"

namespace discrec::recorder {
namespace {

TEST(AdmissionControlTest, AdmitsWhileTheSumWithMarginFits) {
  // 4x DVD: 5,540,000 B/s = 44.32 Mbit/s.
  AdmissionControl a(5'540'000, 0.10);
  EXPECT_EQ(a.capacity_bps(), 44'320'000u);
  ASSERT_TRUE(a.admit(20'000'000).ok());  // 22 with margin
  ASSERT_TRUE(a.admit(20'000'000).ok());  // 44 with margin <= 44.32
  EXPECT_EQ(a.admitted_bps(), 40'000'000u);
  Status refused = a.admit(1'000'000);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(a.admitted_bps(), 40'000'000u);  // a refusal books nothing
  a.release(20'000'000);
  EXPECT_TRUE(a.admit(1'000'000).ok());
}

TEST(AdmissionControlTest, RefusalNamesTheNumbers) {
  AdmissionControl a(5'540'000, 0.10);
  ASSERT_TRUE(a.admit(30'000'000).ok());
  Status refused = a.admit(12'000'000);
  ASSERT_FALSE(refused.ok());
  const std::string& m = refused.error().message();
  EXPECT_NE(m.find("requested 12.00 Mbit/s"), std::string::npos) << m;
  EXPECT_NE(m.find("13.20 Mbit/s with 10% margin"), std::string::npos) << m;
  EXPECT_NE(m.find("already admitted 30.00 Mbit/s"), std::string::npos) << m;
  EXPECT_NE(m.find("guarantees 44.32 Mbit/s"), std::string::npos) << m;
  EXPECT_NE(m.find("available 11.32 Mbit/s"), std::string::npos) << m;
}

TEST(AdmissionControlTest, ZeroBitrateIsInvalid) {
  AdmissionControl a(5'540'000, 0.10);
  Status s = a.admit(0);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
}

// The review's case: 2^64 - 350e6 bit/s after 350 Mbit/s wrapped the sum to
// 0 and was admitted on a 431.6 Mbit/s drive. It is refused as malformed,
// naming the number, and books nothing.
TEST(AdmissionControlTest, ABitrateThatWouldWrapTheSumIsRefused) {
  AdmissionControl a(53'950'000, 0.10);  // 431.6 Mbit/s
  ASSERT_TRUE(a.admit(350'000'000).ok());
  const uint64_t hostile = UINT64_MAX - 350'000'000 + 1;  // 2^64 - 350e6
  Status s = a.admit(hostile);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message().find(std::to_string(hostile)), std::string::npos) << s.error().message();
  EXPECT_NE(s.error().message().find("10000000000"), std::string::npos) << "names the maximum";
  EXPECT_EQ(a.admitted_bps(), 350'000'000u);
  Status max = a.admit(UINT64_MAX);
  ASSERT_FALSE(max.ok());
  EXPECT_EQ(max.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(a.admitted_bps(), 350'000'000u);
}

TEST(AdmissionControlTest, TheMaximumBitrateIsTenGigabits) {
  // A drive fast enough that only the maximum refuses.
  AdmissionControl a(UINT64_MAX / 8, 0.10);
  EXPECT_TRUE(check_declared_bitrate(kMaxBitrateBps).ok());
  EXPECT_EQ(check_declared_bitrate(kMaxBitrateBps + 1).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(a.admit(kMaxBitrateBps).ok());
  Status over = a.admit(kMaxBitrateBps + 1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(a.admitted_bps(), kMaxBitrateBps);
}

// Recordings each under the maximum on an absurdly fast drive: the sum is
// exact. (It cannot come near 2^64 any more: that takes 1.8e9 recordings
// at the maximum. The checked add is there so that admission does not
// depend on that.)
TEST(AdmissionControlTest, SumsOfMaximalBitratesAreExact) {
  AdmissionControl a(UINT64_MAX, 0.0);  // bytes/s: saturates, not wraps, in bits
  EXPECT_EQ(a.capacity_bps(), UINT64_MAX);
  uint64_t admitted = 0;
  int refused = 0;
  for (int i = 0; i < 100; ++i) {
    Status s = a.admit(kMaxBitrateBps);
    if (s.ok()) {
      admitted += kMaxBitrateBps;
    } else {
      ++refused;
    }
    ASSERT_EQ(a.admitted_bps(), admitted);
  }
  EXPECT_EQ(refused, 0);
  EXPECT_EQ(a.admitted_bps(), 100 * kMaxBitrateBps);
}

TEST(AdmissionControlTest, TheCapacityInBitsSaturatesInsteadOfWrapping) {
  // 2^61 bytes/s x 8 = 2^64 would wrap to 0 (refusing everything); 2^61 + 1
  // would wrap to 8 bit/s. Both saturate.
  AdmissionControl zero(uint64_t{1} << 61, 0.10);
  EXPECT_EQ(zero.capacity_bps(), UINT64_MAX);
  AdmissionControl eight((uint64_t{1} << 61) + 1, 0.10);
  EXPECT_EQ(eight.capacity_bps(), UINT64_MAX);
  EXPECT_TRUE(eight.admit(kMaxBitrateBps).ok());
  AdmissionControl none(0, 0.10);
  EXPECT_EQ(none.admit(1).error().code(), ErrorCode::kResourceExhausted);
}

TEST(AdmissionControlTest, MarginEdges) {
  // No margin: exactly the capacity fits, one bit more does not.
  AdmissionControl exact(1'000'000, 0.0);  // 8 Mbit/s
  EXPECT_TRUE(exact.admit(8'000'000).ok());
  EXPECT_EQ(exact.admit(1).error().code(), ErrorCode::kResourceExhausted);
  // The largest margin: 10x.
  AdmissionControl ten(1'000'000, kMaxAdmissionMargin);
  EXPECT_TRUE(ten.admit(800'000).ok());
  EXPECT_EQ(ten.admit(1).error().code(), ErrorCode::kResourceExhausted);
  // A negative margin would over-admit, NaN and infinities mean nothing:
  // all refuse, as a precondition (the configuration), not as capacity.
  for (double bad : {-0.5, -1.0, -2.0, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                     kMaxAdmissionMargin * 1.01, 1e300}) {
    AdmissionControl a(1'000'000, bad);
    Status s = a.admit(1'000);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code(), ErrorCode::kFailedPrecondition) << bad;
    EXPECT_EQ(a.admitted_bps(), 0u);
  }
}

TEST(AdmissionControlTest, ReleaseNeverUnderflows) {
  AdmissionControl a(5'540'000, 0.10);
  ASSERT_TRUE(a.admit(10'000'000).ok());
  a.release(UINT64_MAX);
  EXPECT_EQ(a.admitted_bps(), 0u);
  EXPECT_TRUE(a.admit(40'000'000).ok());
}

TEST(PriorityTest, TheRangeIsClosedAndTheCeilingIsTheCallers) {
  EXPECT_TRUE(check_priority(kMinPriority).ok());
  EXPECT_TRUE(check_priority(kMaxPriority).ok());
  for (int32_t bad : {kMinPriority - 1, kMaxPriority + 1, INT32_MAX, INT32_MIN, -1}) {
    Status s = check_priority(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(s.error().message().find("0..100"), std::string::npos) << s.error().message();
  }
  // A role's ceiling (the daemon's policy) lowers the top, never raises it.
  EXPECT_TRUE(check_priority(50, 50).ok());
  EXPECT_EQ(check_priority(51, 50).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(check_priority(51, 50).error().message().find("0..50"), std::string::npos);
  EXPECT_EQ(check_priority(kMaxPriority + 1, INT32_MAX).error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace discrec::recorder
