#include "recorder/core/admission.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace discrec::recorder
