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

#include "device/result.h"
#include "recorder/ingest/source_policy.h"

namespace discrec::daemon {

struct DriveConfig {
  std::string id;   // the TOML key: [drives.<id>]
  std::string uri;  // sg://, iscsi://, sim://, win://
  // Requested write speed in kB/s; 0 = fastest the medium allows.
  uint32_t write_kbps = 0;
};

struct TcpConfig {
  std::string listen;          // "host:port"
  std::string tls_cert_file;   // PEM; required
  std::string tls_key_file;    // PEM; required
  std::string client_ca_file;  // PEM; client certificates required when set
  std::string token_file;      // bearer token; required unless client_ca_file
};

struct Config {
  std::string source;  // file the config came from ("built-in defaults" if none)

  std::string socket_path = "/run/discrecd/discrecd.sock";
  uint32_t socket_mode = 0660;
  std::optional<TcpConfig> tcp;
  std::string state_directory = "/var/lib/discrecd";

  // Limits.
  uint32_t max_recordings_per_drive = 8;
  uint64_t default_ring_bytes = 64ull << 20;
  uint64_t ring_memory_bytes = 1ull << 30;  // all rings together (the unit's LimitMEMLOCK)
  double admission_margin = 0.10;  // reserve 10% of the guaranteed speed
  std::chrono::milliseconds default_latency_budget{2000};
  uint32_t max_watch_streams = 256;
  uint32_t max_string_bytes = 4096;  // longest title / URL a client may send
  // Ended recordings of discs that left their drive stay listed: at most
  // history_count per drive, for at most history_age_hours.
  uint32_t history_count = 1000;
  uint32_t history_age_hours = 24 * 7;

  // Disc: [disc] lost_extents = "not-recorded" | "zero-filled".
  bool zero_fill_lost_extents = false;

  // [sources]: what clients may record from (see source_policy.h).
  recorder::ingest::SourcePolicy sources;

  // A sim:// drive under the state directory when the file names none, so the
  // daemon works with no hardware.
  std::vector<DriveConfig> drives;
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
