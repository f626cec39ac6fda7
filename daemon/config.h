// discrecd configuration: a TOML file plus command-line overrides.
//
// Drives come only from here: a client can never make the daemon open a
// device path of its choosing. A bad file gets an error naming the file,
// line and key.
//
// Thread-safety: value type.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/role.h"
#include "base/result.h"
#include "recorder/core/write_mode.h"
#include "recorder/ingest/source_policy.h"
#include "recorder/session/recorder.h"

namespace discrec::daemon {

struct DriveConfig {
  std::string id;   // the TOML key: [drives.<id>]
  std::string uri;  // sg://, iscsi://, sim://, win://
  // Requested write speed in kB/s; 0 = fastest the medium allows.
  uint32_t write_kbps = 0;
  // Whether the writer sets the Streaming bit (recorder/core/write_mode.h).
  recorder::WriteMode write_mode = recorder::WriteMode::kStreamingPreferred;

  recorder::DriveSpec spec() const { return {id, uri, write_kbps, write_mode}; }
};

// [pools.<id>]: drives that a recording spans disc after disc
// (recorder/session/drive_pool.h). A pool is addressed like a drive.
struct PoolConfig {
  std::string id;
  std::vector<std::string> drives;
  // The next part is made ready when the disc being recorded holds less
  // than this many minutes at the recording's rate.
  double prepare_minutes = 10;
  bool verify = true;  // read each full disc back after finalizing it
  // A media changer that feeds the pool's drives: `drives` in the order of
  // its data transfer elements. Empty: discs are changed by hand.
  std::string changer;
  // Warn when the blanks left in the changer last less than this at the
  // current bitrate.
  double warn_blank_hours = 24;

  recorder::PoolSpec spec() const;
};

struct TcpConfig {
  std::string listen;          // "host:port"
  std::string tls_cert_file;   // PEM; required
  std::string tls_key_file;    // PEM; required
  std::string client_ca_file;  // PEM; client certificates required when set
  std::string token_file;      // bearer token with role control; required unless client_ca_file
  std::string observe_token_file;  // optional: a second token that may only observe
  std::string admin_token_file;    // optional: a token with role admin
  // Token and key files must not be readable by group or others; this says
  // the administrator knows they are and accepts it.
  bool allow_readable_secrets = false;
};

// [access]: which Unix-socket peer gets which role (daemon/role.h). Root and
// the daemon's own uid are always admin. Groups are names or numeric gids.
struct AccessConfig {
  std::vector<uint32_t> admin_uids;
  std::vector<uint32_t> control_uids;
  std::vector<uint32_t> observe_uids;
  std::vector<std::string> admin_groups;
  std::vector<std::string> control_groups;
  std::vector<std::string> observe_groups;
  // Members of the socket's group (daemon.socket_group): the people the
  // socket's mode lets in, so by default they may run the CLI.
  Role socket_group_role = Role::kControl;
  // Anybody else who manages to connect (only possible with a socket mode
  // wider than 0660 or a peer in no listed group).
  Role others_role = Role::kNone;
};

// [metrics]: Prometheus text exposition on GET /metrics (daemon/metrics.h).
// Off unless the table is present; then on 127.0.0.1:9464 unless `listen`
// says otherwise.
struct MetricsConfig {
  std::string listen = "127.0.0.1:9464";  // as written (for messages)
  std::string host = "127.0.0.1";         // an IPv4 or IPv6 literal
  uint16_t port = 9464;
  uint32_t max_connections = 4;           // concurrent scrapers
};

// Reads "HOST:PORT", "[IPV6]:PORT", ":PORT" or "PORT" (host 127.0.0.1);
// HOST is an IP address literal, PORT 1..65535. The error says what is
// wrong, without naming the key.
Result<MetricsConfig> parse_metrics_listen(const std::string& text);

// Where a daemon with no configuration listens and keeps its state. Windows
// has no Unix-socket listener (unix_listener_windows.cc): [daemon.tcp] there.
#if defined(_WIN32)
inline constexpr const char* kDefaultSocketPath = "";
inline constexpr const char* kDefaultStateDirectory = "C:/ProgramData/discrecd";
#else
inline constexpr const char* kDefaultSocketPath = "/run/discrecd/discrecd.sock";
inline constexpr const char* kDefaultStateDirectory = "/var/lib/discrecd";
#endif

struct Config {
  std::string source;  // file the config came from ("built-in defaults" if none)

