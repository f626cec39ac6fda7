// The daemon's host on Windows (see host.h).
#include <windows.h>
// windows.h first: aclapi.h needs its types.
#include <aclapi.h>
#include <sddl.h>

#include <string>

#include "daemon/access.h"
#include "daemon/host.h"

namespace discrec::daemon {

// [access] maps Unix-socket peers by uid and group; Windows has neither
// (the daemon listens on TCP there, and a peer's role is its token's).
Result<uint32_t> resolve_group(const std::string& name_or_gid) {
  return Error(ErrorCode::kInvalidArgument, "group '" + name_or_gid +
                                                "': [access] groups are Unix groups; on Windows a client's role is the "
                                                "one of its [daemon.tcp] token");
}

uint32_t daemon_uid() { return 0; }
uint32_t daemon_gid() { return 0; }

// Windows has no per-process descriptor limit to meet (handles run to
// about 16 million; the CRT's fd table grows to 8192).
void warn_about_fd_limit(uint32_t) {}

namespace {

// True if `sid` is one that every local user is in.
bool names_everybody(PSID sid) {
  for (WELL_KNOWN_SID_TYPE type : {WinWorldSid, WinAuthenticatedUserSid, WinBuiltinUsersSid, WinInteractiveSid}) {
    BYTE buffer[SECURITY_MAX_SID_SIZE];
    DWORD size = sizeof buffer;
    if (::CreateWellKnownSid(type, nullptr, buffer, &size) && ::EqualSid(sid, buffer)) return true;
  }
  return false;
}

}  // namespace

// The file's DACL, read back: no DACL means everybody has full access; an
// allowing entry with read rights for a group everybody is in is a leak.
Status check_secret_file(const std::string& path, const char* what, bool allow_readable) {
  const DWORD attributes = ::GetFileAttributesA(path.c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES || (attributes & FILE_ATTRIBUTE_DIRECTORY))
    return Error(ErrorCode::kNotFound, std::string("cannot read ") + what + " " + path);
  if (allow_readable) return {};
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  const DWORD rc = ::GetNamedSecurityInfoA(path.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr,
                                           &dacl, nullptr, &descriptor);
  if (rc != ERROR_SUCCESS)
    return Error(ErrorCode::kFailedPrecondition, std::string("cannot read the ACL of ") + what + " " + path +
                                                     " (error " + std::to_string(rc) + ")");
  std::string readers;
  if (dacl == nullptr) {
    readers = "everyone (the file has no ACL)";
  } else {
    constexpr DWORD kReadRights = FILE_READ_DATA | GENERIC_READ | GENERIC_ALL;
    for (DWORD i = 0; i < dacl->AceCount && readers.empty(); ++i) {
      ACE_HEADER* header = nullptr;
      if (!::GetAce(dacl, i, reinterpret_cast<void**>(&header)) || header->AceType != ACCESS_ALLOWED_ACE_TYPE) continue;
      auto* ace = reinterpret_cast<ACCESS_ALLOWED_ACE*>(header);
      PSID sid = &ace->SidStart;
      if ((ace->Mask & kReadRights) == 0 || !names_everybody(sid)) continue;
      char* text = nullptr;
      readers = ::ConvertSidToStringSidA(sid, &text) ? text : "a group of every user";
      if (text) ::LocalFree(text);
    }
  }
  ::LocalFree(descriptor);
  if (readers.empty()) return {};
  return Error(ErrorCode::kFailedPrecondition,
               std::string(what) + " " + path + " is readable by " + readers +
                   "; grant read only to SYSTEM and Administrators (icacls FILE /inheritance:r /grant:r "
                   "SYSTEM:R Administrators:R), or set daemon.tcp.allow_readable_secrets = true");
}

}  // namespace discrec::daemon
