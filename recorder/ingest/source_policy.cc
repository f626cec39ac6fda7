#include "recorder/ingest/source_policy.h"

#ifdef _WIN32
#include <ws2tcpip.h>  // inet_pton, inet_ntop
#else
#include <arpa/inet.h>
#endif
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace discrec::recorder::ingest {
namespace {

constexpr size_t kMaxUrlBytes = 4096;
constexpr std::string_view kRedacted = "***";

// FFmpeg's rtsp demuxer reads these words from the query as its own options
// (libavformat/rtsp.c ff_rtsp_connect); every other word goes to the server.
constexpr std::string_view kRtspFfmpegOptions[] = {"udp", "tcp", "multicast", "http", "https", "filter_src"};

constexpr std::string_view kPasswordKeys[] = {"password", "passphrase", "pass", "pwd", "secret", "token"};

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::optional<uint32_t> parse_decimal(std::string_view s, uint32_t max) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return static_cast<uint32_t>(v);
}

template <typename Range>
bool contains(const Range& range, std::string_view s) {
  return std::any_of(std::begin(range), std::end(range), [&](const auto& x) { return std::string_view(x) == s; });
}

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

// A literal address: IPv4 dotted quad or IPv6 (no brackets). IPv4-mapped
// IPv6 is taken as the IPv4 address it maps, so ::ffff:127.0.0.1 is loopback.
std::optional<IpNetwork> parse_address(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  IpNetwork a;
  if (inet_pton(AF_INET, s.c_str(), a.address.data()) == 1) {
    a.prefix_length = 32;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.address.data()) == 1) {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a.address.data(), kMapped, 12) == 0) {
      std::array<uint8_t, 16> v4{};
      std::memcpy(v4.data(), a.address.data() + 12, 4);
      a.address = v4;
      a.prefix_length = 32;
      return a;
    }
    a.ipv6 = true;
    a.prefix_length = 128;
    return a;
  }
  return std::nullopt;
}

bool in_network(const IpNetwork& address, const IpNetwork& net) {
  if (address.ipv6 != net.ipv6) return false;
  int bits = net.prefix_length;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((address.address[i] & mask) != (net.address[i] & mask)) return false;
  }
  return true;
}

bool is_unspecified(const IpNetwork& a) {
  return std::all_of(a.address.begin(), a.address.begin() + (a.ipv6 ? 16 : 4), [](uint8_t b) { return b == 0; });
}

// The parts of a network URL, as FFmpeg's av_url_split sees them: the
// authority ends at the first '/' or '?', userinfo before its '@'.
struct ParsedUrl {
  std::string scheme;
  bool has_userinfo = false;
  std::string userinfo;
  std::string host;  // without brackets
  bool host_bracketed = false;
  std::optional<uint32_t> port;
  std::string path;  // from the '/' after the authority, without the query
  bool has_query = false;
  std::string query;
};

// Characters a URL may carry at all: printable ASCII without space, quotes,
// backslash or '#' (FFmpeg and a server could disagree about a fragment).
bool url_char_ok(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  return std::string_view("\"#<>\\^`{|}").find(static_cast<char>(c)) == std::string_view::npos;
}

Error malformed(const std::string& display, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "source '" + display + "': " + why);
}

Result<ParsedUrl> parse_network_url(std::string_view url, const std::string& display) {
  ParsedUrl u;
  size_t sep = url.find("://");
  u.scheme = std::string(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  size_t auth_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view tail = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  if (size_t at = authority.find('@'); at != std::string_view::npos) {
    if (authority.find('@', at + 1) != std::string_view::npos)
      return malformed(display, "more than one '@' before the host (write '@' in a password as %40)");
    u.has_userinfo = true;
    u.userinfo = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return malformed(display, "unterminated '[' in the host");
    u.host = std::string(authority.substr(1, close - 1));
    u.host_bracketed = true;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return malformed(display, "unexpected characters after ']'");
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
  }
  if (has_port) {
    auto port = parse_decimal(port_text, 65535);
    if (!port || *port == 0) return malformed(display, "the port must be a number from 1 to 65535");
    u.port = *port;
  }
  size_t q = tail.find('?');
  u.path = std::string(tail.substr(0, q));
  if (q != std::string_view::npos) {
    u.has_query = true;
    u.query = std::string(tail.substr(q + 1));
  }
  return u;
}

struct QueryItem {
  std::string key;
  std::optional<std::string> value;
};

std::vector<QueryItem> split_query(std::string_view query) {
  std::vector<QueryItem> items;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    std::string_view item = query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    QueryItem qi;
    if (size_t eq = item.find('='); eq != std::string_view::npos) {
      qi.key = std::string(item.substr(0, eq));
      qi.value = std::string(item.substr(eq + 1));
    } else {
      qi.key = std::string(item);
    }
    items.push_back(std::move(qi));
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return items;
}

std::string join_query(const std::vector<QueryItem>& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += '&';
    out += i.key;
    if (i.value) out += "=" + *i.value;
  }
  return out;
}

