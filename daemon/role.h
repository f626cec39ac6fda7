// What a client may do, ordered: each role may do everything the ones below
// it may. Kept apart from access.h so the config can name roles without
// pulling in gRPC.
//
// Thread-safety: value types.
#pragma once

#include <optional>
#include <string_view>

namespace discrec::daemon {

enum class Role {
  kNone,     // may connect, may call nothing
  kObserve,  // Get/List/Watch, GetDaemonInfo, events
  kControl,  // start/stop recordings, prepare/load/eject/format, finalize/verify
  kAdmin,    // destructive or privileged variants (the handler decides which)
};

// "none", "observe", "control", "admin".
const char* role_name(Role role);
std::optional<Role> parse_role(std::string_view name);

}  // namespace discrec::daemon
