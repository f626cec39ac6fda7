#include "daemon/role.h"

namespace discrec::daemon {

const char* role_name(Role role) {
  switch (role) {
    case Role::kNone: return "none";
    case Role::kObserve: return "observe";
    case Role::kControl: return "control";
    case Role::kAdmin: return "admin";
  }
  return "none";
}

std::optional<Role> parse_role(std::string_view name) {
  for (Role r : {Role::kNone, Role::kObserve, Role::kControl, Role::kAdmin})
    if (name == role_name(r)) return r;
  return std::nullopt;
}

}  // namespace discrec::daemon
