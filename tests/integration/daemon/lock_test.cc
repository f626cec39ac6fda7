// One daemon per state directory: a second `discrecd serve` on the same
// directory (another socket) is refused with the first one's pid and leaves
// it running; once the first has stopped, the directory is free again.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <string>

#include "tests/integration/daemon/daemon_fixture.h"

namespace discrec::test {
namespace {

CommandResult second_daemon(const Daemon& first, const std::string& socket) {
  return run_command({binary_path("daemon/discrecd"), "serve", "--state-dir", first.dir().path(), "--socket", socket},
                     std::chrono::seconds(30));
}

TEST(DaemonLockTest, SecondDaemonOnTheSameStateDirectoryIsRefused) {
  Daemon first;
  ASSERT_TRUE(first.started()) << first.log_text();
  const std::string pid = std::to_string(first.process().pid());

  TempDir other;
  auto second = second_daemon(first, other.file("second.sock"));
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_NE(second.output.find("another discrecd uses the state directory " + first.dir().path() + " (pid " + pid +
                               ")"),
            std::string::npos)
      << second.output;
  struct stat st {};
  EXPECT_NE(::stat(other.file("second.sock").c_str(), &st), 0) << "the refused daemon made its socket";

  // The lock file holds the pid, for people as for the message; nobody else reads it.
  ASSERT_EQ(::stat(first.dir().file("discrecd.lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(read_file(first.dir().file("discrecd.lock")), pid + "\n");

  // The first one still answers, on its own socket.
  auto drives = first.cli({"drives"});
  EXPECT_EQ(drives.exit_code, 0) << drives.output;
  EXPECT_NE(drives.output.find("bd0"), std::string::npos) << drives.output;
  EXPECT_TRUE(first.process().running());

  // Stopped (or killed: the kernel drops the lock with the process), the
  // directory may be used again.
  first.process().signal(SIGTERM);
  ASSERT_EQ(first.process().wait(std::chrono::seconds(60)), 0) << first.log_text();
  Process third({binary_path("daemon/discrecd"), "serve", "--state-dir", first.dir().path(), "--socket",
                 other.file("third.sock")},
                other.file("third.log"));
  EXPECT_TRUE(wait_for_file(other.file("third.sock"), std::chrono::seconds(30))) << read_file(other.file("third.log"));
  EXPECT_TRUE(third.running()) << read_file(other.file("third.log"));
  third.signal(SIGTERM);
  EXPECT_EQ(third.wait(std::chrono::seconds(60)), 0) << read_file(other.file("third.log"));
}

// A daemon started with no stderr (as a Windows service is) logs to
// discrecd.log in its state directory; its lock file, opened first, does not
// take the closed stderr's place in the log's stead.
TEST(DaemonLockTest, ADaemonWithoutStderrLogsToAFileInItsStateDirectory) {
  DaemonOptions options;
  options.launcher = {"sh", "-c", "exec \"$@\" 2>&-", "sh"};
  Daemon d(options);
  ASSERT_TRUE(d.started()) << read_file(d.dir().file("discrecd.log"));
  EXPECT_EQ(d.cli({"eject", "bd0"}).exit_code, 0);
  d.process().signal(SIGTERM);
  ASSERT_EQ(d.process().wait(std::chrono::seconds(60)), 0);
  const std::string log = read_file(d.dir().file("discrecd.log"));
  EXPECT_NE(log.find("listening on unix:"), std::string::npos) << log;
  EXPECT_NE(log.find("discrecd: stopped"), std::string::npos) << log;
  EXPECT_EQ(read_file(d.dir().file("discrecd.lock")), std::to_string(d.process().pid()) + "\n");
}

}  // namespace
}  // namespace discrec::test
