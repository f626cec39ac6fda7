#include "daemon/config.h"

#include <cctype>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <sstream>

#define TOML_EXCEPTIONS 1
#include <boost/asio/ip/address.hpp>
#include <toml++/toml.h>

#include "device/sim/changer_options.h"
#include "device/sim/sim_options.h"

namespace discrec::daemon {
namespace {

Error config_error(const std::string& source, const toml::source_region& where,
                   const std::string& key, const std::string& what) {
  std::ostringstream out;
  out << source;
  if (where.begin.line) out << ":" << where.begin.line << ":" << where.begin.column;
  if (!key.empty()) out << ": key '" << key << "'";
  out << ": " << what;
  return Error(ErrorCode::kInvalidArgument, out.str());
}

bool valid_drive_id(std::string_view id) {
  if (id.empty() || id.size() > 63 || !std::isalnum(static_cast<unsigned char>(id[0]))) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

// Reads "64MiB", "512KiB", "1GiB" or a plain integer of bytes.
std::optional<uint64_t> parse_size(std::string_view text) {
  uint64_t value = 0;
  size_t i = 0;
  if (text.empty()) return std::nullopt;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    if (value > (UINT64_MAX - 9) / 10) return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  if (i == 0) return std::nullopt;
  std::string_view unit = text.substr(i);
  uint64_t mul = 1;
  if (unit.empty() || unit == "B") mul = 1;
  else if (unit == "KiB") mul = 1ull << 10;
  else if (unit == "MiB") mul = 1ull << 20;
  else if (unit == "GiB") mul = 1ull << 30;
  else return std::nullopt;
  if (value > UINT64_MAX / mul) return std::nullopt;
  return value * mul;
}

// toml++ 3.3 (Debian 12) reaches __builtin_unreachable() (undefined
// behaviour) when it meets some non-ASCII characters outside strings: its
// generated Unicode whitespace table has holes (config_fuzzer found U+0397
// and U+FED6, and a lexer model of "where a string is" kept missing cases).
// So the config file must be ASCII; TOML's \uXXXX escapes in double-quoted
// strings still express any non-ASCII path or title.
Status check_config_text(std::string_view text, const std::string& source) {
  uint32_t line = 1, column = 1;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t')) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02X", c);
      return Error(ErrorCode::kInvalidArgument,
                   source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": byte " + buf +
                       ": the config file must be ASCII (write other characters as \\uXXXX escapes inside "
                       "double-quoted strings)");
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {};
}

// Walks the parsed table, checking every key is known and typed right.
class ConfigReader {
 public:
  ConfigReader(std::string source, Config& config) : source_(std::move(source)), config_(config) {}

  Status read(const toml::table& root) {
    for (auto&& [key, node] : root) {
      std::string k(key.str());
      if (k == "daemon") {
        RETURN_IF_ERROR(read_daemon(node));
      } else if (k == "limits") {
        RETURN_IF_ERROR(read_limits(node));
      } else if (k == "drives") {
        RETURN_IF_ERROR(read_drives(node));
      } else if (k == "pools") {
        RETURN_IF_ERROR(read_pools(node));
      } else if (k == "disc") {
        RETURN_IF_ERROR(read_disc(node));
      } else if (k == "sources") {
        RETURN_IF_ERROR(read_sources(node));
      } else if (k == "access") {
        RETURN_IF_ERROR(read_access(node));
      } else if (k == "metrics") {
        RETURN_IF_ERROR(read_metrics(node));
      } else {
        return config_error(source_, node.source(), k,
                            "unknown section (expected daemon, limits, access, disc, sources, metrics, drives, pools)");
      }
    }
    return {};
  }

 private:
  template <typename T>
  Result<T> get(const toml::node& node, const std::string& key, const char* type_name) {
    if (auto v = node.value<T>()) return *v;
    return config_error(source_, node.source(), key, std::string("must be ") + type_name);
  }

  Result<const toml::table*> as_table(const toml::node& node, const std::string& key) {
    if (const auto* t = node.as_table()) return t;
    return config_error(source_, node.source(), key, "must be a table");
  }

  Status read_daemon(const toml::node& node) {
    ASSIGN_OR_RETURN(const toml::table* table, as_table(node, "daemon"));
    for (auto&& [key, value] : *table) {
      std::string k = "daemon." + std::string(key.str());
      if (key == "socket") {
        ASSIGN_OR_RETURN(config_.socket_path, get<std::string>(value, k, "a string (path)"));
      } else if (key == "socket_mode") {
        ASSIGN_OR_RETURN(std::string mode, get<std::string>(value, k, "an octal string like \"0660\""));
        char* end = nullptr;
        unsigned long m = std::strtoul(mode.c_str(), &end, 8);
        if (mode.empty() || *end != '\0' || m > 0777)
          return config_error(source_, value.source(), k, "must be an octal mode like \"0660\"");
        config_.socket_mode = static_cast<uint32_t>(m);
      } else if (key == "state_directory") {
        ASSIGN_OR_RETURN(config_.state_directory, get<std::string>(value, k, "a string (path)"));
      } else if (key == "drive_quirks") {
        ASSIGN_OR_RETURN(config_.drive_quirks_file, get<std::string>(value, k, "a string (path)"));
        if (config_.drive_quirks_file.empty())
          return config_error(source_, value.source(), k, "must name a file (leave the key out for the shipped table)");
      } else if (key == "log") {
        ASSIGN_OR_RETURN(std::string target,
                         get<std::string>(value, k, "\"auto\", \"journal\", \"stderr\" or \"file\""));
        if (target == "auto") config_.log_target = Config::LogTarget::kAuto;
        else if (target == "journal") config_.log_target = Config::LogTarget::kJournal;
        else if (target == "stderr") config_.log_target = Config::LogTarget::kStderr;
        else if (target == "file") config_.log_target = Config::LogTarget::kFile;
        else return config_error(source_, value.source(), k, "must be \"auto\", \"journal\", \"stderr\" or \"file\"");
      } else if (key == "socket_mode_force") {
        ASSIGN_OR_RETURN(config_.socket_mode_force, get<bool>(value, k, "true or false"));
      } else if (key == "socket_group") {
        ASSIGN_OR_RETURN(config_.socket_group, get<std::string>(value, k, "a string (group name or gid)"));
      } else if (key == "sim_directories") {
        ASSIGN_OR_RETURN(config_.sim_directories, read_strings(value, k));
      } else if (key == "writer_realtime_priority") {
        ASSIGN_OR_RETURN(int64_t n, get<int64_t>(value, k, "an integer"));
        if (n < 0 || n > 99) return config_error(source_, value.source(), k, "must be between 0 (off) and 99");
        config_.writer_realtime_priority = static_cast<int>(n);
      } else if (key == "tcp") {
        RETURN_IF_ERROR(read_tcp(value));
      } else {
        return config_error(source_, value.source(), k, "unknown key");
      }
    }
    return {};
  }

  Status read_tcp(const toml::node& node) {
    ASSIGN_OR_RETURN(const toml::table* table, as_table(node, "daemon.tcp"));
    TcpConfig tcp;
    for (auto&& [key, value] : *table) {
      std::string k = "daemon.tcp." + std::string(key.str());
      std::string* field = nullptr;
      if (key == "allow_readable_secrets") {
        ASSIGN_OR_RETURN(tcp.allow_readable_secrets, get<bool>(value, k, "true or false"));
        continue;
      }
      if (key == "listen") field = &tcp.listen;
      else if (key == "tls_cert_file") field = &tcp.tls_cert_file;
      else if (key == "tls_key_file") field = &tcp.tls_key_file;
      else if (key == "client_ca_file") field = &tcp.client_ca_file;
      else if (key == "token_file") field = &tcp.token_file;
      else if (key == "observe_token_file") field = &tcp.observe_token_file;
      else if (key == "admin_token_file") field = &tcp.admin_token_file;
      else return config_error(source_, value.source(), k, "unknown key");
      ASSIGN_OR_RETURN(*field, get<std::string>(value, k, "a string"));
    }
    config_.tcp = tcp;
    return {};
  }

  // A size like "64MiB" within [min, max].
  Result<uint64_t> read_size(const toml::node& value, const std::string& k, uint64_t min, uint64_t max,
                             const char* min_text, const char* max_text, const char* example) {
    const std::string like = std::string("like \"") + example + "\"";
    ASSIGN_OR_RETURN(std::string s, get<std::string>(value, k, ("a size " + like).c_str()));
    auto size = parse_size(s);
    if (!size || *size < min || *size > max)
      return config_error(source_, value.source(), k,
                          std::string("must be a size between ") + min_text + " and " + max_text + ", " + like);
    return *size;
  }

  Status read_limits(const toml::node& node) {
    ASSIGN_OR_RETURN(const toml::table* table, as_table(node, "limits"));
    for (auto&& [key, value] : *table) {
      std::string k = "limits." + std::string(key.str());
      if (key == "max_recordings_per_drive" || key == "max_watch_streams" || key == "max_string_bytes" ||
          key == "latency_budget_ms" || key == "history_count" || key == "history_age_hours") {
        ASSIGN_OR_RETURN(int64_t n, get<int64_t>(value, k, "an integer"));
        if (n <= 0 || n > 1'000'000) return config_error(source_, value.source(), k, "must be between 1 and 1000000");
        if (key == "max_recordings_per_drive") config_.max_recordings_per_drive = static_cast<uint32_t>(n);
        else if (key == "max_watch_streams") config_.max_watch_streams = static_cast<uint32_t>(n);
        else if (key == "max_string_bytes") config_.max_string_bytes = static_cast<uint32_t>(n);
        else if (key == "history_count") config_.history_count = static_cast<uint32_t>(n);
        else if (key == "history_age_hours") config_.history_age_hours = static_cast<uint32_t>(n);
        else config_.default_latency_budget = std::chrono::milliseconds(n);
      } else if (key == "event_history_count") {
        // Bounded so the history stays a few tens of MB at most.
        ASSIGN_OR_RETURN(int64_t n, get<int64_t>(value, k, "an integer"));
        if (n < 1 || n > 100'000) return config_error(source_, value.source(), k, "must be between 1 and 100000");
        config_.event_history_count = static_cast<uint32_t>(n);
      } else if (key == "event_history_age_hours") {
        ASSIGN_OR_RETURN(int64_t n, get<int64_t>(value, k, "an integer"));
        if (n < 1 || n > 24 * 366) return config_error(source_, value.source(), k, "must be between 1 and 8784 (a year)");
        config_.event_history_age_hours = static_cast<uint32_t>(n);
      } else if (uint32_t* limit = peer_limit(key.str())) {
        ASSIGN_OR_RETURN(int64_t n, get<int64_t>(value, k, "an integer"));
        if (n <= 0 || n > 100'000) return config_error(source_, value.source(), k, "must be between 1 and 100000");
        *limit = static_cast<uint32_t>(n);
      } else if (key == "ring_size") {
        ASSIGN_OR_RETURN(config_.default_ring_bytes, read_size(value, k, 1ull << 20, 4ull << 30, "1MiB", "4GiB", "64MiB"));
      } else if (key == "ring_memory") {
        ASSIGN_OR_RETURN(config_.ring_memory_bytes, read_size(value, k, 1ull << 20, 1ull << 40, "1MiB", "1TiB", "1GiB"));
      } else if (key == "admission_margin") {
        ASSIGN_OR_RETURN(double m, get<double>(value, k, "a number"));
        if (!(m >= 0.0 && m < 1.0)) return config_error(source_, value.source(), k, "must be in [0, 1)");
        config_.admission_margin = m;
      } else {
        return config_error(source_, value.source(), k, "unknown key");
      }
    }
    return {};
  }

  uint32_t* peer_limit(std::string_view key) {
    if (key == "max_watch_streams_per_peer") return &config_.max_watch_streams_per_peer;
    if (key == "max_connections") return &config_.max_connections;
    if (key == "max_connections_per_uid") return &config_.max_connections_per_uid;
    if (key == "max_calls") return &config_.max_calls;
    if (key == "max_calls_per_peer") return &config_.max_calls_per_peer;
    return nullptr;
  }

  Result<std::vector<std::string>> read_strings(const toml::node& node, const std::string& key) {
    const auto* array = node.as_array();
    if (!array) return config_error(source_, node.source(), key, "must be an array of strings");
    std::vector<std::string> out;
    for (const auto& element : *array) {
      ASSIGN_OR_RETURN(std::string s, get<std::string>(element, key, "an array of strings"));
      out.push_back(std::move(s));
    }
    return out;
  }

  // Groups may be written as names ("cdrom") or gids (24); both are kept as
  // text and resolved when the daemon starts (daemon/access.cc).
  Result<std::vector<std::string>> read_groups(const toml::node& node, const std::string& key) {
    const auto* array = node.as_array();
    if (!array) return config_error(source_, node.source(), key, "must be an array of group names or gids");
    std::vector<std::string> out;
    for (const auto& element : *array) {
      if (auto gid = element.value<int64_t>()) {
        if (*gid < 0 || *gid > UINT32_MAX - 1) return config_error(source_, element.source(), key, "gid out of range");
        out.push_back(std::to_string(*gid));
      } else if (auto name = element.value<std::string>()) {
        if (name->empty()) return config_error(source_, element.source(), key, "empty group name");
        out.push_back(*name);
      } else {
        return config_error(source_, element.source(), key, "must be an array of group names or gids");
      }
    }
    return out;
  }

  Result<std::vector<uint32_t>> read_uids(const toml::node& node, const std::string& key) {
    const auto* array = node.as_array();
    if (!array) return config_error(source_, node.source(), key, "must be an array of uids");
    std::vector<uint32_t> out;
    for (const auto& element : *array) {
      ASSIGN_OR_RETURN(int64_t uid, get<int64_t>(element, key, "an array of uids (integers)"));
      if (uid < 0 || uid > UINT32_MAX - 1) return config_error(source_, element.source(), key, "uid out of range");
      out.push_back(static_cast<uint32_t>(uid));
    }
    return out;
  }

  Result<Role> read_role(const toml::node& node, const std::string& key) {
    ASSIGN_OR_RETURN(std::string name, get<std::string>(node, key, "a role: \"none\", \"observe\", \"control\" or \"admin\""));
    auto role = parse_role(name);
    if (!role) return config_error(source_, node.source(), key, "must be \"none\", \"observe\", \"control\" or \"admin\"");
    return *role;
  }

  Status read_access(const toml::node& node) {
    ASSIGN_OR_RETURN(const toml::table* table, as_table(node, "access"));
    AccessConfig& a = config_.access;
    for (auto&& [key, value] : *table) {
      std::string k = "access." + std::string(key.str());
      if (key == "admin_uids") {
        ASSIGN_OR_RETURN(a.admin_uids, read_uids(value, k));
      } else if (key == "control_uids") {
        ASSIGN_OR_RETURN(a.control_uids, read_uids(value, k));
      } else if (key == "observe_uids") {
        ASSIGN_OR_RETURN(a.observe_uids, read_uids(value, k));
      } else if (key == "admin_groups") {
        ASSIGN_OR_RETURN(a.admin_groups, read_groups(value, k));
      } else if (key == "control_groups") {
        ASSIGN_OR_RETURN(a.control_groups, read_groups(value, k));
      } else if (key == "observe_groups") {
        ASSIGN_OR_RETURN(a.observe_groups, read_groups(value, k));
      } else if (key == "socket_group_role") {
        ASSIGN_OR_RETURN(a.socket_group_role, read_role(value, k));
      } else if (key == "others") {
        ASSIGN_OR_RETURN(a.others_role, read_role(value, k));
      } else {
        return config_error(source_, value.source(), k, "unknown key");
      }
    }
    return {};
  }

  Status read_metrics(const toml::node& node) {
    ASSIGN_OR_RETURN(const toml::table* table, as_table(node, "metrics"));
    // A --set of one key keeps what the file set for the others.
    MetricsConfig metrics = config_.metrics.value_or(MetricsConfig{});
    for (auto&& [key, value] : *table) {
      std::string k = "metrics." + std::string(key.str());
      if (key == "listen") {
        std::string text;
        if (const auto* port = value.as_integer()) {
          text = std::to_string(port->get());  // a --set of a bare port arrives as a number
        } else {
          ASSIGN_OR_RETURN(text, get<std::string>(value, k, "a string (\"127.0.0.1:9464\")"));
        }
        auto parsed = parse_metrics_listen(text);
        if (!parsed.ok()) return config_error(source_, value.source(), k, parsed.error().message());
        const uint32_t max_connections = metrics.max_connections;
        metrics = std::move(parsed).value();
        metrics.max_connections = max_connections;
      } else if (key == "max_connections") {
        ASSIGN_OR_RETURN(int64_t n, get<int64_t>(value, k, "an integer"));
        if (n < 1 || n > 64) return config_error(source_, value.source(), k, "must be between 1 and 64");
        metrics.max_connections = static_cast<uint32_t>(n);
      } else {
        return config_error(source_, value.source(), k, "unknown key (expected listen, max_connections)");
      }
    }
    config_.metrics = metrics;
    return {};
  }

  Status read_disc(const toml::node& node) {
    ASSIGN_OR_RETURN(const toml::table* table, as_table(node, "disc"));
    for (auto&& [key, value] : *table) {
      std::string k = "disc." + std::string(key.str());
      if (key == "lost_extents") {
        ASSIGN_OR_RETURN(std::string v, get<std::string>(value, k, "a string"));
        if (v != "not-recorded" && v != "zero-filled")
          return config_error(source_, value.source(), k, "must be \"not-recorded\" or \"zero-filled\"");
        config_.zero_fill_lost_extents = v == "zero-filled";
      } else if (key == "after_restart") {
        ASSIGN_OR_RETURN(std::string v, get<std::string>(value, k, "a string"));
        if (v != "continue" && v != "finalize")
          return config_error(source_, value.source(), k,
                              "must be \"continue\" (keep an open disc open) or \"finalize\" (close it)");
        config_.finalize_after_restart = v == "finalize";
      } else if (key == "warn_minutes_left") {
        const auto* array = value.as_array();
        if (!array) return config_error(source_, value.source(), k, "must be an array of minutes (integers)");
        std::vector<uint32_t> minutes;
        for (const auto& element : *array) {
          ASSIGN_OR_RETURN(int64_t m, get<int64_t>(element, k, "an array of minutes (integers)"));
          if (m < 1 || m > 24 * 60)
            return config_error(source_, element.source(), k, "must be between 1 and 1440 minutes");
          minutes.push_back(static_cast<uint32_t>(m));
        }
        config_.warn_minutes_left = std::move(minutes);
      } else if (key == "stripe_size") {
        // "0" turns striping off; otherwise whole MiB up to 64 MiB.
        if (value.value<std::string>() == "0") {
          config_.stripe_bytes = 0;
        } else {
          ASSIGN_OR_RETURN(config_.stripe_bytes,
                           read_size(value, k, 1ull << 20, 64ull << 20, "1MiB", "64MiB", "4MiB"));
        }
      } else if (key == "stripe_wait") {
        ASSIGN_OR_RETURN(double f, get<double>(value, k, "a number"));
        if (!(f >= 0.0 && f <= 0.5)) return config_error(source_, value.source(), k, "must be in [0, 0.5]");
        config_.stripe_wait = f;
      } else {
        return config_error(source_, value.source(), k, "unknown key");
      }
    }
    return {};
  }

  // An array of strings, each checked by `check` (which says what is wrong).
  template <typename T, typename Check>
  Result<std::vector<T>> read_list(const toml::node& value, const std::string& k, Check check) {
    const auto* array = value.as_array();
    if (!array) return config_error(source_, value.source(), k, "must be an array of strings");
    std::vector<T> out;
    for (const auto& item : *array) {
      auto text = item.value<std::string>();
      if (!text) return config_error(source_, item.source(), k, "must be an array of strings");
      Result<T> parsed = check(*text);
      if (!parsed.ok()) return config_error(source_, item.source(), k, parsed.error().message());
      out.push_back(std::move(parsed).value());
    }
    return out;
  }

  Status read_sources(const toml::node& node) {
    namespace ingest = recorder::ingest;
    ASSIGN_OR_RETURN(const toml::table* table, as_table(node, "sources"));
    ingest::SourcePolicy& p = config_.sources;
    for (auto&& [key, value] : *table) {
      std::string k = "sources." + std::string(key.str());
      if (key == "schemes") {
        ASSIGN_OR_RETURN(p.schemes, read_list<std::string>(value, k, [](const std::string& s) -> Result<std::string> {
          if (s == "file")
            return Error(ErrorCode::kInvalidArgument, "files are not a scheme: list their directories in sources.directories");
          if (!ingest::is_known_network_scheme(s))
            return Error(ErrorCode::kInvalidArgument, "'" + s + "' is not one of udp, rtp, rtsp, rtsps, srt, tcp, http, https");
          return s;
        }));
      } else if (key == "networks") {
        ASSIGN_OR_RETURN(p.networks, read_list<ingest::IpNetwork>(value, k, [](const std::string& s) {
          return ingest::parse_ip_network(s);
        }));
      } else if (key == "hosts") {
        ASSIGN_OR_RETURN(p.hosts, read_list<std::string>(value, k, [](const std::string& s) -> Result<std::string> {
          if (!ingest::is_valid_host_name(s))
            return Error(ErrorCode::kInvalidArgument, "'" + s + "' is not a host name (addresses go in sources.networks)");
          return s;
        }));
      } else if (key == "ports") {
        ASSIGN_OR_RETURN(p.ports, read_list<ingest::PortRange>(value, k, [](const std::string& s) {
          return ingest::parse_port_range(s);
        }));
      } else if (key == "directories") {
        ASSIGN_OR_RETURN(p.directories, read_list<std::string>(value, k, [](const std::string& s) -> Result<std::string> {
          // "/srv/videos", or on Windows "C:/Videos".
          const bool drive_letter = s.size() >= 3 && std::isalpha(static_cast<unsigned char>(s[0])) && s[1] == ':' &&
                                    s[2] == '/';
          if (s.empty() || (s[0] != '/' && !drive_letter))
            return Error(ErrorCode::kInvalidArgument, "'" + s + "' is not an absolute path");
          if (("/" + s + "/").find("/../") != std::string::npos)
            return Error(ErrorCode::kInvalidArgument, "'" + s + "' may not contain '..'");
          std::error_code error;
          if (!std::filesystem::is_directory(s, error))
            return Error(ErrorCode::kInvalidArgument, "'" + s + "' is not an existing directory");
          std::string dir = s;
          while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
          return dir;
        }));
      } else if (key == "listen") {
        ASSIGN_OR_RETURN(p.listen, get<bool>(value, k, "true or false"));
      } else if (key == "listen_addresses") {
        ASSIGN_OR_RETURN(p.listen_addresses, read_list<std::string>(value, k, [](const std::string& s) -> Result<std::string> {
          auto a = ingest::parse_ip_network(s);
          if (!a.ok() || s.find('/') != std::string::npos)
            return Error(ErrorCode::kInvalidArgument, "'" + s + "' is not a local address (\"0.0.0.0\" means all)");
          return s;
        }));
      } else if (key == "url_options") {
        ASSIGN_OR_RETURN(const toml::table* options, as_table(value, k));
        p.url_options.clear();
        for (auto&& [scheme, names] : *options) {
          std::string sk = k + "." + std::string(scheme.str());
          if (!ingest::is_known_network_scheme(scheme.str()))
            return config_error(source_, names.source(), sk, "not one of udp, rtp, rtsp, rtsps, srt, tcp, http, https");
          ASSIGN_OR_RETURN(p.url_options[std::string(scheme.str())],
                           read_list<std::string>(names, sk, [](const std::string& s) -> Result<std::string> {
                             bool ok = !s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
                             if (!ok) return Error(ErrorCode::kInvalidArgument, "'" + s + "' is not an option name");
                             return s;
                           }));
        }
      } else if (key == "min_reconnect_interval_ms") {
        ASSIGN_OR_RETURN(int64_t n, get<int64_t>(value, k, "an integer"));
        if (n < 100 || n > 600'000) return config_error(source_, value.source(), k, "must be between 100 and 600000");
        p.min_reconnect_interval = std::chrono::milliseconds(n);
      } else {
        return config_error(source_, value.source(), k,
                            "unknown key (expected schemes, networks, hosts, ports, directories, listen, "
                            "listen_addresses, url_options, min_reconnect_interval_ms)");
      }
    }
    return {};
  }

  Status read_drives(const toml::node& node) {
    ASSIGN_OR_RETURN(const toml::table* table, as_table(node, "drives"));
    config_.drives.clear();
    for (auto&& [key, value] : *table) {
      std::string id(key.str());
      std::string k = "drives." + id;
      if (!valid_drive_id(id))
        return config_error(source_, value.source(), k, "drive names start with a letter or digit and use letters, digits, '-' and '_' (at most 63)");
      ASSIGN_OR_RETURN(const toml::table* drive, as_table(value, k));
      DriveConfig d;
      d.id = id;
      for (auto&& [dkey, dvalue] : *drive) {
        std::string dk = k + "." + std::string(dkey.str());
        if (dkey == "uri") {
          ASSIGN_OR_RETURN(d.uri, get<std::string>(dvalue, dk, "a string"));
        } else if (dkey == "write_kbps") {
          ASSIGN_OR_RETURN(int64_t n, get<int64_t>(dvalue, dk, "an integer"));
          if (n < 0 || n > 1'000'000) return config_error(source_, dvalue.source(), dk, "must be 0..1000000");
          d.write_kbps = static_cast<uint32_t>(n);
        } else if (dkey == "write_mode") {
          ASSIGN_OR_RETURN(std::string name, get<std::string>(dvalue, dk, "a string"));
          auto mode = recorder::parse_write_mode(name);
          if (!mode.ok()) return config_error(source_, dvalue.source(), dk, mode.error().message());
          d.write_mode = *mode;
        } else {
          return config_error(source_, dvalue.source(), dk, "unknown key (expected uri, write_kbps, write_mode)");
        }
      }
      if (d.uri.empty()) return config_error(source_, value.source(), k, "needs a 'uri'");
      config_.drives.push_back(std::move(d));
    }
    return {};
  }

  Status read_pools(const toml::node& node) {
    ASSIGN_OR_RETURN(const toml::table* table, as_table(node, "pools"));
    config_.pools.clear();
    for (auto&& [key, value] : *table) {
      std::string id(key.str());
      std::string k = "pools." + id;
      if (!valid_drive_id(id))
        return config_error(source_, value.source(), k,
                            "pool names start with a letter or digit and use letters, digits, '-' and '_' (at most 63)");
      ASSIGN_OR_RETURN(const toml::table* pool, as_table(value, k));
      PoolConfig p;
      p.id = id;
      for (auto&& [pkey, pvalue] : *pool) {
        std::string pk = k + "." + std::string(pkey.str());
        if (pkey == "drives") {
          const toml::array* list = pvalue.as_array();
          if (!list) return config_error(source_, pvalue.source(), pk, "must be an array of drive names");
          for (auto&& item : *list) {
            ASSIGN_OR_RETURN(std::string drive, get<std::string>(item, pk, "an array of drive names"));
            p.drives.push_back(std::move(drive));
          }
        } else if (pkey == "prepare_minutes") {
          ASSIGN_OR_RETURN(double minutes, get<double>(pvalue, pk, "a number"));
          if (!(minutes >= 0 && minutes <= 24 * 60)) return config_error(source_, pvalue.source(), pk, "must be 0..1440");
          p.prepare_minutes = minutes;
        } else if (pkey == "verify") {
          ASSIGN_OR_RETURN(p.verify, get<bool>(pvalue, pk, "true or false"));
        } else if (pkey == "changer") {
          ASSIGN_OR_RETURN(p.changer, get<std::string>(pvalue, pk, "a string (a changer URI)"));
        } else if (pkey == "warn_blank_hours") {
          ASSIGN_OR_RETURN(double hours, get<double>(pvalue, pk, "a number"));
          if (!(hours >= 0 && hours <= 24 * 365)) return config_error(source_, pvalue.source(), pk, "must be 0..8760");
          p.warn_blank_hours = hours;
        } else {
          return config_error(source_, pvalue.source(), pk,
                              "unknown key (expected drives, prepare_minutes, verify, changer, warn_blank_hours)");
        }
      }
      config_.pools.push_back(std::move(p));
    }
    return {};
  }

  std::string source_;
  Config& config_;
};

// An absolute path with no "." or ".." component and no doubled slash: what
// it names is what it says, so "is it under X" can be answered from the text.
// A Windows path counts from after its drive letter ("C:/dir/disc.img").
bool is_plain_absolute_path(const std::string& path) {
  size_t root = path.size() >= 3 && std::isalpha(static_cast<unsigned char>(path[0])) && path[1] == ':' ? 2 : 0;
  if (path.size() <= root || path[root] != '/') return false;
  size_t start = root + 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string_view part(path.data() + start, slash - start);
    if ((part.empty() && slash != path.size()) || part == "." || part == "..") return false;
    start = slash + 1;
  }
  return true;
}

bool is_inside(const std::string& path, std::string directory) {
  while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
  if (directory == "/") return path.size() > 1;
  return path.size() > directory.size() + 1 && path.compare(0, directory.size(), directory) == 0 &&
         path[directory.size()] == '/';
}

// An emulated drive writes its image (and .state/.undo beside it) as root:
// a config that points it at /dev/loop0 or /etc/passwd must be refused, not
// obeyed. Images live under the state directory or an allowed directory.
// An emulated drive's image (sim://) or library (sim-changer://) must lie
// under the state directory or daemon.sim_directories: the daemon creates
// and writes files there as root.
Status check_sim_path(const Config& config, const std::string& uri, const std::string& key_name) {
  std::string path;
  const bool library = uri.rfind("sim-changer://", 0) == 0;
  if (library) {
    auto options = device::sim::parse_sim_changer_uri(uri);
    if (!options.ok()) return options.error();
    path = options->directory;
  } else {
    auto options = device::sim::parse_sim_uri(uri);
    if (!options.ok()) return options.error();
    path = options->image_path;
  }
  const std::string scheme = library ? "sim-changer://" : "sim://";
  const std::string what = library ? " library " : " image ";
  const std::string key = "key '" + key_name + "': ";
  if (!is_plain_absolute_path(path))
    return Error(ErrorCode::kInvalidArgument,
                 key + scheme + what + "path '" + path + "' must be absolute, without '.', '..' or '//'");
  std::vector<std::string> allowed{config.state_directory};
  allowed.insert(allowed.end(), config.sim_directories.begin(), config.sim_directories.end());
  for (const auto& dir : allowed)
    if (is_inside(path, dir)) return {};
  std::string list;
  for (const auto& dir : allowed) list += (list.empty() ? "" : ", ") + dir;
  return Error(ErrorCode::kInvalidArgument, key + scheme + what + "'" + path + "' is outside the allowed directories (" +
                                                list + "); add its directory to daemon.sim_directories");
}

}  // namespace

Result<MetricsConfig> parse_metrics_listen(const std::string& text) {
  MetricsConfig m;
  m.listen = text;
  std::string host, port;
  const auto colon = text.rfind(':');
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 != colon)
      return Error(ErrorCode::kInvalidArgument, "'" + text + "' is not \"[IPV6]:PORT\"");
    host = text.substr(1, close - 1);
  } else if (colon == std::string::npos) {
    port = text;
  } else {
    host = text.substr(0, colon);
    if (host.find(':') != std::string::npos)
      return Error(ErrorCode::kInvalidArgument, "'" + text + "': write an IPv6 address in brackets, \"[::1]:9464\"");
  }
  if (colon != std::string::npos) port = text.substr(colon + 1);
  if (host.empty()) host = "127.0.0.1";
  boost::system::error_code not_an_address;
  boost::asio::ip::make_address(host, not_an_address);
  if (not_an_address)
    return Error(ErrorCode::kInvalidArgument,
                 "'" + text + "': '" + host + "' is not an IP address (e.g. \"127.0.0.1:9464\"; no host names)");
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) < 1 || std::stoul(port) > 65535)
    return Error(ErrorCode::kInvalidArgument, "'" + text + "': the port must be 1..65535");
  m.host = host;
  m.port = static_cast<uint16_t>(std::stoul(port));
  return m;
}

