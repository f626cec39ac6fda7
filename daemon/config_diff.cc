#include "daemon/config_diff.h"

#include <cstdio>
#include <type_traits>

namespace discrec::daemon {
namespace {

std::string text(const std::string& v) { return "\"" + v + "\""; }
std::string text(bool v) { return v ? "true" : "false"; }
std::string text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
template <typename T>
  requires std::is_integral_v<T>
std::string text(T v) {
  return std::to_string(v);
}
template <typename T>
  requires requires(const T& v) { text(v); }
std::string text(const std::vector<T>& list) {
  std::string out = "[";
  for (const auto& v : list) out += (out.size() > 1 ? ", " : "") + text(v);
  return out + "]";
}

class Differ {
 public:
  explicit Differ(std::vector<ConfigChange>& out) : out_(out) {}

  template <typename T>
  void restart(const std::string& key, const T& before, const T& after, const std::string& why) {
    if (before == after) return;
    if constexpr (requires { text(before); })
      out_.push_back({ConfigChange::Kind::kRestart, key, text(before), text(after), why});
    else
      out_.push_back({ConfigChange::Kind::kRestart, key, "(as before)", "(changed)", why});
  }
  template <typename T>
  void live(const std::string& key, const T& before, const T& after) {
    if (before == after) return;
    out_.push_back({ConfigChange::Kind::kLive, key, text(before), text(after), ""});
  }
  // A limit that can be lowered live but not raised past what was sized at start.
  void lower_live(const std::string& key, uint32_t started, uint32_t before, uint32_t after, const std::string& why) {
    if (before == after) return;
    if (after <= started)
      live(key, before, after);
    else
      out_.push_back({ConfigChange::Kind::kRestart, key, text(before), text(after),
                      why + " (" + text(started) + "); lower values apply at once"});
  }

