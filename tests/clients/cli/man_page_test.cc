// clients/cli/discrec.1: written by hand, so checked against the parser
// (every command and flag named) and rendered by groff without a warning.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "clients/cli/command_line.h"

namespace discrec::cli {
namespace {

using ::testing::HasSubstr;

std::string page_path() {
  const char* source = std::getenv("DISCREC_SOURCE_DIR");
  return std::string(source ? source : ".") + "/clients/cli/discrec.1";
}

// The page's text with roff's escaped hyphens as plain ones.
std::string page_text() {
  std::ifstream in(page_path());
  std::stringstream roff;
  roff << in.rdbuf();
  std::string text = roff.str();
  for (size_t at; (at = text.find("\\-")) != std::string::npos;) text.replace(at, 2, "-");
  return text;
}

TEST(ManPage, NamesEveryCommandAndFlag) {
  const std::string page = page_text();
  ASSERT_THAT(page, HasSubstr(".TH DISCREC 1")) << page_path();
  for (const auto& spec : command_specs()) {
    // A command is the tag of its own paragraph: ".B info" or ".BI "drive " DRIVE".
    if (!spec.name.empty()) {
      EXPECT_THAT(page, ::testing::AnyOf(HasSubstr("\n.B " + spec.name + "\n"), HasSubstr("\n.BI \"" + spec.name + " ")))
          << spec.name;
    }
    for (const auto& flag : spec.flags) EXPECT_THAT(page, HasSubstr(flag)) << spec.name << " " << flag;
  }
}

TEST(ManPage, DocumentsEveryExitCode) {
  const std::string page = page_text();
  ASSERT_THAT(page, HasSubstr(".SH EXIT STATUS"));
  const std::string status = page.substr(page.find(".SH EXIT STATUS"));
  for (int code : {kOk, kFailed, kBadUsage, kUnreachable, kBusy, kDenied, kInterrupted})
    EXPECT_THAT(status, HasSubstr(".B " + std::to_string(code) + "\n")) << code;
}

TEST(ManPage, GroffRendersItWithoutWarnings) {
  if (std::system("command -v groff >/dev/null 2>&1") != 0) GTEST_SKIP() << "groff is not installed";
  FILE* pipe = ::popen(("groff -man -Tutf8 -ww -z '" + page_path() + "' 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string warnings;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) warnings.append(buf, n);
  EXPECT_EQ(::pclose(pipe), 0);
  EXPECT_EQ(warnings, "");
}

}  // namespace
}  // namespace discrec::cli
