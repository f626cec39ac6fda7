// The source policy: what a client may make the daemon record from.
//
// discrecd runs as root and its clients are strangers, so a source URL is a
// request to open, connect to or listen on something with the daemon's
// rights. check_source() decides, before anything is opened, whether the
// administrator's policy allows it; the daemon opens only what it returns.
//
// What the default policy allows (an appliance recording cameras on its LAN):
//   - schemes udp, rtp, rtsp, srt. Never file paths (no directories), pipe:,
//     fd:, "-", http, https or tcp unless configured.
//   - hosts: only multicast groups (224.0.0.0/4, ff00::/8): joining a group
//     contacts nobody. A unicast camera must be listed by address (networks)
//     or by name (hosts): resolving a name is itself a request on the
//     client's behalf, so names are accepted only when listed exactly, and
//     literal addresses only inside `networks`.
//   - udp/rtp with no host or 0.0.0.0/:: receive on the port and contact
//     nobody, so they need only a permitted port.
//   - ports 554 and 1024-65535.
//   - no listening (tcp ?listen, srt mode=listener|rendezvous); when allowed,
//     only on the configured listen_addresses (0.0.0.0 only if listed).
//   - FFmpeg options in the URL query only from a per-scheme allow-list of
//     options that can neither exhaust memory nor open other endpoints.
//   - a lost source is reopened at most once per min_reconnect_interval,
//     backing off from there.
// Residual risk, outside what a URL check can see: a permitted RTSP or HTTP
// server may redirect, and an RTSP server names the RTP addresses. Ingest
// limits every open to the protocols of the scheme (protocol_whitelist) and
// refuses nested opens (playlists, references) for files.
//
// Pure C++ (no FFmpeg) so the fuzz build compiles it.
//
// Thread-safety: value types and pure functions; check_source() opens files
// under the policy's directories (read-only, closed before it returns).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace discrec::recorder::ingest {

enum class SourceKind {
  kFile,     // a regular file: read to the end, never reconnect
  kPipe,     // an fd handed over by trusted in-process code: read to EOF, never reconnect
  kNetwork,  // udp, rtp, rtsp, http(s), srt, tcp, sdp: live, reconnect on loss
};

// An address block: "192.168.0.0/16", "ff00::/8", or one address ("10.0.0.7").
struct IpNetwork {
  bool ipv6 = false;
  std::array<uint8_t, 16> address{};  // network byte order; IPv4 uses the first 4
  int prefix_length = 0;
  friend bool operator==(const IpNetwork&, const IpNetwork&) = default;
};
// kInvalidArgument unless `text` is an address (inet_pton's strict forms) with
// an optional /prefix in range.
Result<IpNetwork> parse_ip_network(std::string_view text);
std::string to_string(const IpNetwork& network);

// "5000" or "5000-5999", 1..65535.
struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
  friend bool operator==(const PortRange&, const PortRange&) = default;
};
Result<PortRange> parse_port_range(std::string_view text);
std::string to_string(const PortRange& range);

// The network schemes a policy can name: udp rtp rtsp rtsps srt tcp http https.
bool is_known_network_scheme(std::string_view scheme);
// A host name as a policy may list it: letters, digits, '-' and '.', in
// labels, not something getaddrinfo would read as a number ("127.1").
bool is_valid_host_name(std::string_view name);

struct SourcePolicy {
  // Network schemes clients may use. Files are not a scheme here: they are
  // allowed by `directories`.
  std::vector<std::string> schemes = {"udp", "rtp", "rtsp", "srt"};
  // Literal addresses a source may name (camera, multicast group).
  std::vector<IpNetwork> networks = default_networks();
  // Host names a source may name, matched exactly (case-insensitively).
  std::vector<std::string> hosts;
  // Ports a network source may name (connect, receive or listen).
  std::vector<PortRange> ports = {{554, 554}, {1024, 65535}};
  // Absolute directories whose regular files clients may record. None by
  // default: any file root can read would otherwise be recordable.
  std::vector<std::string> directories;
  // Whether a source may listen (tcp ?listen, srt mode=listener/rendezvous),
  // and on which local addresses ("0.0.0.0" must be listed to mean all).
  bool listen = false;
  std::vector<std::string> listen_addresses;
  // FFmpeg options a URL query may carry, per scheme. For rtsp(s) this
  // governs FFmpeg's own query words (udp, tcp, multicast, http, https,
  // filter_src); the rest of an rtsp or http query goes to the server.
  std::map<std::string, std::vector<std::string>> url_options = default_url_options();
  // The shortest wait before reopening a lost source; ingest doubles it for
  // every quick loss.
  std::chrono::milliseconds min_reconnect_interval{1000};

  static std::vector<IpNetwork> default_networks();
  static std::map<std::string, std::vector<std::string>> default_url_options();
  friend bool operator==(const SourcePolicy&, const SourcePolicy&) = default;
};

// A source the policy allows, ready to open.
struct CheckedSource {
  SourceKind kind = SourceKind::kNetwork;
  std::string scheme;  // "file" for files
  // Network: the URL FFmpeg opens, rebuilt from the checked parts (query
  // reduced to what the policy allows). Files: the absolute path, for
  // messages only: a file is opened as file_path beneath file_root.
  std::string open_url;
  // Safe to show any client and to journal: credentials are "***".
  std::string display_url;
  std::string file_root;  // kFile: the allowed directory it is under
  std::string file_path;  // kFile: relative to file_root, no ".." component
  bool listen = false;    // the source waits for a peer instead of connecting
};

// Parses `url` itself (never with a resolver or FFmpeg) and checks it against
// the policy; for a file, opens it beneath its allowed directory and checks it
// is a regular file. Errors never echo credentials:
//   kInvalidArgument   the URL is malformed (control characters, no port...)
//   kPermissionDenied  well formed, but the policy does not allow it; for
//                      files one message whether the path is outside the
//                      directories, missing, unreadable or not a regular file.
Result<CheckedSource> check_source(const SourcePolicy& policy, std::string_view url);

// `url` with the userinfo password and password-like query values
// (password, passphrase, pass, pwd, secret, token) replaced by "***".
std::string redact_source_url(std::string_view url);

// "files under /srv/in; udp, rtp to 224.0.0.0/4, ff00::/8 ..." for messages.
std::string describe_source_policy(const SourcePolicy& policy);

// Opens `relative` beneath the directory `root` for reading, without
// following a path out of it (openat2 RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
// before Linux 5.6, the realpath checked against root and opened with
// O_NOFOLLOW), non-blocking so a FIFO cannot hang the caller, and accepts
// only a regular file. Returns an O_CLOEXEC fd the caller owns.
// kPermissionDenied for anything else (missing, escaping, FIFO, device...),
// without saying which. On Windows: the path resolved must stay beneath the
// resolved directory (open_file_windows.cc).
Result<int> open_file_beneath(const std::string& root, const std::string& relative);
// The same for a trusted path (in-process callers, tests): no root, but
// still only a regular file and never blocking on a FIFO; kNotFound if it
// does not exist.
Result<int> open_regular_file(const std::string& path);

}  // namespace discrec::recorder::ingest