std::string rebuild(const ParsedUrl& u, const std::string& userinfo, const std::string& query, bool has_query) {
  std::string out = u.scheme + "://";
  if (!userinfo.empty()) out += userinfo + "@";
  out += u.host_bracketed ? "[" + u.host + "]" : u.host;
  if (u.port) out += ":" + std::to_string(*u.port);
  out += u.path;
  if (has_query) out += "?" + query;
  return out;
}

uint32_t default_port(std::string_view scheme) {
  if (scheme == "rtsp") return 554;
  if (scheme == "rtsps") return 322;
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  return 0;  // udp, rtp, srt, tcp: none
}

// Splits an absolute path into its components; nullopt if one is "..".
std::optional<std::vector<std::string_view>> path_components(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t slash = path.find('/', i);
    std::string_view part = path.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") parts.push_back(part);
    if (slash == std::string_view::npos) break;
    i = slash + 1;
  }
  return parts;
}

Error not_permitted(const SourcePolicy& policy, const std::string& display) {
  return Error(ErrorCode::kPermissionDenied, "source '" + display +
                                                 "' is not permitted by the daemon's source policy (" +
                                                 describe_source_policy(policy) + ")");
}

Result<CheckedSource> check_file(const SourcePolicy& policy, std::string_view path, const std::string& display) {
  if (path.empty() || path[0] != '/')
    return malformed(display, "a file source must be an absolute path (the daemon's working directory is not yours)");
  auto parts = path_components(path);
  if (!parts) return malformed(display, "a file path may not contain '..'");
  for (const auto& dir : policy.directories) {
    auto dir_parts = path_components(dir);
    if (!dir_parts || dir_parts->size() >= parts->size()) continue;
    if (!std::equal(dir_parts->begin(), dir_parts->end(), parts->begin())) continue;
    CheckedSource c;
    c.kind = SourceKind::kFile;
    c.scheme = "file";
    c.file_root = dir;
    for (size_t i = dir_parts->size(); i < parts->size(); ++i) {
      if (!c.file_path.empty()) c.file_path += '/';
      c.file_path += (*parts)[i];
    }
    c.open_url = (dir == "/" ? "" : dir) + "/" + c.file_path;
    c.display_url = c.open_url;
    // Opened here so the refusal is immediate and says the same thing for a
    // missing file, a symlink out of the directory, a FIFO or a device.
    auto fd = open_file_beneath(c.file_root, c.file_path);
    if (!fd.ok()) return not_permitted(policy, display);
    ::close(*fd);
    return c;
  }
  return not_permitted(policy, display);
}

bool port_allowed(const SourcePolicy& policy, uint32_t port) {
  return std::any_of(policy.ports.begin(), policy.ports.end(),
                     [&](const PortRange& r) { return port >= r.first && port <= r.last; });
}

bool same_address(std::string_view a, std::string_view b) {
  auto x = parse_address(a), y = parse_address(b);
  return x && y && *x == *y;
}

