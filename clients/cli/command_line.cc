#include "clients/cli/command_line.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <regex>

#include "clients/cli/units.h"

namespace discrec::cli {
namespace {

// The overview `discrec --help` prints: every command on one page, the way
// people look for one. Each command's own --help is CLI11's, from the App.
constexpr const char* kOverview = R"(usage: discrec [--socket PATH | --target HOST:PORT] [--json] COMMAND [ARGS]
       discrec COMMAND --help        discrec --version

Commands:
  info                              daemon version, uptime, drives
  drives                            list the configured drives
  drive DRIVE [--bitrate RATE]      capabilities of one drive (probe); a
                                    rewritable disc's recordings, free space
                                    and the time it holds at RATE (default 8M)
  prepare DRIVE [--speed KBPS]      pre-run OPC and set the write speed (kB/s)
  load DRIVE | eject DRIVE          close / open the tray
  format DRIVE [--spare-areas] [--force]
                                    format a rewritable disc (--force: even one
                                    that holds recordings; needs the admin role)
  record SOURCE (--drive DRIVE | --pool POOL) [--title T] [--priority N]
         [--bitrate RATE] [--duration D] [--latency-ms MS] [--ring SIZE]
         [--id ID] [--detach]
                                    start a recording and follow it until it ends
                                    (Ctrl-C stops the recording cleanly). SOURCE
                                    is a network URL the daemon connects to, or a
                                    file or - (standard input) that this client
                                    reads and sends to the daemon. On a pool it
                                    goes on disc after disc (POOL/ID names it).
                                    --duration (90m, 2h): refused at once if
                                    the disc holds less at RATE
  recordings [DRIVE]                list recordings
  watch RECORDING                   follow a recording's progress
  stop RECORDING                    stop a recording
  finalize DRIVE [--label L] [--no-close] [--eject] [--zero-fill-lost] [--force]
                                    write the UDF file system and close the disc
                                    (--zero-fill-lost: ranges write errors lost
                                    read as zeros in every reader, 7-Zip too)
  verify DRIVE                      read everything back and compare checksums
  delete RECORDING                  take a recording off a rewritable disc
                                    (bd0/ID, or bd0/FILE.ts in /DISCREC) and
                                    give its space back
  catalog [RECORDING_ID]            which part of which recording is on which
                                    disc (every recording's without an ID)
  events [DRIVE] [--since WHEN]     follow drive and recording events; --since
                                    first shows past ones the daemon kept: WHEN
                                    is an age (90s, 10m, 2h, 1d), a UTC time
                                    (2026-12-04T17:00:00Z) or #SEQ (events after
                                    number SEQ, the first column: to resume)

DRIVE is a configured drive name (bd0) or drives/bd0; RECORDING is
drives/bd0/recordings/ID or bd0/ID. RATE is in bit/s: 8000000, 8M, 8Mbit/s,
8000k, 2.5M (default 8M). SIZE is in bytes: 64M or 64MiB (binary, as dd),
64MB (decimal), 1G; a plain number is MiB (--ring-mib is --ring's old name).
A value with a unit is echoed on standard error as it was understood.

--socket, --target and --json go before or after the command. The socket
defaults to $DISCREC_SOCKET or /run/discrecd/discrecd.sock; --target (or
$DISCREC_TARGET, when neither option is given) is TLS, with a token from
$DISCREC_TOKEN. Ctrl-C ends watch, events, finalize and
verify at once (finalize and verify go on in the daemon).

Exit codes: 0 ok, 1 refused or failed, 2 bad usage, 3 daemon unreachable (or
gone), 4 drive busy (try again), 5 permission denied, 130 interrupted.
)";

constexpr const char* kSubcommandFooter =
    "Exit codes: 0 ok, 1 refused or failed, 2 bad usage, 3 daemon unreachable (or gone),\n"
    "4 drive busy (try again), 5 permission denied, 130 interrupted. See discrec(1).";

// --since's forms; main.cc turns them into the request.
std::string check_since(const std::string& text) {
  static const std::regex kForms(R"(#[0-9]{1,18}|[0-9]{1,9}[smhd]|)"
                                 R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2}))");
  if (std::regex_match(text, kForms)) return "";
  return "takes an age (90s, 10m, 2h, 1d), a UTC time (2026-12-04T17:00:00Z) or #SEQ, not '" + text + "'";
}

// A whole number in [min, max], else what `what` takes (CLI11 prefixes the flag).
CLI::Validator whole_number(std::string what, long long min, long long max) {
  return CLI::Validator(
      [what, min, max](std::string& text) -> std::string {
        static const std::regex kInteger("-?[0-9]{1,18}");
        if (std::regex_match(text, kInteger)) {
          long long n = std::stoll(text);
          if (n >= min && n <= max) return "";
        }
        return "'" + text + "' is not " + what + " (a whole number from " + std::to_string(min) + " to " +
               std::to_string(max) + ")";
      },
      "");
}