 private:
  std::vector<ConfigChange>& out_;
};

}  // namespace

std::vector<ConfigChange> diff_config(const Config& a, const Config& b, const Config& started) {
  std::vector<ConfigChange> out;
  Differ d(out);
  const std::string socket = "the socket is made and bound at start";
  d.restart("daemon.socket", a.socket_path, b.socket_path, socket);
  d.restart("daemon.socket_mode", a.socket_mode, b.socket_mode, socket);
  d.restart("daemon.socket_mode_force", a.socket_mode_force, b.socket_mode_force, socket);
  d.restart("daemon.socket_group", a.socket_group, b.socket_group, socket);
  d.restart("daemon.state_directory", a.state_directory, b.state_directory,
            "the daemon's lock and the discs' journals live there");
  d.restart("daemon.log", static_cast<int>(a.log_target), static_cast<int>(b.log_target),
            "the log's destination is chosen at start");
  d.restart("daemon.drive_quirks", a.drive_quirks_file, b.drive_quirks_file,
            "the drive quirks table is read at start and given to every drive opened");
  // Only consulted when a config is validated, which this reload just did.
  d.live("daemon.sim_directories", a.sim_directories, b.sim_directories);
  const std::string metrics = "the metrics listener is set up at start";
  d.restart("metrics", text(a.metrics.has_value()), text(b.metrics.has_value()), metrics);
  if (a.metrics && b.metrics) {
    d.restart("metrics.listen", a.metrics->listen, b.metrics->listen, metrics);
    d.restart("metrics.max_connections", a.metrics->max_connections, b.metrics->max_connections, metrics);
  }
  auto pools_text = [](const Config& c) {
    std::string out;
    for (const auto& p : c.pools) {
      out += (out.empty() ? "" : "; ") + p.id + ": drives";
      for (const auto& d : p.drives) out += " " + d;
      out += ", prepare " + std::to_string(p.prepare_minutes) + " min" + (p.verify ? ", verify" : "");
    }
    return out;
  };
  d.restart("pools", pools_text(a), pools_text(b), "pools hold recordings across discs; they are set up at start");
  const std::string tcp = "the TCP listener, its TLS credentials and tokens are set up at start";
  if (a.tcp.has_value() != b.tcp.has_value()) {
    d.restart("daemon.tcp", text(a.tcp.has_value()), text(b.tcp.has_value()), tcp);
  } else if (a.tcp && b.tcp) {
    const TcpConfig &x = *a.tcp, &y = *b.tcp;
    d.restart("daemon.tcp.listen", x.listen, y.listen, tcp);
    d.restart("daemon.tcp.tls_cert_file", x.tls_cert_file, y.tls_cert_file, tcp);
    d.restart("daemon.tcp.tls_key_file", x.tls_key_file, y.tls_key_file, tcp);
    d.restart("daemon.tcp.client_ca_file", x.client_ca_file, y.client_ca_file, tcp);
    d.restart("daemon.tcp.token_file", x.token_file, y.token_file, tcp);
    d.restart("daemon.tcp.observe_token_file", x.observe_token_file, y.observe_token_file, tcp);
    d.restart("daemon.tcp.admin_token_file", x.admin_token_file, y.admin_token_file, tcp);
    d.restart("daemon.tcp.allow_readable_secrets", x.allow_readable_secrets, y.allow_readable_secrets, tcp);
  }

  const std::string sessions = "the drive sessions took it at start";
  d.restart("limits.max_recordings_per_drive", a.max_recordings_per_drive, b.max_recordings_per_drive, sessions);
  d.restart("limits.ring_size", a.default_ring_bytes, b.default_ring_bytes, sessions);
  d.restart("limits.ring_memory", a.ring_memory_bytes, b.ring_memory_bytes, "the ring budget is sized at start");
  d.restart("limits.admission_margin", a.admission_margin, b.admission_margin, sessions);
  d.restart("limits.latency_budget_ms", static_cast<int64_t>(a.default_latency_budget.count()),
            static_cast<int64_t>(b.default_latency_budget.count()), sessions);
  d.restart("limits.history_count", a.history_count, b.history_count, sessions);
  d.restart("limits.history_age_hours", a.history_age_hours, b.history_age_hours, sessions);
  d.live("limits.max_string_bytes", a.max_string_bytes, b.max_string_bytes);
  d.live("limits.event_history_count", a.event_history_count, b.event_history_count);
  d.live("limits.event_history_age_hours", a.event_history_age_hours, b.event_history_age_hours);
  const std::string pool = "gRPC's thread pool and per-connection streams were sized at start";
  d.lower_live("limits.max_watch_streams", started.max_watch_streams, a.max_watch_streams, b.max_watch_streams, pool);
  d.lower_live("limits.max_watch_streams_per_peer", started.max_watch_streams_per_peer, a.max_watch_streams_per_peer,
               b.max_watch_streams_per_peer, pool);
  d.lower_live("limits.max_calls", started.max_calls, a.max_calls, b.max_calls, pool);
  d.lower_live("limits.max_calls_per_peer", started.max_calls_per_peer, a.max_calls_per_peer, b.max_calls_per_peer,
               pool);
  const std::string connections = "the connection table is sized at start";
  d.restart("limits.max_connections", a.max_connections, b.max_connections, connections);
  d.restart("limits.max_connections_per_uid", a.max_connections_per_uid, b.max_connections_per_uid, connections);

  const std::string roles = "roles and groups are resolved when the socket is made";
  const AccessConfig &x = a.access, &y = b.access;
  d.restart("access.admin_uids", x.admin_uids, y.admin_uids, roles);
  d.restart("access.control_uids", x.control_uids, y.control_uids, roles);
  d.restart("access.observe_uids", x.observe_uids, y.observe_uids, roles);
  d.restart("access.admin_groups", x.admin_groups, y.admin_groups, roles);
  d.restart("access.control_groups", x.control_groups, y.control_groups, roles);
  d.restart("access.observe_groups", x.observe_groups, y.observe_groups, roles);
  d.restart("access.socket_group_role", std::string(role_name(x.socket_group_role)),
            std::string(role_name(y.socket_group_role)), roles);
  d.restart("access.others", std::string(role_name(x.others_role)), std::string(role_name(y.others_role)), roles);

  d.restart("disc.lost_extents", std::string(a.zero_fill_lost_extents ? "zero-filled" : "not-recorded"),
            std::string(b.zero_fill_lost_extents ? "zero-filled" : "not-recorded"), sessions);
  d.restart("disc.warn_minutes_left", a.warn_minutes_left, b.warn_minutes_left, sessions);

  const auto &p = a.sources, &q = b.sources;
  d.restart("sources.schemes", p.schemes, q.schemes, sessions);
  d.restart("sources.networks", p.networks, q.networks, sessions);
  d.restart("sources.hosts", p.hosts, q.hosts, sessions);
  d.restart("sources.ports", p.ports, q.ports, sessions);
  d.restart("sources.directories", p.directories, q.directories, sessions);
  d.restart("sources.listen", p.listen, q.listen, sessions);
  d.restart("sources.listen_addresses", p.listen_addresses, q.listen_addresses, sessions);
  d.restart("sources.url_options", p.url_options, q.url_options, sessions);
  d.restart("sources.min_reconnect_interval_ms", static_cast<int64_t>(p.min_reconnect_interval.count()),
            static_cast<int64_t>(q.min_reconnect_interval.count()), sessions);

  auto find = [](const Config& c, const std::string& id) -> const DriveConfig* {
    for (const auto& d : c.drives)
      if (d.id == id) return &d;
    return nullptr;
  };
  for (const auto& old : a.drives) {
    const DriveConfig* now = find(b, old.id);
    const std::string key = "drives." + old.id;
    if (!now) {
      out.push_back({ConfigChange::Kind::kDrive, key, text(old.uri), "", ""});
      continue;
    }
    if (now->uri != old.uri) out.push_back({ConfigChange::Kind::kDrive, key + ".uri", text(old.uri), text(now->uri), ""});
    if (now->write_kbps != old.write_kbps)
      out.push_back({ConfigChange::Kind::kDrive, key + ".write_kbps", text(old.write_kbps), text(now->write_kbps), ""});
    if (now->write_mode != old.write_mode)
      out.push_back({ConfigChange::Kind::kDrive, key + ".write_mode",
                     text(std::string(recorder::write_mode_name(old.write_mode))),
                     text(std::string(recorder::write_mode_name(now->write_mode))), ""});
  }
  for (const auto& added : b.drives)
    if (!find(a, added.id)) out.push_back({ConfigChange::Kind::kDrive, "drives." + added.id, "", text(added.uri), ""});
  return out;
}

}  // namespace discrec::daemon
