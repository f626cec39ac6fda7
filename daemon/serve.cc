#include "daemon/serve.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <thread>
#include <string>
#include <vector>

#include "base/file_io.h"
#include "daemon/config.h"
#include "daemon/drive_quirks_file.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/metrics_server.h"
#include "daemon/reload.h"
#include "daemon/server.h"
#include "daemon/service_host.h"
#include "recorder/ingest/ffmpeg_sources.h"
#include "recorder/session/recorder.h"

namespace discrec::daemon {
namespace {

// Below systemd's TimeoutStopSec (60 s) and Docker's stop timeout as the
// README advises it, so the daemon ends on its own terms.
constexpr std::chrono::seconds kStopBound{45};

struct ServeArgs {
  std::string config_file;
  std::string state_dir;
  std::string socket;
  std::vector<std::string> overrides;
};

Result<ServeArgs> parse_args(int argc, char** argv) {
  ServeArgs args;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> Result<std::string> {
      if (i + 1 >= argc) return Error(ErrorCode::kInvalidArgument, std::string(flag) + " needs a value");
      return std::string(argv[++i]);
    };
    if (a == "--config") {
      ASSIGN_OR_RETURN(args.config_file, value("--config"));
    } else if (a == "--state-dir") {
      ASSIGN_OR_RETURN(args.state_dir, value("--state-dir"));
    } else if (a == "--socket") {
      ASSIGN_OR_RETURN(args.socket, value("--socket"));
    } else if (a == "--set") {
      ASSIGN_OR_RETURN(std::string kv, value("--set"));
      args.overrides.push_back(kv);
    } else {
      return Error(ErrorCode::kInvalidArgument, "unknown option '" + a + "'");
    }
  }
  return args;
}

Result<Config> build_config(const ServeArgs& args) {
  Config config;
  if (!args.config_file.empty()) {
    ASSIGN_OR_RETURN(config, load_config(args.config_file));
  } else {
    config = default_config(args.state_dir.empty() ? kDefaultStateDirectory : args.state_dir);
  }
  if (!args.state_dir.empty() && !args.config_file.empty()) config.state_directory = args.state_dir;
  if (!args.socket.empty()) config.socket_path = args.socket;
  for (const auto& o : args.overrides) RETURN_IF_ERROR(apply_override(config, o));
  RETURN_IF_ERROR(validate_config(config));
  return config;
}

recorder::RecorderOptions recorder_options(const Config& c, std::shared_ptr<const device::QuirkTable> quirks) {
  recorder::RecorderOptions o;
  // Every drive the sessions open gets the table; its probe applies what
  // matches the drive.
  o.open_drive = [quirks = std::move(quirks)](const std::string& uri) -> Result<std::unique_ptr<device::Drive>> {
    ASSIGN_OR_RETURN(std::unique_ptr<device::Drive> drive, device::Drive::open(uri));
    drive->set_quirk_table(quirks);
    return drive;
  };
  o.state_directory = c.state_directory;
  o.admission_margin = c.admission_margin;
  o.max_recordings_per_drive = c.max_recordings_per_drive;
  o.default_ring_bytes = c.default_ring_bytes;
  o.ring_memory_bytes = c.ring_memory_bytes;
  o.default_latency_budget = c.default_latency_budget;
  o.zero_fill_lost_extents = c.zero_fill_lost_extents;
  o.stripe_bytes = static_cast<size_t>(c.stripe_bytes);
  o.stripe_wait_fraction = c.stripe_wait;
  o.writer_realtime_priority = c.writer_realtime_priority;
  o.finalize_after_restart = c.finalize_after_restart;
  o.disc_space_warnings.clear();
  for (uint32_t m : c.warn_minutes_left) o.disc_space_warnings.push_back(std::chrono::minutes(m));
  o.history_count = c.history_count;
  o.history_age = std::chrono::hours(c.history_age_hours);
  o.event_history.max_events = c.event_history_count;
  o.event_history.max_age = std::chrono::hours(c.event_history_age_hours);
  o.source_policy = c.sources;
  return o;
}

void add_drives(recorder::Recorder& recorder, const Config& config) {
  auto known = recorder.drive_ids();
  for (const auto& d : config.drives) {
    if (std::find(known.begin(), known.end(), d.id) != known.end()) continue;
    auto status = recorder.add_drive(d.spec());
    if (!status.ok())
      log_warning("drive " + d.id + " (" + d.uri + "): " + status.error().to_string() +
                  "; tried again every 5 s to 5 min, at SIGHUP and at 'discrec load " + d.id + "'");
    else
      log_info("drive " + d.id + ": " + d.uri);
  }
  auto pools = recorder.pool_ids();
  for (const auto& p : config.pools) {
    if (std::find(pools.begin(), pools.end(), p.id) != pools.end()) continue;
    // The configuration was validated: this fails only on a name a drive
    // already took at run time, which validation rules out.
    if (auto status = recorder.add_pool(p.spec()); !status.ok())
      log_warning("pool " + p.id + ": " + status.error().to_string());
    else
      log_info("pool " + p.id + ": drives " + [&] {
        std::string list;
        for (const auto& d : p.drives) list += (list.empty() ? "" : ", ") + d;
        return list;
      }());
  }
}

// Two daemons on one state directory would write the same journals and disc
// images. The lock lives as long as the process (the fd is never closed, and
// O_CLOEXEC keeps it from children); the kernel drops it however we exit.
// Returns false, having logged why, if another daemon holds it.
bool lock_state_directory(const std::string& dir) {
  if (file_io::make_directory(dir, 0750) != 0 && errno != EEXIST) {
    log_error("discrecd: cannot create the state directory " + dir + ": " + std::strerror(errno));
    return false;
  }
  const std::string path = dir + "/discrecd.lock";
  int fd = file_io::open_file(path, O_RDWR | O_CREAT | file_io::kNoFollow, 0600);
  if (fd < 0) {
    log_error("discrecd: cannot open " + path + ": " + std::strerror(errno));
    return false;
  }
  if (file_io::lock_exclusive(fd) != 0) {
    const int err = errno;
    char pid[32] = {};
    const int64_t n = file_io::read_at(fd, pid, sizeof pid - 1, 0);
    std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : std::string("unknown");
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    ::close(fd);
    if (err == EWOULDBLOCK) {
      log_error("discrecd: another discrecd uses the state directory " + dir + " (pid " + holder + ")");
    } else {
      log_error("discrecd: cannot lock " + path + ": " + std::strerror(err));
    }
    return false;
  }
  // The pid is only for the message above; the lock itself is what counts.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (file_io::truncate_file(fd, 0) != 0 || !file_io::write_all_at(fd, pid.data(), pid.size(), 0))
    log_warning("discrecd: cannot write the pid into " + path + ": " + std::strerror(errno));
  return true;  // fd deliberately left open: it holds the lock
}

}  // namespace

