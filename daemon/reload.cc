#include "daemon/reload.h"

#include <algorithm>
#include <chrono>

#include "daemon/access.h"
#include "daemon/config_diff.h"
#include "daemon/log.h"

namespace discrec::daemon {
namespace {

template <typename C>
auto find_drive(C& config, const std::string& id) -> decltype(&config.drives.front()) {
  for (auto& d : config.drives)
    if (d.id == id) return &d;
  return nullptr;
}

// A live change: the running value is replaced and takes effect at once.
void apply_live(const ConfigChange& change, const Config& loaded, Config& running, ServiceContext& context,
                recorder::Recorder& recorder) {
  const std::string& k = change.key;
  if (k == "daemon.sim_directories") running.sim_directories = loaded.sim_directories;
  if (k == "limits.max_string_bytes") {
    running.max_string_bytes = loaded.max_string_bytes;
    context.max_string_bytes.store(loaded.max_string_bytes);
  }
  if (k == "limits.event_history_count" || k == "limits.event_history_age_hours") {
    running.event_history_count = loaded.event_history_count;
    running.event_history_age_hours = loaded.event_history_age_hours;
    recorder.events().set_history_limits(
        {running.event_history_count, std::chrono::hours(running.event_history_age_hours)});
  }
  if (k == "limits.max_watch_streams" || k == "limits.max_watch_streams_per_peer" || k == "limits.max_calls" ||
      k == "limits.max_calls_per_peer") {
    if (k == "limits.max_watch_streams") running.max_watch_streams = loaded.max_watch_streams;
    if (k == "limits.max_watch_streams_per_peer") running.max_watch_streams_per_peer = loaded.max_watch_streams_per_peer;
    if (k == "limits.max_calls") running.max_calls = loaded.max_calls;
    if (k == "limits.max_calls_per_peer") running.max_calls_per_peer = loaded.max_calls_per_peer;
    context.max_watch_streams.store(running.max_watch_streams);
    if (context.access != nullptr) context.access->set_call_limits(running);
  }
}

}  // namespace

void apply_reload(const Config& loaded, Config& running, const Config& started, ServiceContext& context,
                  recorder::Recorder& recorder) {
  int applied = 0, waiting = 0;
  std::vector<std::string> reconfigured;  // drives whose uri or write_kbps changed
  for (const auto& change : diff_config(running, loaded, started)) {
    const std::string what = change.key + ": " + (change.before.empty() ? "(none)" : change.before) + " -> " +
                             (change.after.empty() ? "(none)" : change.after);
    switch (change.kind) {
      case ConfigChange::Kind::kLive:
        apply_live(change, loaded, running, context, recorder);
        log_info("discrecd: reload: " + what + " (applied)");
        ++applied;
        break;
      case ConfigChange::Kind::kRestart:
        log_warning("discrecd: reload: " + what + " is NOT applied: " + change.why + "; restart discrecd to apply it");
        ++waiting;
        break;
      case ConfigChange::Kind::kDrive: {
        const std::string id = change.key.substr(7, change.key.find('.', 7) - 7);
        if (change.before.empty()) {
          const DriveConfig* d = find_drive(loaded, id);
          auto status = recorder.add_drive(d->spec());
          running.drives.push_back(*d);
          if (status.ok())
            log_info("discrecd: reload: drive " + id + " added: " + d->uri + " (applied)");
          else
            log_warning("discrecd: reload: drive " + id + " added (" + d->uri + ") but it does not open: " +
                        status.error().to_string() + "; it is retried");
          ++applied;
        } else if (change.after.empty()) {
          // Handlers may be using the drive's session and a recording may
          // run on it: it is taken out of service only by a restart.
          log_warning("discrecd: reload: drive " + id + " removed from the configuration is NOT removed: the "
                      "drive stays in service until discrecd restarts");
          ++waiting;
        } else if (std::find(reconfigured.begin(), reconfigured.end(), id) == reconfigured.end()) {
          reconfigured.push_back(id);
        }
        break;
      }
    }
  }
  for (const auto& id : reconfigured) {
    const DriveConfig* wanted = find_drive(loaded, id);
    DriveConfig* now = find_drive(running, id);
    const std::string what = "drive " + id + " (uri " + wanted->uri + ", write_kbps " +
                             std::to_string(wanted->write_kbps) + ", write_mode " +
                             std::string(recorder::write_mode_name(wanted->write_mode)) + ")";
    const std::string old_uri = now->uri;
    auto status = recorder.reconfigure_drive(wanted->spec());
    if (status.ok()) {
      *now = *wanted;
      log_info("discrecd: reload: " + what + " reopened with the new settings (applied; was uri " + old_uri + ")");
      ++applied;
    } else if (status.error().code() == ErrorCode::kFailedPrecondition ||
               status.error().code() == ErrorCode::kUnavailable) {
      log_warning("discrecd: reload: key drives." + id + ".uri/write_kbps changed but is NOT applied now: " +
                  status.error().message() + "; send SIGHUP again once the drive is idle, or restart");
      ++waiting;
    } else {
      *now = *wanted;
      log_warning("discrecd: reload: " + what + " applied, but the drive does not open: " +
                  status.error().to_string() + "; it is retried");
      ++applied;
    }
  }
  log_info("discrecd: configuration reloaded from " + loaded.source + ": " + std::to_string(applied) +
           " change(s) applied, " + std::to_string(waiting) + " not applied");
}

}  // namespace discrec::daemon
