#include "daemon/names.h"

#include <gtest/gtest.h>

#include "daemon/status.h"

namespace discrec::daemon {
namespace {

TEST(NamesTest, ParsesDriveAndRecordingNames) {
  auto d = parse_drive_name("drives/bd0");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, "bd0");
  auto r = parse_recording_name("drives/bd-0/recordings/cam_1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->drive_id, "bd-0");
  EXPECT_EQ(r->recording_id, "cam_1");
  EXPECT_EQ(recording_name("a", "b"), "drives/a/recordings/b");
  auto wildcard = parse_drive_name("drives/-", true);
  ASSERT_TRUE(wildcard.ok());
  EXPECT_EQ(*wildcard, "");
  EXPECT_FALSE(parse_drive_name("drives/-").ok());
}

TEST(NamesTest, RefusesPathsAndJunk) {
  for (const char* bad : {"", "bd0", "/dev/sr0", "drives/", "drives/../x", "drives//dev/sg0", "drives/a/b",
                          "drives/a b", "drives/\x01", "Drives/bd0"}) {
    auto d = parse_drive_name(bad);
    EXPECT_FALSE(d.ok()) << bad;
    if (!d.ok()) EXPECT_EQ(d.error().code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(parse_drive_name("drives/" + std::string(64, 'a')).ok());
  EXPECT_TRUE(parse_drive_name("drives/" + std::string(63, 'a')).ok());
  for (const char* bad : {"drives/bd0/recordings/", "drives/bd0/recordings/../../x", "drives/bd0/rec/x",
                          "drives/../recordings/x"})
    EXPECT_FALSE(parse_recording_name(bad).ok()) << bad;
  // A huge name is refused with a short message.
  auto huge = parse_drive_name(std::string(1 << 20, 'x'));
  ASSERT_FALSE(huge.ok());
  EXPECT_LT(huge.error().message().size(), 200u);
}

TEST(StatusTest, ErrorsMapToTheDocumentedCodes) {
  EXPECT_EQ(to_grpc_status(Error(ErrorCode::kNotFound, "x")).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(to_grpc_status(Error(ErrorCode::kResourceExhausted, "x")).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(to_grpc_status(Error(ErrorCode::kFailedPrecondition, "x")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(to_grpc_status(Error(ErrorCode::kInvalidArgument, "x")).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto scsi = to_grpc_status(Error::scsi("WRITE(12)", {3, 0x0C, 0}, "write error"));
  EXPECT_EQ(scsi.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(scsi.error_message().find("WRITE(12)"), std::string::npos);
  EXPECT_NE(scsi.error_message().find("3/0C/00"), std::string::npos);
  EXPECT_TRUE(to_grpc_status(Status()).ok());
}

}  // namespace
}  // namespace discrec::daemon
