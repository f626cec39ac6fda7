// discrec's command line: CLI11 parses argv into one CommandLine, without
// a daemon or any I/O, so that every subcommand's flags, units and errors
// are tested on their own (tests/clients/cli/command_line_test.cc).
// Thread-compatible: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace discrec::cli {

// The exit codes, as `discrec --help` and discrec(1) document them.
enum ExitCode : int {
  kOk = 0,
  kFailed = 1,       // the daemon refused the request, or it failed
  kBadUsage = 2,     // unknown command or flag, malformed value, missing argument
  kUnreachable = 3,  // cannot reach the daemon, or it went away
  kBusy = 4,         // the drive is busy: try again
  kDenied = 5,       // permission denied (the caller's role)
  kInterrupted = 130,
};

struct CommandLine {
  // Global: before or after the command.
  std::string socket;  // empty: $DISCREC_SOCKET or /run/discrecd/discrecd.sock
  std::string target;  // HOST:PORT over TLS instead of the socket
  bool json = false;

  std::string command;    // "info", "record", ...
  std::string drive;      // DRIVE, or record's --drive; empty: every drive
  std::string recording;  // watch, stop
  // prepare
  uint32_t speed_kbps = 0;  // 0: the drive's fastest
  // format, finalize
  bool spare_areas = false;
  bool force = false;
  // record
  std::string source;
  std::string title;
  std::string id;
  int32_t priority = 0;
  uint64_t bitrate_bps = 8'000'000;
  std::optional<int64_t> latency_ms;
  std::optional<uint64_t> ring_bytes;
  std::optional<int64_t> duration_s;  // --duration: the disc must hold it
  bool detach = false;
  // finalize
  std::string label;
  bool no_close = false;
  bool eject = false;
  bool zero_fill_lost = false;
  // events
  std::string since;
};

struct ParsedCommandLine {
  CommandLine command;
  // Set: print `out` and `err` and exit with it (help, version, errors).
  std::optional<int> exit_code;
  std::string out;  // for standard output: help, version
  std::string err;  // for standard error: errors, and what a unit was understood as
};

ParsedCommandLine parse_command_line(int argc, const char* const* argv);

// What the parser accepts, for the checks that the bash completion, the man
// page and `discrec --help` name every command and flag.
struct CommandSpec {
  std::string name;                  // "" for the global options
  std::vector<std::string> flags;    // "--drive", "-h", ...
  std::vector<std::string> operands; // "SOURCE", "DRIVE", ...
};
std::vector<CommandSpec> command_specs();

}  // namespace discrec::cli
