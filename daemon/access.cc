#include "daemon/access.h"

#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace discrec::daemon {

Status require(const Peer& peer, Role needed, std::string_view what) {
  if (peer.role >= needed) return {};
  // Where the administrator changes it: Unix peers are mapped by [access],
  // TCP peers by which token file their token came from.
  const char* where = peer.key.rfind("uid:", 0) == 0 ? "[access]" : "[daemon.tcp]";
  return Error(ErrorCode::kPermissionDenied, peer.description + " has role " + role_name(peer.role) + "; " +
                                                 std::string(what) + " needs " + role_name(needed) + " (see " +
                                                 where + " in discrecd.toml)");
}


// ---- AccessPolicy ----

Result<AccessPolicy> AccessPolicy::create(const AccessConfig& config, uint32_t daemon_uid, uint32_t socket_gid) {
  AccessPolicy policy;
  policy.daemon_uid_ = daemon_uid;
  policy.socket_gid_ = socket_gid;
  policy.socket_group_role_ = config.socket_group_role;
  policy.others_role_ = config.others_role;
  auto add = [&](Role role, const std::vector<uint32_t>& uids, const std::vector<std::string>& groups,
                 const char* key) -> Status {
    Grant& grant = policy.grants_[role];
    grant.uids = uids;
    for (const auto& g : groups) {
      auto gid = resolve_group(g);
      if (!gid.ok()) return Error(ErrorCode::kInvalidArgument, std::string("access.") + key + ": " + gid.error().message());
      grant.gids.push_back(*gid);
    }
    return {};
  };
  RETURN_IF_ERROR(add(Role::kAdmin, config.admin_uids, config.admin_groups, "admin_groups"));
  RETURN_IF_ERROR(add(Role::kControl, config.control_uids, config.control_groups, "control_groups"));
  RETURN_IF_ERROR(add(Role::kObserve, config.observe_uids, config.observe_groups, "observe_groups"));
  return policy;
}

Role AccessPolicy::role_for(const UnixCredentials& c) const {
  // Root can do anything to the machine anyway, and the daemon's own uid
  // owns its state: refusing them protects nothing.
  if (c.uid == 0 || c.uid == daemon_uid_) return Role::kAdmin;
  auto in_group = [&](uint32_t gid) {
    return c.gid == gid || std::find(c.groups.begin(), c.groups.end(), gid) != c.groups.end();
  };
  std::optional<Role> best;
  auto grant = [&](Role r) {
    if (!best || r > *best) best = r;
  };
  if (in_group(socket_gid_)) grant(socket_group_role_);
  for (const auto& [role, g] : grants_) {
    if (std::find(g.uids.begin(), g.uids.end(), c.uid) != g.uids.end()) grant(role);
    for (uint32_t gid : g.gids)
      if (in_group(gid)) grant(role);
  }
  return best.value_or(others_role_);
}

Peer AccessPolicy::unix_peer(const UnixCredentials& c) const {
  return Peer{"uid:" + std::to_string(c.uid), role_for(c), "uid " + std::to_string(c.uid)};
}

// ---- ConnectionTable ----

void ConnectionTable::remove_stale_locked() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    struct stat st {};
    bool live = ::fstat(it->first, &st) == 0 && st.st_dev == it->second.dev && st.st_ino == it->second.ino;
    it = live ? std::next(it) : entries_.erase(it);
  }
}

Status ConnectionTable::admit(int fd, const Peer& peer, uint32_t uid) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error(ErrorCode::kIo, std::string("fstat of an accepted connection: ") + std::strerror(errno));
  std::lock_guard lock(mutex_);
  remove_stale_locked();
  // accept() returned fd, so whatever the table said about that number is
  // history: gRPC closed it.
  entries_.erase(fd);
  if (entries_.size() >= max_connections_)
    return Error(ErrorCode::kResourceExhausted,
                 std::to_string(entries_.size()) + " connections open (limits.max_connections = " +
                     std::to_string(max_connections_) + ")");
  size_t mine = 0;
  for (const auto& [_, e] : entries_) mine += e.uid == uid;
  if (mine >= max_per_uid_)
    return Error(ErrorCode::kResourceExhausted,
                 peer.description + " has " + std::to_string(mine) + " connections open (limits.max_connections_per_uid = " +
                     std::to_string(max_per_uid_) + ")");
  entries_.emplace(fd, Entry{peer, uid, st.st_dev, st.st_ino});
  return {};
}

void ConnectionTable::forget(int fd) {
  std::lock_guard lock(mutex_);
  entries_.erase(fd);
}