Result<CheckedSource> check_network(const SourcePolicy& policy, std::string_view url, const std::string& display) {
  ASSIGN_OR_RETURN(ParsedUrl u, parse_network_url(url, display));
  const std::string& scheme = u.scheme;
  if (!is_known_network_scheme(scheme))
    return malformed(display, "unsupported scheme '" + scheme + "' (known: udp, rtp, rtsp, rtsps, srt, tcp, http, https)");
  if (!contains(policy.schemes, scheme)) return not_permitted(policy, display);

  const bool receive_only = scheme == "udp" || scheme == "rtp";
  const bool takes_credentials = scheme == "rtsp" || scheme == "rtsps" || scheme == "http" || scheme == "https";
  if (u.has_userinfo && !u.userinfo.empty() && !takes_credentials)
    return malformed(display, scheme + " takes no user name or password");
  if (!u.port) {
    if (!default_port(scheme)) return malformed(display, scheme + " needs a port");
  }
  const uint32_t port = u.port ? *u.port : default_port(scheme);
  if (!receive_only && !(u.path.empty() || u.path[0] == '/')) return malformed(display, "malformed path");
  if (receive_only || scheme == "srt" || scheme == "tcp") {
    if (!u.path.empty() && u.path != "/") return malformed(display, scheme + " takes no path");
  }

  // Query: FFmpeg options only from the allow-list; listening is the listen
  // policy's business.
  bool listen = false;
  std::vector<QueryItem> kept;
  const bool ffmpeg_query = !(scheme == "rtsp" || scheme == "rtsps" || scheme == "http" || scheme == "https");
  static const std::vector<std::string> kNone;
  auto allowed_it = policy.url_options.find(scheme);
  const auto& allowed = allowed_it == policy.url_options.end() ? kNone : allowed_it->second;
  auto refuse_option = [&](const std::string& key) {
    return Error(ErrorCode::kPermissionDenied,
                 "source '" + display + "': option '" + key + "' is not permitted for " + scheme +
                     " by the daemon's source policy (permitted: " + (allowed.empty() ? "none" : join(allowed)) + ")");
  };
  if (u.has_query && !(u.query.empty())) {
    std::vector<std::string> seen;
    for (auto& item : split_query(u.query)) {
      if (!ffmpeg_query) {
        bool ffmpeg_word = !item.value && contains(kRtspFfmpegOptions, item.key);
        if ((scheme == "rtsp" || scheme == "rtsps") && ffmpeg_word && !contains(allowed, item.key))
          return refuse_option(item.key);
        kept.push_back(std::move(item));
        continue;
      }
      if (item.key.empty() || !std::all_of(item.key.begin(), item.key.end(), [](char c) { return is_alnum(c) || c == '_'; }))
        return malformed(display, "malformed query");
      // FFmpeg takes the first of two same keys, a reader the last: refuse.
      if (contains(seen, item.key)) return malformed(display, "option '" + item.key + "' given twice");
      seen.push_back(item.key);
      const std::string value = item.value.value_or("");
      if (scheme == "tcp" && item.key == "listen") {
        listen = value != "0";
      } else if (scheme == "srt" && item.key == "mode") {
        if (value == "listener" || value == "rendezvous") listen = true;
        else if (value != "caller") return malformed(display, "srt mode must be caller, listener or rendezvous");
      } else if (!contains(allowed, item.key)) {
        return refuse_option(item.key);
      }
      kept.push_back(std::move(item));
    }
  }

  // Host.
  if (!port_allowed(policy, port)) return not_permitted(policy, display);
  std::optional<IpNetwork> address;
  if (u.host_bracketed) {
    address = parse_address(u.host);
    if (!address || u.host.find(':') == std::string::npos)
      return malformed(display, "'[...]' must hold an IPv6 address");
  } else if (!u.host.empty()) {
    address = parse_address(u.host);
    if (!address && !is_valid_host_name(u.host)) return malformed(display, "'" + u.host + "' is not a host name or address");
  }
  if (listen) {
    if (!policy.listen) return not_permitted(policy, display);
    std::string bind = u.host.empty() ? "0.0.0.0" : u.host;
    bool ok = std::any_of(policy.listen_addresses.begin(), policy.listen_addresses.end(),
                          [&](const std::string& a) { return same_address(a, bind); });
    if (!ok) return not_permitted(policy, display);
  } else if (!address && u.host.empty()) {
    if (!receive_only) return malformed(display, "no host");
  } else if (address) {
    bool any_local = receive_only && is_unspecified(*address);
    bool listed = !is_unspecified(*address) &&
                  std::any_of(policy.networks.begin(), policy.networks.end(),
                              [&](const IpNetwork& n) { return in_network(*address, n); });
    if (!any_local && !listed) return not_permitted(policy, display);
  } else {
    bool listed = std::any_of(policy.hosts.begin(), policy.hosts.end(),
                              [&](const std::string& h) { return ieq(h, u.host); });
    if (!listed) return not_permitted(policy, display);
  }

  CheckedSource c;
  c.kind = SourceKind::kNetwork;
  c.scheme = scheme;
  c.listen = listen;
  std::string query = join_query(kept);
  c.open_url = rebuild(u, u.userinfo, query, !kept.empty());
  c.display_url = redact_source_url(c.open_url);
  return c;
}

}  // namespace