recorder::PoolSpec PoolConfig::spec() const {
  recorder::PoolSpec s;
  s.id = id;
  s.drives = drives;
  s.prepare_margin = std::chrono::duration_cast<Nanos>(std::chrono::duration<double, std::ratio<60>>(prepare_minutes));
  s.verify = verify;
  s.changer_uri = changer;
  s.warn_blank_hours = std::chrono::duration_cast<Nanos>(std::chrono::duration<double, std::ratio<3600>>(warn_blank_hours));
  return s;
}

Config default_config(const std::string& state_directory) {
  Config c;
  c.source = "built-in defaults";
  c.state_directory = state_directory;
  // sim:///var/lib/discrecd/bd0.img; a Windows path gets the URI's third
  // slash too: sim:///C:/ProgramData/discrecd/bd0.img.
  const std::string slash = state_directory.rfind('/', 0) == 0 ? "" : "/";
  c.drives.push_back({"bd0", "sim://" + slash + state_directory + "/bd0.img?profile=bd-re&speed=4", 0});
  return c;
}

Result<Config> parse_config(std::string_view toml_text, const std::string& source_name) {
  RETURN_IF_ERROR(check_config_text(toml_text, source_name));
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view(source_name));
  } catch (const toml::parse_error& e) {
    return config_error(source_name, e.source(), "", std::string(e.description()));
  }
  Config config = default_config(kDefaultStateDirectory);
  config.source = source_name;
  ConfigReader reader(source_name, config);
  RETURN_IF_ERROR(reader.read(root));
  if (!root.contains("drives")) config.drives = default_config(config.state_directory).drives;
  RETURN_IF_ERROR(validate_config(config));
  return config;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kNotFound, "cannot read config file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

