#include "clients/cli/command_line.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace discrec::cli {
namespace {

using ::testing::HasSubstr;

ParsedCommandLine parse(std::initializer_list<const char*> words) {
  std::vector<const char*> argv{"discrec"};
  argv.insert(argv.end(), words);
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

// A command line that parses: nothing printed, nothing to exit with.
CommandLine ok(std::initializer_list<const char*> words) {
  auto p = parse(words);
  EXPECT_FALSE(p.exit_code.has_value()) << p.err;
  EXPECT_EQ(p.out, "");
  return p.command;
}

// A usage error: exit 2, one message on stderr naming `what`.
void usage_error(std::initializer_list<const char*> words, const std::string& what) {
  auto p = parse(words);
  ASSERT_TRUE(p.exit_code.has_value()) << what;
  EXPECT_EQ(*p.exit_code, kBadUsage) << p.err;
  EXPECT_EQ(p.out, "");
  EXPECT_THAT(p.err, HasSubstr(what));
  EXPECT_EQ(p.err.rfind("discrec: ", 0), 0u) << p.err;
}

TEST(CommandLine, NoArgumentsPrintTheOverviewAndAreBadUsage) {
  auto p = parse({});
  EXPECT_EQ(p.exit_code, kBadUsage);
  EXPECT_THAT(p.out, HasSubstr("usage: discrec"));
}

TEST(CommandLine, HelpIsTheOverviewWithExitCodes) {
  for (auto* flag : {"--help", "-h"}) {
    auto p = parse({flag});
    EXPECT_EQ(p.exit_code, kOk);
    EXPECT_THAT(p.out, HasSubstr("Commands:"));
    EXPECT_THAT(p.out, HasSubstr("Exit codes: 0 ok, 1 refused or failed, 2 bad usage, 3 daemon unreachable"));
    EXPECT_THAT(p.out, HasSubstr("130 interrupted"));
  }
}

// The overview is written by hand: it must name every command and flag the parser knows.
TEST(CommandLine, TheOverviewNamesEveryCommandAndFlag) {
  const std::string overview = parse({"--help"}).out;
  for (const auto& spec : command_specs()) {
    if (!spec.name.empty()) {
      EXPECT_THAT(overview, HasSubstr(" " + spec.name + " ")) << spec.name;
    }
    for (const auto& flag : spec.flags) EXPECT_THAT(overview, HasSubstr(flag)) << spec.name << " " << flag;
    for (const auto& operand : spec.operands) EXPECT_THAT(overview, HasSubstr(operand)) << spec.name;
  }
}

TEST(CommandLine, EveryCommandHasItsOwnHelp) {
  for (const auto& spec : command_specs()) {
    if (spec.name.empty()) continue;
    std::vector<const char*> argv{"discrec", spec.name.c_str(), "--help"};
    auto p = parse_command_line(static_cast<int>(argv.size()), argv.data());
    EXPECT_EQ(p.exit_code, kOk) << spec.name;
    EXPECT_THAT(p.out, HasSubstr("Usage: discrec " + spec.name)) << p.out;
    for (const auto& flag : spec.flags) EXPECT_THAT(p.out, HasSubstr(flag)) << spec.name;
    EXPECT_THAT(p.out, HasSubstr("Exit codes:"));
  }
}

TEST(CommandLine, VersionIsTheProjectVersion) {
  auto p = parse({"--version"});
  EXPECT_EQ(p.exit_code, kOk);
  EXPECT_THAT(p.out, ::testing::MatchesRegex("discrec [0-9]+\\.[0-9]+\\.[0-9]+\n"));
}

TEST(CommandLine, GlobalOptionsGoBeforeOrAfterTheCommand) {
  auto before = ok({"--socket", "/tmp/s", "--json", "drives"});
  EXPECT_EQ(before.command, "drives");
  EXPECT_EQ(before.socket, "/tmp/s");
  EXPECT_TRUE(before.json);
  auto after = ok({"drives", "--json", "--socket", "/tmp/s"});
  EXPECT_EQ(after.socket, "/tmp/s");
  EXPECT_TRUE(after.json);
  auto target = ok({"info", "--target", "host:50051"});
  EXPECT_EQ(target.target, "host:50051");
  EXPECT_EQ(target.socket, "");
  EXPECT_FALSE(target.json);
  usage_error({"--socket", "/s", "--target", "h:1", "info"}, "--socket excludes --target");
  usage_error({"--socket"}, "--socket");
}

TEST(CommandLine, CommandsWithoutArguments) {
  EXPECT_EQ(ok({"info"}).command, "info");
  EXPECT_EQ(ok({"drives"}).command, "drives");
  usage_error({"info", "bd0"}, "unexpected argument 'bd0'\n(discrec info --help lists its flags)");
  usage_error({"drives", "--bogus"}, "unknown option '--bogus'\n(discrec drives --help lists its flags)");
}

TEST(CommandLine, CommandsOnADrive) {
  for (const char* name : {"drive", "load", "eject", "verify"}) {
    auto c = ok({name, "bd0"});
    EXPECT_EQ(c.command, name);
    EXPECT_EQ(c.drive, "bd0");
    usage_error({name}, "DRIVE is required");
    usage_error({name, "bd0", "bd1"}, "unexpected argument 'bd1'");
    usage_error({name, "bd0", "--speed", "4"}, "unknown option '--speed'");
  }
  EXPECT_EQ(ok({"drive", "drives/bd0"}).drive, "drives/bd0");
}

TEST(CommandLine, Prepare) {
  auto c = ok({"prepare", "bd0"});
  EXPECT_EQ(c.drive, "bd0");
  EXPECT_EQ(c.speed_kbps, 0u);
  EXPECT_EQ(ok({"prepare", "bd0", "--speed", "17982"}).speed_kbps, 17982u);
  EXPECT_EQ(ok({"prepare", "--speed", "4496", "bd0"}).speed_kbps, 4496u);
  usage_error({"prepare", "bd0", "--speed", "fast"}, "--speed: 'fast' is not a speed in kB/s");
  usage_error({"prepare", "bd0", "--speed", "-1"}, "--speed");
  usage_error({"prepare", "bd0", "--speed", "4294967296"}, "--speed");
  usage_error({"prepare", "bd0", "--speed"}, "--speed");
  usage_error({"prepare", "--speed", "4"}, "DRIVE is required");
}

TEST(CommandLine, Format) {
  auto plain = ok({"format", "bd0"});
  EXPECT_FALSE(plain.spare_areas);
  EXPECT_FALSE(plain.force);
  auto both = ok({"format", "bd0", "--spare-areas", "--force"});
  EXPECT_TRUE(both.spare_areas);
  EXPECT_TRUE(both.force);
  usage_error({"format", "bd0", "--spares"}, "unknown option '--spares'");
  usage_error({"format"}, "DRIVE is required");
}

TEST(CommandLine, RecordDefaults) {
  auto c = ok({"record", "udp://239.0.0.1:1234", "--drive", "bd0"});
  EXPECT_EQ(c.command, "record");
  EXPECT_EQ(c.source, "udp://239.0.0.1:1234");
  EXPECT_EQ(c.drive, "bd0");
  EXPECT_EQ(c.bitrate_bps, 8'000'000u);
  EXPECT_EQ(c.priority, 0);
  EXPECT_FALSE(c.latency_ms.has_value());
  EXPECT_FALSE(c.ring_bytes.has_value());
  EXPECT_FALSE(c.detach);
  EXPECT_EQ(c.title, "");
  EXPECT_EQ(c.id, "");
}

TEST(CommandLine, RecordEveryFlag) {
  auto c = ok({"record", "--drive", "bd0", "-", "--title", "news at ten", "--priority", "-3", "--bitrate", "2000000",
               "--latency-ms", "500", "--ring-mib", "64", "--id", "rec7", "--detach"});
  EXPECT_EQ(c.source, "-");
  EXPECT_EQ(c.title, "news at ten");
  EXPECT_EQ(c.priority, -3);
  EXPECT_EQ(c.bitrate_bps, 2'000'000u);
  EXPECT_EQ(c.latency_ms, 500);
  EXPECT_EQ(c.ring_bytes, uint64_t{64} << 20);
  EXPECT_EQ(c.id, "rec7");
  EXPECT_TRUE(c.detach);
}

TEST(CommandLine, RecordUnitsAreEchoed) {
  auto p = parse({"record", "f.ts", "--drive", "bd0", "--bitrate", "8Mbit/s", "--ring", "1G"});
  ASSERT_FALSE(p.exit_code.has_value()) << p.err;
  EXPECT_EQ(p.command.bitrate_bps, 8'000'000u);
  EXPECT_EQ(p.command.ring_bytes, uint64_t{1} << 30);
  EXPECT_EQ(p.err, "bitrate: 8,000,000 bit/s (8 Mbit/s)\nring: 1,073,741,824 bytes (1 GiB)\n");

  auto plain = parse({"record", "f.ts", "--drive", "bd0", "--bitrate", "2000000", "--ring", "64"});
  EXPECT_EQ(plain.err, "") << "a plain number is not echoed";
  EXPECT_EQ(plain.command.ring_bytes, uint64_t{64} << 20);

  EXPECT_EQ(ok({"record", "f.ts", "--drive", "bd0", "--bitrate", "2.5M"}).bitrate_bps, 2'500'000u);
  EXPECT_EQ(ok({"record", "f.ts", "--drive", "bd0", "--ring", "64MB"}).ring_bytes, 64'000'000u);
}

TEST(CommandLine, RecordErrorsNameTheFlag) {
  usage_error({"record", "f.ts"}, "record needs --drive DRIVE or --pool POOL");
  usage_error({"record", "f.ts", "--drive", "bd0", "--pool", "archive"}, "excludes");
  usage_error({"record", "--drive", "bd0"}, "SOURCE is required");
  usage_error({"record", "f.ts", "--drive"}, "--drive");
  usage_error({"record", "f.ts", "--drive", "bd0", "--bitrate", "8 furlongs"}, "--bitrate: '8 furlongs' is not a bit rate");
  usage_error({"record", "f.ts", "--drive", "bd0", "--bitrate", "1MB/s"}, "--bitrate");
  usage_error({"record", "f.ts", "--drive", "bd0", "--ring", "64Mb"}, "--ring: '64Mb' is not a size");
  usage_error({"record", "f.ts", "--drive", "bd0", "--ring-mib", "lots"}, "is not a size");
  usage_error({"record", "f.ts", "--drive", "bd0", "--priority", "high"}, "--priority: 'high' is not a priority");
  usage_error({"record", "f.ts", "--drive", "bd0", "--latency-ms", "-1"}, "--latency-ms");
  usage_error({"record", "f.ts", "--drive", "bd0", "--latency-ms", "0.5"}, "--latency-ms");
  usage_error({"record", "f.ts", "--drive", "bd0", "--bitrat", "8M"}, "unknown option '--bitrat'");
  usage_error({"record", "f.ts", "g.ts", "--drive", "bd0"}, "unexpected argument 'g.ts'");
}

TEST(CommandLine, AFailedParseEchoesNoUnits) {
  auto p = parse({"record", "f.ts", "--drive", "bd0", "--bitrate", "8M", "--bogus"});
  EXPECT_EQ(p.exit_code, kBadUsage);
  EXPECT_THAT(p.err, ::testing::Not(HasSubstr("bitrate:")));
}

TEST(CommandLine, Recordings) {
  EXPECT_EQ(ok({"recordings"}).drive, "");
  EXPECT_EQ(ok({"recordings", "bd0"}).drive, "bd0");
  usage_error({"recordings", "bd0", "bd1"}, "unexpected argument 'bd1'");
}

TEST(CommandLine, WatchAndStop) {
  for (const char* name : {"watch", "stop"}) {
    auto c = ok({name, "bd0/rec001"});
    EXPECT_EQ(c.command, name);
    EXPECT_EQ(c.recording, "bd0/rec001");
    usage_error({name}, "RECORDING is required");
    usage_error({name, "bd0/rec001", "--now"}, "unknown option '--now'");
  }
}

TEST(CommandLine, Finalize) {
  auto plain = ok({"finalize", "bd0"});
  EXPECT_EQ(plain.drive, "bd0");
  EXPECT_EQ(plain.label, "");
  EXPECT_FALSE(plain.no_close || plain.eject || plain.zero_fill_lost || plain.force);
  auto all = ok({"finalize", "bd0", "--label", "DEMO", "--no-close", "--eject", "--zero-fill-lost", "--force"});
  EXPECT_EQ(all.label, "DEMO");
  EXPECT_TRUE(all.no_close && all.eject && all.zero_fill_lost && all.force);
  usage_error({"finalize", "bd0", "--label"}, "--label");
  usage_error({"finalize"}, "DRIVE is required");
  usage_error({"finalize", "bd0", "--close"}, "unknown option '--close'");
}

TEST(CommandLine, Events) {
  EXPECT_EQ(ok({"events"}).drive, "");
  auto c = ok({"events", "bd0", "--since", "10m"});
  EXPECT_EQ(c.drive, "bd0");
  EXPECT_EQ(c.since, "10m");
  for (const char* since : {"90s", "2h", "1d", "#42", "2026-12-04T17:00:00Z", "2026-12-04T17:00:00.5+01:00"})
    EXPECT_EQ(ok({"events", "--since", since}).since, since);
  for (const char* since : {"yesterday", "10", "#", "#x", "10w", "2026-12-04", "2026-12-04 17:00:00Z"})
    usage_error({"events", "--since", since}, std::string("--since: takes an age"));
}

TEST(CommandLine, UnknownCommandsAndGlobalFlags) {
  usage_error({"bogus"}, "unknown command 'bogus'\n(discrec --help lists the commands)");
  usage_error({"--bogus", "drives"}, "unknown option '--bogus'");
  usage_error({"--json"}, "no command given");
}

}  // namespace
}  // namespace discrec::cli
