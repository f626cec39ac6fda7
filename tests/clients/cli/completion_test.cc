// clients/cli/discrec.bash-completion, sourced by bash and asked as bash
// asks it: every command and every command's flags complete, checked
// against what the parser accepts (command_specs()).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "clients/cli/command_line.h"

namespace discrec::cli {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;

std::string script() {
  const char* source = std::getenv("DISCREC_SOURCE_DIR");
  return std::string(source ? source : ".") + "/clients/cli/discrec.bash-completion";
}

// What bash offers for `words` (the last one is being typed).
std::vector<std::string> complete(const std::vector<std::string>& words) {
  std::string command =
      "bash --norc --noprofile -c 'source \"$1\" || exit 1; shift; COMP_WORDS=(\"$@\"); "
      "COMP_CWORD=$(($# - 1)); COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE}; "
      "_discrec discrec \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD - 1]}\"; "
      "printf \"%s\\n\" \"${COMPREPLY[@]}\"' bash '" + script() + "'";
  for (const auto& w : words) command += " '" + w + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return {"popen failed"};
  std::string text;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) text.append(buf, n);
  EXPECT_EQ(::pclose(pipe), 0) << command;
  std::vector<std::string> offers;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) offers.push_back(line);
  return offers;
}

TEST(Completion, CompletesACommandFromItsStart) {
  EXPECT_EQ(complete({"discrec", "fin"}), std::vector<std::string>{"finalize"});
  EXPECT_EQ(complete({"discrec", "--json", "rec"}), (std::vector<std::string>{"record", "recordings"}));
  EXPECT_EQ(complete({"discrec", "--socket", "/tmp/s", "ver"}), std::vector<std::string>{"verify"});
}

TEST(Completion, CompletesAFlagOfTheCommand) {
  EXPECT_EQ(complete({"discrec", "record", "f.ts", "--bit"}), std::vector<std::string>{"--bitrate"});
  EXPECT_EQ(complete({"discrec", "finalize", "bd0", "--zero"}), std::vector<std::string>{"--zero-fill-lost"});
  EXPECT_THAT(complete({"discrec", "drives", "--bit"}), IsEmpty()) << "record's flags are record's";
  EXPECT_THAT(complete({"discrec", "--ver"}), Contains("--version"));
}

TEST(Completion, OffersUnitsForRates) {
  EXPECT_THAT(complete({"discrec", "record", "f.ts", "--bitrate", "8"}), Contains("8M"));
  EXPECT_THAT(complete({"discrec", "record", "f.ts", "--ring", "64"}), Contains("64MiB"));
}

TEST(Completion, KnowsEveryCommandAndFlagTheParserKnows) {
  for (const auto& spec : command_specs()) {
    if (spec.name.empty()) {
      auto offers = complete({"discrec", "--"});
      for (const auto& flag : spec.flags)
        if (flag.rfind("--", 0) == 0) {
          EXPECT_THAT(offers, Contains(flag)) << "global " << flag;
        }
      continue;
    }
    EXPECT_THAT(complete({"discrec", spec.name.substr(0, 2)}), Contains(spec.name));
    auto offers = complete({"discrec", spec.name, "--"});
    for (const auto& flag : spec.flags)
      if (flag.rfind("--", 0) == 0) {
        EXPECT_THAT(offers, Contains(flag)) << spec.name << " " << flag;
      }
  }
}

}  // namespace
}  // namespace discrec::cli