Status apply_override(Config& config, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    return Error(ErrorCode::kInvalidArgument, "override '" + assignment + "' is not key=value");
  RETURN_IF_ERROR(check_config_text(assignment, "command line --set"));
  std::string key = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  // Reuse the TOML reader so overrides get exactly the file's rules.
  auto dot = key.rfind('.');
  if (dot == std::string::npos)
    return Error(ErrorCode::kInvalidArgument, "override key '" + key + "' needs a section, e.g. daemon.socket");
  std::string section = key.substr(0, dot);
  std::string leaf = key.substr(dot + 1);
  bool numeric = !value.empty() && (std::isdigit(static_cast<unsigned char>(value[0])) || value[0] == '-') &&
                 value.find_first_not_of("0123456789.-") == std::string::npos &&
                 leaf != "socket_mode";
  std::string quoted;
  if (numeric || value == "true" || value == "false") {
    quoted = value;
  } else {
    quoted = "\"";
    for (char c : value) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += "\"";
  }
  std::string text = "[" + section + "]\n" + leaf + " = " + quoted + "\n";
  if (section.rfind("drives.", 0) == 0 && leaf != "uri") {
    // A drive table needs its uri; carry the configured one along.
    for (const auto& d : config.drives)
      if ("drives." + d.id == section) text += "uri = \"" + d.uri + "\"\n";
  }
  toml::table root;
  try {
    root = toml::parse(std::string_view(text), std::string_view("command line"));
  } catch (const toml::parse_error& e) {
    return Error(ErrorCode::kInvalidArgument, "override '" + assignment + "': " + std::string(e.description()));
  }
  Config updated = config;
  std::vector<DriveConfig> drives = config.drives;
  ConfigReader reader("command line --set " + assignment, updated);
  RETURN_IF_ERROR(reader.read(root));
  if (section.rfind("drives.", 0) == 0) {
    // The reader replaced the list with the one overridden drive: merge it back.
    for (auto& d : updated.drives) {
      bool replaced = false;
      for (auto& old : drives)
        if (old.id == d.id) {
          if (leaf == "uri") old.uri = d.uri;
          if (leaf == "write_kbps") old.write_kbps = d.write_kbps;
          if (leaf == "write_mode") old.write_mode = d.write_mode;
          replaced = true;
        }
      if (!replaced) drives.push_back(d);
    }
    updated.drives = drives;
  }
  RETURN_IF_ERROR(validate_config(updated));
  config = updated;
  return {};
}