std::optional<Peer> ConnectionTable::lookup(int fd) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(fd);
  if (it == entries_.end()) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_dev != it->second.dev || st.st_ino != it->second.ino) return std::nullopt;
  return it->second.peer;
}

size_t ConnectionTable::size() {
  std::lock_guard lock(mutex_);
  remove_stale_locked();
  return entries_.size();
}

size_t ConnectionTable::count_for_uid(uint32_t uid) {
  std::lock_guard lock(mutex_);
  remove_stale_locked();
  size_t n = 0;
  for (const auto& [_, e] : entries_) n += e.uid == uid;
  return n;
}

// ---- Access ----

Access::Access(const Config& config, AccessPolicy policy)
    : policy_(std::move(policy)),
      connections_(config.max_connections, config.max_connections_per_uid),
      limits_(call_limits(config)) {}

Access::CallLimits Access::call_limits(const Config& c) {
  return {c.max_calls, c.max_calls_per_peer, c.max_watch_streams, c.max_watch_streams_per_peer};
}

void Access::set_call_limits(const Config& config) {
  std::lock_guard lock(mutex_);
  limits_ = call_limits(config);
}

Result<Peer> Access::identify(const grpc::ServerContext& context) const {
  const std::string peer = context.peer();
  if (peer.rfind("fd:", 0) == 0) {
    int fd = -1;
    auto [end, ec] = std::from_chars(peer.data() + 3, peer.data() + peer.size(), fd);
    if (ec == std::errc() && end == peer.data() + peer.size())
      if (auto p = connections_.lookup(fd)) return *p;
    return Error(ErrorCode::kPermissionDenied, "cannot tell who is calling on " + peer + "; refused");
  }
  // TCP: only our token processor or a verified client certificate puts
  // anything into the auth context.
  auto auth = context.auth_context();
  if (auth) {
    auto roles = auth->FindPropertyValues(kRoleProperty);
    if (!roles.empty()) {
      std::string name(roles.front().data(), roles.front().size());
      if (auto role = parse_role(name))
        return Peer{"tcp:" + name + "-token", *role, "TCP client with the " + name + " token"};
    }
    if (auth->IsPeerAuthenticated()) {
      std::string who;
      for (const auto& v : auth->GetPeerIdentity()) who = std::string(v.data(), v.size());
      return Peer{"tcp:cert:" + who, Role::kControl, "TCP client with certificate '" + who + "'"};
    }
  }
  return Error(ErrorCode::kPermissionDenied, "cannot tell who is calling from " + peer + "; refused");
}

// ---- CallSlot ----

CallSlot::CallSlot(Access& access, const Peer& peer, CallKind kind) : access_(access), key_(peer.key), kind_(kind) {
  const bool watch = kind == CallKind::kWatch;
  const char* what = watch ? "watch streams" : "calls";
  const char* total_key = watch ? "limits.max_watch_streams" : "limits.max_calls";
  const char* peer_key = watch ? "limits.max_watch_streams_per_peer" : "limits.max_calls_per_peer";
  std::lock_guard lock(access.mutex_);
  const Access::CallLimits& c = access.limits_;
  const uint32_t total_limit = watch ? c.max_watch_streams : c.max_calls;
  const uint32_t peer_limit = watch ? c.max_watch_streams_per_peer : c.max_calls_per_peer;
  Access::Counts& counts = watch ? access.watches_ : access.calls_;
  uint32_t& mine = counts.per_peer[key_];
  if (mine >= peer_limit) {
    status_ = Error(ErrorCode::kResourceExhausted, peer.description + " has " + std::to_string(mine) + " " + what +
                                                       " open (" + peer_key + " = " + std::to_string(peer_limit) + ")");
  } else if (counts.total >= total_limit) {
    status_ = Error(ErrorCode::kResourceExhausted, std::string("the daemon has ") + std::to_string(counts.total) + " " +
                                                       what + " open (" + total_key + " = " +
                                                       std::to_string(total_limit) + "); try again later");
  } else {
    ++mine;
    ++counts.total;
    admitted_ = true;
  }
  if (mine == 0) counts.per_peer.erase(key_);
}

CallSlot::~CallSlot() {
  if (!admitted_) return;
  std::lock_guard lock(access_.mutex_);
  Access::Counts& counts = kind_ == CallKind::kWatch ? access_.watches_ : access_.calls_;
  --counts.total;
  auto it = counts.per_peer.find(key_);
  if (it != counts.per_peer.end() && --it->second == 0) counts.per_peer.erase(it);
}

}  // namespace discrec::daemon
