// The daemon's log file sink ([daemon] log = "file", and a Windows service's
// default): time-stamped lines, appended across restarts, rotated at its size.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "daemon/log.h"
#include "tests/support/process.h"

namespace discrec::daemon {
namespace {

TEST(FileLogSink, AppendsTimeStampedLinesWithTheirPriority) {
  test::TempDir dir;
  const std::string path = dir.file("discrecd.log");
  {
    auto sink = file_log_sink(path);
    ASSERT_TRUE(sink);
    sink->write(LogLevel::kInfo, "discrecd: started", {});
    sink->write(LogLevel::kError, "drive bd0: gone", {"bd0", "", ""});
  }
  // A restart appends.
  file_log_sink(path)->write(LogLevel::kWarning, "again", {});
  const std::string text = test::read_file(path);
  EXPECT_TRUE(std::regex_match(text, std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ <6>discrecd: started\n"
                                                "\\S+ <3>drive bd0: gone\n"
                                                "\\S+ <4>again\n")))
      << text;
}

TEST(FileLogSink, RotatesAtItsSizeKeepingOneOlderFile) {
  test::TempDir dir;
  const std::string path = dir.file("discrecd.log");
  auto sink = file_log_sink(path, /*max_bytes=*/200);
  ASSERT_TRUE(sink);
  for (int i = 0; i < 20; ++i) sink->write(LogLevel::kInfo, "line " + std::to_string(i), {});
  const std::string current = test::read_file(path);
  const std::string older = test::read_file(path + ".1");
  EXPECT_LE(current.size(), 200u);
  EXPECT_LE(older.size(), 200u);
  EXPECT_NE(current.find("line 19\n"), std::string::npos) << current;
  EXPECT_NE(older.find("line "), std::string::npos) << older;
  // Nothing is lost within the two files' span: the last lines are consecutive.
  const std::string both = older + current;
  EXPECT_NE(both.find("line 18\n"), std::string::npos);
}

TEST(FileLogSink, AnUnwritablePathGivesNoSink) {
  test::TempDir dir;
  EXPECT_FALSE(file_log_sink(dir.file("no/such/dir/discrecd.log")));
}

}  // namespace
}  // namespace discrec::daemon