Status validate_config(const Config& config) {
  auto bad = [&](const std::string& what) { return Error(ErrorCode::kInvalidArgument, config.source + ": " + what); };
  if (config.drives.empty()) return bad("no drives configured");
  for (size_t i = 0; i < config.drives.size(); ++i) {
    const auto& d = config.drives[i];
    static const char* kSchemes[] = {"sg://", "iscsi://", "sim://", "sim-changer://", "win://"};
    bool known = false;
    for (const char* s : kSchemes) known = known || d.uri.rfind(s, 0) == 0;
    if (!known)
      return bad("key 'drives." + d.id + ".uri': '" + d.uri +
                 "' must start with sg://, iscsi://, sim://, sim-changer:// or win://");
    for (size_t j = 0; j < i; ++j)
      if (config.drives[j].id == d.id) return bad("drive '" + d.id + "' is defined twice");
    if (d.uri.rfind("sim://", 0) == 0 || d.uri.rfind("sim-changer://", 0) == 0) {
      auto status = check_sim_path(config, d.uri, "drives." + d.id + ".uri");
      if (!status.ok()) return bad(status.error().message());
    }
  }
  for (size_t i = 0; i < config.pools.size(); ++i) {
    const auto& p = config.pools[i];
    const std::string k = "key 'pools." + p.id + "'";
    if (p.drives.empty()) return bad(k + " needs 'drives', the drives its recordings span");
    for (size_t j = 0; j < i; ++j)
      if (config.pools[j].id == p.id) return bad("pool '" + p.id + "' is defined twice");
    for (const auto& d : config.drives)
      if (d.id == p.id) return bad(k + ": a drive has that name (pools are addressed like drives)");
    if (!p.changer.empty()) {
      static const char* kChangerSchemes[] = {"sg://", "iscsi://", "sim-changer://"};
      bool known = false;
      for (const char* scheme : kChangerSchemes) known = known || p.changer.rfind(scheme, 0) == 0;
      if (!known) return bad(k + ".changer: '" + p.changer + "' must start with sg://, iscsi:// or sim-changer://");
      if (p.changer.rfind("sim-changer://", 0) == 0) {
        auto status = check_sim_path(config, p.changer, "pools." + p.id + ".changer");
        if (!status.ok()) return bad(status.error().message());
      }
    }
    for (size_t a = 0; a < p.drives.size(); ++a) {
      bool found = false;
      for (const auto& d : config.drives) found = found || d.id == p.drives[a];
      if (!found) return bad(k + ": no drive named '" + p.drives[a] + "'");
      for (size_t b = 0; b < a; ++b)
        if (p.drives[b] == p.drives[a]) return bad(k + ": drive '" + p.drives[a] + "' is listed twice");
    }
  }
  if (!config.drive_quirks_file.empty() && !is_plain_absolute_path(config.drive_quirks_file))
    return bad("key 'daemon.drive_quirks': '" + config.drive_quirks_file +
               "' must be an absolute path without '.' or '..'");
  for (const auto& dir : config.sim_directories)
    if (!is_plain_absolute_path(dir))
      return bad("key 'daemon.sim_directories': '" + dir + "' must be an absolute path without '.' or '..'");
  if (!is_plain_absolute_path(config.state_directory))
    return bad("key 'daemon.state_directory': '" + config.state_directory +
               "' must be an absolute path without '.' or '..'");
  // Wider than rw for owner and group means anyone on the machine can reach
  // the daemon; that is a decision, not a typo.
  if ((config.socket_mode & ~0660u) != 0 && !config.socket_mode_force) {
    char mode[16];
    std::snprintf(mode, sizeof mode, "%04o", config.socket_mode);
    return bad(std::string("key 'daemon.socket_mode': ") + mode +
               " lets users outside the socket's group connect (or sets execute bits); set daemon.socket_mode_force = "
               "true if that is intended (their role is access.others)");
  }

  if (config.tcp) {
    const auto& t = *config.tcp;
    if (t.listen.empty()) return bad("key 'daemon.tcp.listen' is required when [daemon.tcp] is present");
    if (t.tls_cert_file.empty() || t.tls_key_file.empty())
      return bad("TCP needs TLS: set daemon.tcp.tls_cert_file and daemon.tcp.tls_key_file");
    if (t.token_file.empty() && t.client_ca_file.empty())
      return bad("TCP needs client authentication: set daemon.tcp.token_file or daemon.tcp.client_ca_file");
  }
  if (config.socket_path.empty() && !config.tcp) return bad("neither daemon.socket nor daemon.tcp is set");
  if (config.ring_memory_bytes < config.default_ring_bytes)
    return bad("limits.ring_memory (" + std::to_string(config.ring_memory_bytes >> 20) +
               " MiB) must be at least limits.ring_size (" + std::to_string(config.default_ring_bytes >> 20) +
               " MiB), or no recording could start");
  return {};
}

}  // namespace discrec::daemon