Result<IpNetwork> parse_ip_network(std::string_view text) {
  auto bad = [&] { return Error(ErrorCode::kInvalidArgument, "'" + std::string(text) + "' is not an address or address/prefix"); };
  size_t slash = text.find('/');
  auto address = parse_address(text.substr(0, slash));
  if (!address) return bad();
  // An IPv4-mapped network keeps its IPv4 prefix: ::ffff:10.0.0.0/104 is 10.0.0.0/8.
  int max = address->ipv6 ? 128 : 32;
  if (slash != std::string_view::npos) {
    auto prefix = parse_decimal(text.substr(slash + 1), 128);
    if (!prefix) return bad();
    int p = static_cast<int>(*prefix);
    bool mapped = !address->ipv6 && text.find(':') != std::string_view::npos;
    if (mapped) p -= 96;
    if (p < 0 || p > max) return bad();
    address->prefix_length = p;
  }
  return *address;
}

std::string to_string(const IpNetwork& network) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(network.ipv6 ? AF_INET6 : AF_INET, network.address.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(network.prefix_length);
}

Result<PortRange> parse_port_range(std::string_view text) {
  auto bad = [&] { return Error(ErrorCode::kInvalidArgument, "'" + std::string(text) + "' is not a port or port range like \"5000-5999\""); };
  size_t dash = text.find('-');
  auto first = parse_decimal(text.substr(0, dash), 65535);
  auto last = dash == std::string_view::npos ? first : parse_decimal(text.substr(dash + 1), 65535);
  if (!first || !last || *first == 0 || *last < *first) return bad();
  return PortRange{static_cast<uint16_t>(*first), static_cast<uint16_t>(*last)};
}

std::string to_string(const PortRange& range) {
  return range.first == range.last ? std::to_string(range.first)
                                   : std::to_string(range.first) + "-" + std::to_string(range.last);
}

bool is_known_network_scheme(std::string_view scheme) {
  static constexpr std::string_view kSchemes[] = {"udp", "rtp", "rtsp", "rtsps", "srt", "tcp", "http", "https"};
  return contains(kSchemes, scheme);
}

bool is_valid_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::string_view last_label;
  size_t i = 0;
  while (true) {
    size_t dot = name.find('.', i);
    std::string_view label = name.substr(i, dot == std::string_view::npos ? std::string_view::npos : dot - i);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!is_alnum(c) && c != '-') return false;
    last_label = label;
    if (dot == std::string_view::npos) break;
    i = dot + 1;
  }
  // getaddrinfo reads "127.1", "2130706433" and "0x7f.1" as addresses: a
  // name must not look like a number in its last label.
  if (std::all_of(last_label.begin(), last_label.end(), is_digit)) return false;
  if (last_label.size() > 1 && last_label[0] == '0' && (last_label[1] == 'x' || last_label[1] == 'X')) {
    if (std::all_of(last_label.begin() + 2, last_label.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }))
      return false;
  }
  return true;
}

std::vector<IpNetwork> SourcePolicy::default_networks() {
  return {*parse_ip_network("224.0.0.0/4"), *parse_ip_network("ff00::/8")};
}

std::map<std::string, std::vector<std::string>> SourcePolicy::default_url_options() {
  // Options that choose among the host's own addresses or filter what
  // arrives; none sizes a buffer or names another endpoint.
  return {
      {"udp", {"localaddr", "sources", "block"}},
      {"rtp", {"localaddr", "sources", "block"}},
      {"rtsp", {"tcp", "udp"}},
      {"srt", {"latency", "passphrase", "pbkeylen", "streamid"}},
  };
}