// journald with fields where it is wanted and there; a file in the state
// directory where wanted or where there is no stderr (a Windows service);
// stderr lines otherwise. After lock_state_directory (which creates the
// directory); `no_stderr` is asked before it, whose descriptor could
// otherwise take a closed stderr's number.
void choose_log_sink(const Config& config, bool no_stderr) {
  using Target = Config::LogTarget;
  const Target target = config.log_target;
  if (target == Target::kFile || (target == Target::kAuto && no_stderr)) {
    const std::string path = config.state_directory + "/discrecd.log";
    if (auto sink = file_log_sink(path)) {
      set_log_sink(std::move(sink));
    } else {
      log_warning("discrecd: cannot open the log file " + path + ": " + std::strerror(errno) + "; logging to stderr");
    }
    return;
  }
  const bool journal = target == Target::kJournal || (target == Target::kAuto && stderr_is_journal());
  if (!journal) return;
  if (auto sink = journal_log_sink()) {
    set_log_sink(std::move(sink));
  } else {
    log_warning("discrecd: [daemon] log = \"journal\", but this build has no journald support: logging to stderr");
  }
}

int run_serve(int argc, char** argv) {
  auto args = parse_args(argc, argv);
  if (!args.ok()) {
    log_error("discrecd serve: " + args.error().to_string());
    return 2;
  }
  auto config_result = build_config(*args);
  if (!config_result.ok()) {
    log_error("discrecd: bad configuration: " + config_result.error().to_string());
    return 2;
  }
  Config config = std::move(config_result).value();
  const bool no_stderr = stderr_is_missing();
  if (!lock_state_directory(config.state_directory)) return 1;
  choose_log_sink(config, no_stderr);
  auto quirks = load_drive_quirks(config.drive_quirks_file);
  if (!quirks.ok()) {
    log_error("discrecd: bad drive quirks: " + quirks.error().to_string());
    return 2;
  }
  if (!quirks->warning.empty()) log_warning("discrecd: " + quirks->warning);
  if (!quirks->path.empty())
    log_info("discrecd: drive quirks from " + quirks->path + ": " + std::to_string(quirks->table->entries().size()) +
             " entries");

  // Before any thread starts: stop/reload requests are taken synchronously
  // by the loop below, never in a signal handler.
  auto host = make_service_host();
  recorder::Recorder recorder(recorder_options(config, quirks->table), std::make_shared<recorder::ingest::FfmpegSources>());
  if (const recorder::RingPool* pool = recorder.ring_budget().pool()) {
    const std::string size = std::to_string(pool->capacity() >> 20) + " MiB";
    if (pool->locked()) {
      log_info("discrecd: ring memory: " + size + " reserved and locked in RAM");
    } else {
      log_warning("discrecd: ring memory: " + size + " reserved but not locked in RAM (no CAP_IPC_LOCK, or "
                  "LimitMEMLOCK below it): each ring is faulted in when its recording starts");
    }
  } else if (!recorder.ring_budget().pool_error().empty()) {
    log_warning("discrecd: ring memory: no pool (" + recorder.ring_budget().pool_error() +
                "): each ring is mapped when its recording starts");
  }
  if (!recorder.catalog_open_note().empty()) log_warning("discrecd: " + recorder.catalog_open_note());
  add_drives(recorder, config);

  ServiceContext context(recorder, config);
  // What is in effect: `config` as started, plus what reloads applied.
  Config running = config;
  auto server = Server::start(context);
  if (!server.ok()) {
    log_error("discrecd: " + server.error().to_string());
    return 1;
  }
  std::unique_ptr<MetricsServer> metrics;
  if (config.metrics) {
    MetricsServerOptions options;
    options.host = config.metrics->host;
    options.port = config.metrics->port;
    options.max_connections = config.metrics->max_connections;
    // Snapshots only: a scrape never waits for a drive (recorder/session/README.md).
    auto started = MetricsServer::start(options, [&recorder] {
      return render_metrics(recorder.list_drives(), recorder.list_disc_recordings(), MetricsContext{DISCREC_VERSION});
    });
    if (!started.ok()) {
      log_error("discrecd: " + started.error().to_string() + " (key 'metrics.listen' in " + config.source + ")");
      (*server)->shutdown();
      (*server)->wait();
      return 1;
    }
    metrics = std::move(started).value();
    const bool loopback = options.host.rfind("127.", 0) == 0 || options.host == "::1";
    const std::string where = options.host.find(':') != std::string::npos
                                  ? "[" + options.host + "]:" + std::to_string(metrics->port())
                                  : options.host + ":" + std::to_string(metrics->port());
    if (loopback)
      log_info("discrecd: Prometheus metrics on http://" + where + "/metrics");
    else
      log_warning("discrecd: Prometheus metrics on http://" + where +
                  "/metrics, beyond this machine (recording titles and drive names are in them, unauthenticated)");
  }
  std::string listeners = config.socket_path.empty() ? std::string() : "unix:" + config.socket_path;
  if (config.tcp) listeners += (listeners.empty() ? "" : " and ") + config.tcp->listen + " (TLS)";
  log_info("discrecd " DISCREC_VERSION " listening on " + listeners);
  // Every event goes to the log as well: clients see only what happens
  // while they watch; the journal of the service keeps the rest.
  std::thread event_logger([subscription = recorder.events().subscribe("", 4096)] {
    while (!subscription->closed()) {
      auto event = subscription->next(std::chrono::milliseconds(500));
      if (!event) continue;
      std::string line = std::string(recorder::event_kind_name(event->kind)) + " drive " + event->drive_id +
                         (event->recording_id.empty() ? "" : " recording " + event->recording_id) + ": " +
                         event->message;
      if (event->dropped) line += " (" + std::to_string(event->dropped) + " earlier event(s) not logged)";
      const bool bad = event->kind == recorder::EventKind::kDriveError ||
                       event->kind == recorder::EventKind::kLostExtent ||
                       event->kind == recorder::EventKind::kLoadShed ||
                       event->kind == recorder::EventKind::kDiscSpace;
      const LogFields fields{event->drive_id, event->recording_id, event->disc};
      bad ? log_warning(line, fields) : log_info(line, fields);
    }
  });
  host->ready();
  recorder.start_recovery();

  auto tick = std::chrono::milliseconds(1000);
  if (auto watchdog = host->watchdog_interval(); watchdog.count() > 0 && watchdog < tick)
    tick = std::chrono::duration_cast<std::chrono::milliseconds>(watchdog);
  std::string last_status;
  // The watchdog is fed only while the recorder's monitor goes round: a
  // session wedged behind a lock must end in a restart, not in silence.
  const Nanos wedged_after = std::max<Nanos>(std::chrono::seconds(10), 4 * Nanos(host->watchdog_interval()));
  bool wedged = false;
  for (;;) {
    ServiceControl control = host->wait_for_control(tick);
    const Nanos since = recorder.since_monitor_round();
    if (since < wedged_after) {
      host->watchdog();
      if (wedged) log_info("discrecd: the drive monitor goes round again");
      wedged = false;
    } else if (!wedged) {
      wedged = true;
      log_error("discrecd: the drive monitor has not gone round for " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(since).count()) +
                " s (a drive session is stuck); no longer feeding the watchdog");
    }
    std::string status = std::to_string(recorder.active_recordings()) + " active recording(s) on " +
                         std::to_string(recorder.drive_ids().size()) + " drive(s)";
    if (status != last_status) {
      host->status(status);
      last_status = status;
    }
    if (control == ServiceControl::kStop) {
      log_info("discrecd: stop requested: ending recordings cleanly");
      host->stopping();
      break;
    }
    if (control == ServiceControl::kReload) {
      host->reloading();
      auto reloaded = build_config(*args);
      if (!reloaded.ok()) {
        log_error("discrecd: reload refused, keeping the running configuration: " + reloaded.error().to_string());
      } else {
        // Nothing a reload applies disturbs a recording in progress: a
        // drive with an open disc keeps its settings (and says so).
        apply_reload(*reloaded, running, config, context, recorder);
      }
      // A reload is also how an operator says "the drive is there now".
      recorder.retry_failed_drives();
      host->ready();
    }
  }
  context.shutting_down = true;
  // Shutdown is bounded whatever a drive or a source does: past the bound
  // the process exits and the journal carries every disc over the restart.
  std::thread stopper;
  {
    auto stopped = std::make_shared<std::promise<void>>();
    auto done = stopped->get_future();
    stopper = std::thread([&recorder, stopped] {
      recorder.stop_all();
      stopped->set_value();
    });
    if (done.wait_for(kStopBound) != std::future_status::ready) {
      log_error("discrecd: recordings did not end within " + std::to_string(kStopBound.count()) +
                " s; exiting now (the journal keeps what was written)");
      std::_Exit(1);
    }
    stopper.join();
  }
  recorder.events().close_all();
  event_logger.join();
  // Scraped until the recordings have ended, so their last figures are seen.
  if (metrics) metrics->stop();
  (*server)->shutdown();
  (*server)->wait();
  log_info("discrecd: stopped");
  return 0;
}

}  // namespace discrec::daemon
