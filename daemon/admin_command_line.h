// The local admin commands' (probe, forget-disc) command lines on CLI11:
// each has its own --help, and an unknown flag, a malformed value or a
// missing argument is an error naming it, exit 2 (as discrec's).
#pragma once

#include <CLI/CLI.hpp>

#include <optional>

namespace discrec::daemon {

inline constexpr const char* kAdminExitCodes =
    "Exit codes: 0 ok, 1 failed, 2 bad usage or configuration. See discrecd(8).";

// Parses argv (the words after the command) into `app`. nullopt: go on;
// otherwise exit with it (0 after --help, printed on standard output; 2 after
// an error, printed on standard error).
std::optional<int> parse_admin_command_line(CLI::App& app, int argc, char** argv);

}  // namespace discrec::daemon