std::string describe_source_policy(const SourcePolicy& policy) {
  std::string out;
  if (policy.directories.empty()) {
    out = "no files";
  } else {
    out = "files under " + join(policy.directories);
  }
  if (policy.schemes.empty()) return out + "; no network sources";
  out += "; " + join(policy.schemes) + " with hosts in ";
  std::vector<std::string> where;
  for (const auto& n : policy.networks) where.push_back(to_string(n));
  for (const auto& h : policy.hosts) where.push_back(h);
  out += where.empty() ? "none" : join(where);
  std::vector<std::string> ports;
  for (const auto& p : policy.ports) ports.push_back(to_string(p));
  out += ", ports " + (ports.empty() ? std::string("none") : join(ports));
  out += policy.listen ? ", listening on " + (policy.listen_addresses.empty() ? std::string("none") : join(policy.listen_addresses))
                       : ", no listening";
  return out;
}

std::string redact_source_url(std::string_view url) {
  std::string out(url);
  size_t sep = out.find("://");
  if (sep == std::string::npos) return out;
  size_t auth_begin = sep + 3;
  size_t auth_end = out.find_first_of("/?", auth_begin);
  if (auth_end == std::string::npos) auth_end = out.size();
  // The last '@' ends the userinfo, as FFmpeg reads it.
  size_t at = out.rfind('@', auth_end == 0 ? 0 : auth_end - 1);
  if (at != std::string::npos && at >= auth_begin && at < auth_end) {
    size_t colon = out.find(':', auth_begin);
    if (colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, kRedacted);
    } else if (at > auth_begin) {
      // A lone user part may be a token: keep only that there was one.
      out.replace(auth_begin, at - auth_begin, kRedacted);
    }
  }
  size_t q = out.find('?', sep);
  if (q == std::string::npos) return out;
  std::string query = out.substr(q + 1);
  std::string redacted;
  size_t start = 0;
  while (true) {
    size_t amp = query.find_first_of("&;", start);
    std::string item = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    size_t eq = item.find('=');
    if (eq != std::string::npos) {
      std::string_view key(item.data(), eq);
      if (std::any_of(std::begin(kPasswordKeys), std::end(kPasswordKeys), [&](std::string_view k) { return ieq(k, key); }))
        item = std::string(key) + "=" + std::string(kRedacted);
    }
    redacted += item;
    if (amp == std::string::npos) break;
    redacted += query[amp];
    start = amp + 1;
  }
  return out.substr(0, q + 1) + redacted;
}

Result<CheckedSource> check_source(const SourcePolicy& policy, std::string_view url) {
  if (url.empty()) return Error(ErrorCode::kInvalidArgument, "source URL is empty");
  if (url.size() > kMaxUrlBytes) return Error(ErrorCode::kInvalidArgument, "source URL longer than 4096 characters");
  for (unsigned char c : url) {
    if (c < 0x20 || c == 0x7f) return Error(ErrorCode::kInvalidArgument, "source URL contains a control character");
  }
  const std::string display = redact_source_url(url);
  if (url == "-" || url.rfind("pipe:", 0) == 0 || url.rfind("fd:", 0) == 0)
    return Error(ErrorCode::kPermissionDenied,
                 "source '" + display + "': pipes and file descriptors are the daemon's own, not a client's to name");
  if (url.find("://") == std::string_view::npos || url.rfind("file:", 0) == 0) {
    // A path, "file:/path" or "file:///path". Paths are opened by the daemon
    // itself, so any character is a file name character.
    std::string_view path = url;
    if (path.rfind("file://", 0) == 0) {
      path.remove_prefix(7);
      if (path.empty() || path[0] != '/') return malformed(display, "file:// URLs name no host: file:///path");
    } else if (path.rfind("file:", 0) == 0) {
      path.remove_prefix(5);
    } else if (size_t colon = path.find(':'); colon != std::string_view::npos && path[0] != '/') {
      // "subfile:", "concat:", "data:"...: FFmpeg protocols without "//".
      return malformed(display, "unsupported scheme '" + std::string(path.substr(0, colon)) + ":'");
    }
    return check_file(policy, path, display);
  }
  for (unsigned char c : url) {
    if (!url_char_ok(c)) return malformed(display, "contains a character that must be percent-encoded");
  }
  return check_network(policy, url, display);
}

}  // namespace discrec::recorder::ingest