// The App writes into `c` and `err` while it parses.
std::unique_ptr<CLI::App> build_app(CommandLine& c, std::string& err) {
  auto app = std::make_unique<CLI::App>("discrec: the command-line client of discrecd", "discrec");
  // Global options also after the command: a subcommand passes on what it
  // does not know. Set before the subcommands, which inherit it.
  app->fallthrough();
  app->set_help_flag("-h,--help", "print this help");
  app->footer(kSubcommandFooter);
  auto* socket = app->add_option("--socket", c.socket, "discrecd's Unix socket")->type_name("PATH");
  app->add_option("--target", c.target, "HOST:PORT of a daemon over TLS (token: $DISCREC_TOKEN)")
      ->type_name("HOST:PORT")
      ->excludes(socket);
  app->add_flag("--json", c.json, "print the API's messages as JSON, one per line");
  app->add_flag("--version")->description("print discrec's version");

  auto command = [&](const char* name, const char* description) {
    CLI::App* sub = app->add_subcommand(name, description);
    sub->callback([&c, name] { c.command = name; });
    return sub;
  };
  auto drive_operand = [&](CLI::App* sub, bool required = true) {
    auto* o = sub->add_option("DRIVE", c.drive, "a configured drive: bd0 or drives/bd0");
    if (required) o->required();
  };
  auto recording_operand = [&](CLI::App* sub) {
    sub->add_option("RECORDING", c.recording, "bd0/ID or drives/bd0/recordings/ID")->required();
  };

  const CLI::Validator rate(
      [](std::string& text) {
        std::string error;
        return parse_bit_rate(text, &error) ? std::string() : error;
      },
      "");
  auto bitrate_option = [&](CLI::App* sub, const char* description) {
    sub->add_option_function<std::string>(
           "--bitrate",
           [&c, &err](const std::string& text) {
             std::string error;
             auto q = parse_bit_rate(text, &error);
             c.bitrate_bps = q->value;
             if (q->unit_given) err += "bitrate: " + describe_bit_rate(q->value) + "\n";
           },
           description)
        ->type_name("RATE")
        ->check(rate);
  };

  command("info", "daemon version, uptime, drives");
  command("drives", "list the configured drives");
  auto* drive = command("drive", "capabilities of one drive (probe)");
  drive_operand(drive);
  bitrate_option(drive, "the bit rate to tell a rewritable disc's recording time at (default 8M)");

  auto* prepare = command("prepare", "pre-run OPC and set the write speed");
  drive_operand(prepare);
  prepare->add_option("--speed", c.speed_kbps, "write speed in kB/s (default: the drive's fastest)")
      ->type_name("KBPS")
      ->check(whole_number("a speed in kB/s", 0, UINT32_MAX));

  drive_operand(command("load", "close the tray"));
  drive_operand(command("eject", "open the tray"));

  auto* format = command("format", "format a rewritable disc");
  drive_operand(format);
  format->add_flag("--spare-areas", c.spare_areas, "with spare areas (defect management; slower unless streaming)");
  format->add_flag("--force", c.force, "even a disc that holds recordings (the admin role)");

  auto* record = command("record", "start a recording and follow it until it ends (Ctrl-C stops it)");
  record->add_option("SOURCE", c.source, "a network URL the daemon connects to, or a file or - (standard input) "
                                         "this client sends")
      ->required();
  auto* on_drive = record->add_option("--drive", c.drive, "the drive to record on")->type_name("DRIVE");
  auto* on_pool = record->add_option("--pool", c.drive, "a pool of drives: the recording goes on disc after disc")
                      ->type_name("POOL");
  on_drive->excludes(on_pool);
  on_pool->excludes(on_drive);
  record->add_option("--title", c.title, "the recording's title")->type_name("T");
  record->add_option("--priority", c.priority, "0..100, higher is more important (above 50: the admin role)")
      ->type_name("N")
      ->check(whole_number("a priority", INT32_MIN, INT32_MAX));
  bitrate_option(record, "the source's bit rate (default 8M): 8000000, 8M, 8Mbit/s, 8000k");
  record
      ->add_option_function<std::string>(
          "--duration",
          [&c](const std::string& text) {
            const int64_t n = std::stoll(text.substr(0, text.size() - 1));
            const char unit = text.back();
            c.duration_s = unit == 's' ? n : unit == 'm' ? n * 60 : unit == 'h' ? n * 3600 : n * 86400;
          },
          "how long it runs (90s, 90m, 2h, 1d): refused at once if the disc holds less at its bit rate")
      ->type_name("D")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            static const std::regex kDuration("[0-9]{1,6}[smhd]");
            return std::regex_match(text, kDuration) ? "" : "'" + text + "' is not a duration (90s, 90m, 2h, 1d)";
          },
          ""));
  record
      ->add_option_function<int64_t>(
          "--latency-ms", [&c](int64_t ms) { c.latency_ms = ms; }, "how long a chunk may wait before its write deadline (default 2000)")
      ->type_name("MS")
      ->check(whole_number("a latency in milliseconds", 0, INT64_MAX / 1000000));
  const CLI::Validator size(
      [](std::string& text) {
        std::string error;
        return parse_size(text, 1 << 20, &error) ? std::string() : error;
      },
      "");
  record
      ->add_option_function<std::string>(
          "--ring,--ring-mib",
          [&c, &err](const std::string& text) {
            std::string error;
            auto q = parse_size(text, 1 << 20, &error);
            c.ring_bytes = q->value;
            if (q->unit_given) err += "ring: " + describe_size(q->value) + "\n";
          },
          "the ring buffer: 64MiB, 64M (MiB), 64MB (decimal), 1G; a plain number is MiB")
      ->type_name("SIZE")
      ->check(size);
  record->add_option("--id", c.id, "the recording's ID (default: the daemon's next)")->type_name("ID");
  record->add_flag("--detach", c.detach, "print the recording's name and return (network sources only)");

  drive_operand(command("recordings", "list recordings"), /*required=*/false);
  recording_operand(command("watch", "follow a recording's progress"));
  recording_operand(command("stop", "stop a recording"));

  auto* finalize = command("finalize", "write the UDF file system and close the disc");
  drive_operand(finalize);
  finalize->add_option("--label", c.label, "the volume label")->type_name("L");
  finalize->add_flag("--no-close", c.no_close, "leave the disc open for more recordings");
  finalize->add_flag("--eject", c.eject, "open the tray when done");
  finalize->add_flag("--zero-fill-lost", c.zero_fill_lost,
                     "ranges write errors lost read as zeros in every reader, 7-Zip too");
  finalize->add_flag("--force", c.force, "even with recordings running: they are stopped first");

  drive_operand(command("verify", "read everything back and compare checksums"));
  recording_operand(command("delete", "take a recording off a rewritable disc and give its space back"));

  command("catalog", "which part of which recording is on which disc")
      ->add_option("RECORDING_ID", c.recording, "a recording as the catalog lists it (default: every recording)");

  auto* events = command("events", "follow drive and recording events");
  drive_operand(events, /*required=*/false);
  events->add_option("--since", c.since, "first the past events the daemon kept: 90s, 10m, 2h, 1d, "
                                         "2026-12-04T17:00:00Z or #SEQ")
      ->type_name("WHEN")
      ->check(CLI::Validator([](std::string& text) { return check_since(text); }, ""));

  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) sub->footer(kSubcommandFooter);
  return app;
}

}  // namespace

