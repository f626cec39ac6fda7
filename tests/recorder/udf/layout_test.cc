#include "recorder/udf/layout.h"

#include <gtest/gtest.h>

namespace discrec::recorder::udf {
namespace {

TEST(UdfLayout, SequentialDvdPlusRReservesAnAlignedMetadataTrack) {
  auto l = plan_layout({MediaKind::kSequentialWriteOnce, 2'295'104, 16, 1000});
  ASSERT_TRUE(l.ok()) << l.error().to_string();
  EXPECT_EQ(l->data_start % 16, 0u);
  // Room for 1000 entries, their directory and the lost-extent descriptors.
  EXPECT_GT(l->metadata_blocks(), 1000u + 140u);
  EXPECT_LT(l->data_start, 4096u) << "a few MiB, not more";
  EXPECT_EQ(l->closing_sectors, 32u);  // 16 reserve VDS + anchor, in DVD ECC blocks
  EXPECT_EQ(l->data_limit % 16, 0u);
  EXPECT_LE(l->data_limit + l->closing_sectors, 2'295'104u);
}

TEST(UdfLayout, BdUsesClustersAndMoreFilesNeedMoreRoom) {
  auto small = plan_layout({MediaKind::kSequentialWriteOnce, 12'219'392, 32, 10});
  auto big = plan_layout({MediaKind::kSequentialWriteOnce, 12'219'392, 32, 5000});
  ASSERT_TRUE(small.ok());
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(small->data_start % 32, 0u);
  EXPECT_EQ(small->closing_sectors, 32u);
  EXPECT_GT(big->data_start, small->data_start + 5000);
}

TEST(UdfLayout, RandomAccessEndsTheClosingAreaAtTheLastUnit) {
  auto l = plan_layout({MediaKind::kRandomAccess, 12'219'392, 32, 100});
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->data_limit + l->closing_sectors, 12'219'392u);
  // A capacity that is not a whole number of units still leaves whole data units.
  auto odd = plan_layout({MediaKind::kRandomAccess, 12'219'392 + 7, 32, 100});
  EXPECT_EQ(odd->data_limit, l->data_limit);
}

TEST(UdfLayout, RejectsBadUnitsAndTinyDiscs) {
  EXPECT_EQ(plan_layout({MediaKind::kRandomAccess, 100000, 0, 10}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(plan_layout({MediaKind::kRandomAccess, 100000, 24, 10}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(plan_layout({MediaKind::kRandomAccess, 100000, 16, 0}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(plan_layout({MediaKind::kSequentialWriteOnce, 300, 16, 10}).error().code(),
            ErrorCode::kResourceExhausted);
}

TEST(UdfLayout, ProfilesPickKindAndUnit) {
  auto dvd_r = layout_request_for_profile(0x001B, 2'295'104);
  ASSERT_TRUE(dvd_r.ok());
  EXPECT_EQ(dvd_r->kind, MediaKind::kSequentialWriteOnce);
  EXPECT_EQ(dvd_r->write_unit_sectors, 16u);
  EXPECT_EQ(dvd_r->capacity_sectors, 2'295'104u);
  auto bd_r = layout_request_for_profile(0x0041, 12'219'392);
  EXPECT_EQ(bd_r->kind, MediaKind::kSequentialWriteOnce);
  EXPECT_EQ(bd_r->write_unit_sectors, 32u);
  EXPECT_EQ(layout_request_for_profile(0x0043, 1)->kind, MediaKind::kRandomAccess);
  EXPECT_EQ(layout_request_for_profile(0x0043, 1)->write_unit_sectors, 32u);
  EXPECT_EQ(layout_request_for_profile(0x0012, 1)->kind, MediaKind::kRandomAccess);
  EXPECT_EQ(layout_request_for_profile(0x001A, 1)->write_unit_sectors, 16u);
  auto cd = layout_request_for_profile(0x0009, 1);
  ASSERT_FALSE(cd.ok());
  EXPECT_EQ(cd.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(cd.error().message().find("CD-R"), std::string::npos);
}

}  // namespace
}  // namespace discrec::recorder::udf
