// base/file_io: the state-directory lock and directory creation, on the OS
// the test runs on (also under wine: tests/windows).
#include "base/file_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "tests/support/process.h"

namespace discrec::file_io {
namespace {

TEST(FileIo, AnExclusiveLockKeepsASecondHolderOutUntilClosed) {
  test::TempDir dir;
  const std::string path = dir.file("lock");
  const int first = open_file(path, O_RDWR | O_CREAT, 0600);
  ASSERT_GE(first, 0) << std::strerror(errno);
  ASSERT_EQ(lock_exclusive(first), 0) << std::strerror(errno);
  // What the lock holder wrote stays readable by the one refused.
  ASSERT_TRUE(write_all_at(first, "42\n", 3, 0));

  const int second = open_file(path, O_RDWR, 0600);
  ASSERT_GE(second, 0) << std::strerror(errno);
  errno = 0;
  EXPECT_EQ(lock_exclusive(second), -1);
  EXPECT_EQ(errno, EWOULDBLOCK) << std::strerror(errno);
  char pid[8] = {};
  EXPECT_EQ(read_at(second, pid, sizeof pid, 0), 3);
  EXPECT_STREQ(pid, "42\n");

  ::close(first);
  EXPECT_EQ(lock_exclusive(second), 0) << "closing the holder must release the lock: " << std::strerror(errno);
  ::close(second);
}

TEST(FileIo, MakeDirectorySaysWhenItExists) {
  test::TempDir dir;
  const std::string path = dir.file("state");
  ASSERT_EQ(make_directory(path, 0750), 0) << std::strerror(errno);
  errno = 0;
  EXPECT_EQ(make_directory(path, 0750), -1);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_EQ(make_directory(dir.file("no/such/parent"), 0750), -1);
}

}  // namespace
}  // namespace discrec::file_io