ParsedCommandLine parse_command_line(int argc, const char* const* argv) {
  ParsedCommandLine result;
  auto app = build_app(result.command, result.err);
  // The message, then where to look: the command's own --help once one was named.
  auto usage_error = [&](const std::string& message) {
    const auto chosen = app->get_subcommands();
    const std::string hint = chosen.empty() ? "discrec --help lists the commands"
                                            : "discrec " + chosen.front()->get_name() + " --help lists its flags";
    result.err = "discrec: " + message + "\n(" + hint + ")\n";
    result.exit_code = kBadUsage;
    return result;
  };
  if (argc <= 1) {
    result.out = kOverview;
    result.exit_code = kBadUsage;
    return result;
  }
  try {
    app->parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    // The overview for `discrec --help`, CLI11's page for one command.
    auto chosen = app->get_subcommands();
    result.out = chosen.empty() ? std::string(kOverview) : chosen.front()->help("discrec");
    result.exit_code = kOk;
    return result;
  } catch (const CLI::CallForAllHelp&) {
    result.out = kOverview;
    result.exit_code = kOk;
    return result;
  } catch (const CLI::ExtrasError& e) {
    const auto extra = app->remaining();
    if (extra.empty()) return usage_error(e.what());
    const std::string& word = extra.front();
    if (word.size() > 1 && word[0] == '-') return usage_error("unknown option '" + word + "'");
    if (app->get_subcommands().empty()) return usage_error("unknown command '" + word + "'");
    return usage_error("unexpected argument '" + word + "'");
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }
  if (app->get_option("--version")->count() > 0) {
    result.out = std::string("discrec ") + DISCREC_VERSION + "\n";
    result.exit_code = kOk;
    return result;
  }
  if (result.command.command.empty()) return usage_error("no command given");
  if (result.command.command == "record" && result.command.drive.empty())
    return usage_error("record needs --drive DRIVE or --pool POOL");
  return result;
}

std::vector<CommandSpec> command_specs() {
  CommandLine unused;
  std::string unused_err;
  auto app = build_app(unused, unused_err);
  auto describe = [](const CLI::App* app, std::string name) {
    CommandSpec spec{std::move(name), {}, {}};
    for (const CLI::Option* o : app->get_options()) {
      if (o->get_positional()) spec.operands.push_back(o->get_name());
      for (const auto& s : o->get_snames()) spec.flags.push_back("-" + s);
      for (const auto& l : o->get_lnames()) spec.flags.push_back("--" + l);
    }
    return spec;
  };
  std::vector<CommandSpec> specs{describe(app.get(), "")};
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; }))
    specs.push_back(describe(sub, sub->get_name()));
  return specs;
}

}  // namespace discrec::cli