  std::string socket_path = kDefaultSocketPath;
  uint32_t socket_mode = 0660;
  // Modes wider than 0660 (anyone may connect) need this set explicitly.
  bool socket_mode_force = false;
  // Group owning the socket (name or gid); empty: the daemon's own group.
  std::string socket_group;
  // Where sim:// images may live besides the state directory (absolute).
  std::vector<std::string> sim_directories;
  std::optional<TcpConfig> tcp;
  std::optional<MetricsConfig> metrics;
  // SCHED_FIFO priority of each drive's writer thread (0: the normal
  // policy). The unit's LimitRTPRIO must allow it; see README.
  int writer_realtime_priority = 10;
  std::string state_directory = kDefaultStateDirectory;
  // [daemon] drive_quirks: a drive quirks table (device/drive_quirks.h) that
  // replaces the one shipped with discrecd; empty: the shipped one.
  std::string drive_quirks_file;
  // [daemon] log: where log lines go. kAuto: journald with fields when
  // stderr is the service's journal stream; discrecd.log in the state
  // directory when there is no stderr (a Windows service); else stderr lines.
  // kFile: always that file (kept to 16 MiB, the one before as .1).
  enum class LogTarget { kAuto, kJournal, kStderr, kFile };
  LogTarget log_target = LogTarget::kAuto;

  // Limits.
  uint32_t max_recordings_per_drive = 8;
  uint64_t default_ring_bytes = 64ull << 20;
  uint64_t ring_memory_bytes = 1ull << 30;  // all rings together (+1/64 + 4 MiB locked: the unit's LimitMEMLOCK)
  double admission_margin = 0.10;  // reserve 10% of the guaranteed speed
  std::chrono::milliseconds default_latency_budget{2000};
  uint32_t max_watch_streams = 256;
  uint32_t max_string_bytes = 4096;  // longest title / URL a client may send
  // Ended recordings of discs that left their drive stay listed: at most
  // history_count per drive, for at most history_age_hours.
  uint32_t history_count = 1000;
  uint32_t history_age_hours = 24 * 7;
  // Events kept for `discrec events --since` (WatchEvents with a since): at
  // most event_history_count (each a few hundred bytes), for at most
  // event_history_age_hours.
  uint32_t event_history_count = 10000;
  uint32_t event_history_age_hours = 24;
  // One client must not take what all clients share: connections (fds),
  // concurrent calls (gRPC threads) and watch streams, each capped in total
  // and per peer (a uid on the socket, a token or certificate on TCP).
  uint32_t max_watch_streams_per_peer = 32;
  uint32_t max_connections = 256;  // Unix-socket connections; well below LimitNOFILE
  uint32_t max_connections_per_uid = 32;
  uint32_t max_calls = 64;  // concurrent calls other than Watch* streams
  uint32_t max_calls_per_peer = 16;

  AccessConfig access;

  // Disc: [disc] lost_extents = "not-recorded" | "zero-filled".
  bool zero_fill_lost_extents = false;
  // [disc] after_restart = "continue" | "finalize": what the next start
  // does with a disc a stop or crash left open.
  bool finalize_after_restart = false;
  // [disc] warn_minutes_left: a disc-space event when the disc being
  // recorded holds less than each of these (minutes at the current bitrate).
  std::vector<uint32_t> warn_minutes_left = {30, 10, 2};
  // [disc] stripe_size / stripe_wait: see RecorderOptions::stripe_bytes.
  uint64_t stripe_bytes = 4ull << 20;
  double stripe_wait = 0.25;

  // [sources]: what clients may record from (see source_policy.h).
  recorder::ingest::SourcePolicy sources;

  // A sim:// drive under the state directory when the file names none, so the
  // daemon works with no hardware.
  std::vector<DriveConfig> drives;
  std::vector<PoolConfig> pools;
};

// Parses TOML text. `source_name` is used in error messages.
Result<Config> parse_config(std::string_view toml_text, const std::string& source_name);
Result<Config> load_config(const std::string& path);
// The built-in configuration: defaults and one emulated BD-RE drive "bd0".
Config default_config(const std::string& state_directory);

// Applies "key=value" overrides from the command line
// (--set daemon.socket=/tmp/x.sock, --set drives.bd0.uri=sim:///...).
Status apply_override(Config& config, const std::string& assignment);

// Checks cross-field rules (TCP needs TLS + token or client CA; drive ids are
// names, URIs have a known scheme).
Status validate_config(const Config& config);

}  // namespace discrec::daemon
