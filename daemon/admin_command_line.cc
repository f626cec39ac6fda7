#include "daemon/admin_command_line.h"

#include <cstdio>
#include <string>
#include <vector>

namespace discrec::daemon {

std::optional<int> parse_admin_command_line(CLI::App& app, int argc, char** argv) {
  std::vector<std::string> words(argv, argv + argc);
  std::vector<std::string> reversed(words.rbegin(), words.rend());  // CLI11 takes them last first
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    const auto extra = app.remaining();
    if (dynamic_cast<const CLI::ExtrasError*>(&e) && !extra.empty()) {
      const std::string& word = extra.front();
      message = (word.size() > 1 && word[0] == '-' ? "unknown option '" : "unexpected argument '") + word + "'";
    }
    std::fprintf(stderr, "%s: %s\n(%s --help lists its flags)\n", app.get_name().c_str(), message.c_str(),
                 app.get_name().c_str());
    return 2;
  }
  return std::nullopt;
}

}  // namespace discrec::daemon
