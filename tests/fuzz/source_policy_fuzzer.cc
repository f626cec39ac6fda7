// Feeds arbitrary URLs, under a policy chosen by the first input byte, to
// check_source and redact_source_url, and checks what the daemon relies on:
//   - a redaction drops the password it redacts and is idempotent;
//   - an accepted network source has a scheme the policy lists, listens only
//     if the policy allows it, and its display form is its redaction;
//   - an accepted file is an absolute path without "..", under an allowed
//     directory, opened as a relative path beneath it;
//   - a refusal never shows ":password@" unless the redacted URL does.
// Files are checked against a scratch directory made at start (a regular
// file, a subdirectory, a FIFO and symlinks out of it).
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "recorder/ingest/source_policy.h"

namespace {

using discrec::recorder::ingest::CheckedSource;
using discrec::recorder::ingest::SourceKind;
using discrec::recorder::ingest::SourcePolicy;

std::string g_dir;

size_t count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// The password as redact_source_url finds it: after the first ':' of the
// userinfo, which ends at the authority's last '@'.
std::string_view userinfo_password(std::string_view url) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return {};
  size_t begin = sep + 3;
  size_t end = url.find_first_of("/?", begin);
  if (end == std::string_view::npos) end = url.size();
  std::string_view authority = url.substr(begin, end - begin);
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return {};
  size_t colon = authority.find(':');
  if (colon == std::string_view::npos || colon > at) return {};
  return authority.substr(colon + 1, at - colon - 1);
}

SourcePolicy policy_from(uint8_t bits) {
  SourcePolicy p;
  if (bits & 0x01) p.directories = {g_dir};
  if (bits & 0x02) p.networks.push_back(*discrec::recorder::ingest::parse_ip_network("127.0.0.0/8"));
  if (bits & 0x04) p.hosts = {"cam.local"};
  if (bits & 0x08) p.schemes = {"udp", "rtp", "rtsp", "rtsps", "srt", "tcp", "http", "https"};
  if (bits & 0x10) p.listen = true;
  if (bits & 0x20) p.listen_addresses = {"0.0.0.0", "127.0.0.1"};
  if (bits & 0x40) p.url_options["tcp"] = {"listen_timeout"};
  if (bits & 0x80) p.ports = {{1, 65535}};
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char templ[] = "/tmp/discrec-policy-fuzz-XXXXXX";
  if (!::mkdtemp(templ)) std::abort();
  g_dir = templ;
  (void)::mkdir((g_dir + "/sub").c_str(), 0700);
  for (const char* f : {"/a.ts", "/sub/b.ts"}) {
    FILE* out = std::fopen((g_dir + f).c_str(), "w");
    if (out) std::fclose(out);
  }
  (void)::mkfifo((g_dir + "/fifo.ts").c_str(), 0600);
  (void)::symlink("/etc/passwd", (g_dir + "/out.ts").c_str());
  (void)::symlink("../../etc/passwd", (g_dir + "/sub/up.ts").c_str());
  (void)::symlink("/dev/zero", (g_dir + "/zero.ts").c_str());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const SourcePolicy policy = policy_from(data[0]);
  std::string url(reinterpret_cast<const char*>(data + 1), size - 1);
  // Let short inputs reach the scratch directory.
  if (!url.empty() && url[0] == '~') url = g_dir + url.substr(1);

  const std::string redacted = discrec::recorder::ingest::redact_source_url(url);
  if (discrec::recorder::ingest::redact_source_url(redacted) != redacted) __builtin_trap();
  std::string_view password = userinfo_password(url);
  if (!password.empty() && password.find('*') == std::string_view::npos &&
      count(redacted, password) >= count(url, password))
    __builtin_trap();

  auto checked = discrec::recorder::ingest::check_source(policy, url);
  if (!checked.ok()) {
    const std::string& message = checked.error().message();
    if (message.empty()) __builtin_trap();
    // As it stood in the URL, so that fixed words of the message ("must be")
    // do not count as a short password.
    const std::string credential = ":" + std::string(password) + "@";
    if (!password.empty() && redacted.find(credential) == std::string::npos &&
        message.find(credential) != std::string::npos)
      __builtin_trap();
    return 0;
  }
  const CheckedSource& c = *checked;
  if (c.kind == SourceKind::kPipe) __builtin_trap();  // never from a URL
  if (c.kind == SourceKind::kNetwork) {
    bool listed = false;
    for (const auto& s : policy.schemes) listed = listed || s == c.scheme;
    if (!listed) __builtin_trap();
    if (c.open_url.rfind(c.scheme + "://", 0) != 0) __builtin_trap();
    if (c.listen && !policy.listen) __builtin_trap();
    if (c.display_url != discrec::recorder::ingest::redact_source_url(c.open_url)) __builtin_trap();
    for (unsigned char ch : c.open_url)
      if (ch <= 0x20 || ch >= 0x7f) __builtin_trap();
    return 0;
  }
  // A file.
  const std::string& path = c.open_url;
  if (path.empty() || path[0] != '/') __builtin_trap();
  if (("/" + path + "/").find("/../") != std::string::npos) __builtin_trap();
  if (c.file_path.empty() || c.file_path[0] == '/' || ("/" + c.file_path + "/").find("/../") != std::string::npos)
    __builtin_trap();
  bool under = false;
  for (const auto& d : policy.directories) under = under || (c.file_root == d && path.rfind(d + "/", 0) == 0);
  if (!under) __builtin_trap();
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) __builtin_trap();  // it was opened: it exists
  return 0;
}
