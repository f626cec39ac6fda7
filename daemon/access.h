// Who may call what, and how much of the daemon one caller may take.
//
// The daemon runs as root and its clients are strangers. Every call is made
// by a Peer: a Unix-socket connection (identified by the kernel's
// SO_PEERCRED/SO_PEERGROUPS, read by our own accept loop, daemon/unix_listener.h)
// or a TCP client (identified by its bearer token or client certificate).
// The peer has a Role from the config ([access], [daemon.tcp]); a handler
// asks `require(peer, Role::kControl, "formatting")` and the caller gets
// PERMISSION_DENIED naming its role and what it lacked.
//
// Limits are per peer key ("uid:1000", "tcp:observe-token") and in total, so
// one client cannot take every connection, thread or watch stream.
//
// Thread-safety: Access and ConnectionTable are thread-safe; Peer,
// UnixCredentials and AccessPolicy are values.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config.h"
#include "daemon/role.h"
#include "base/result.h"

namespace grpc {
class ServerContext;
}

namespace discrec::daemon {

struct Peer {
  // What per-peer limits count by: "uid:1000" (Unix socket), "tcp:observe-token",
  // "tcp:admin-token", "tcp:control-token", "tcp:cert:<common name>".
  std::string key;
  Role role = Role::kNone;
  // For messages and logs: "uid 1000", "TCP client with the observe token".
  std::string description;
};

// PERMISSION_DENIED unless `peer` has at least `needed`:
// "uid 1000 has role observe; formatting needs control (see [access] in discrecd.toml)".
// `what` names the action as a gerund or noun ("formatting", "starting a recording").
Status require(const Peer& peer, Role needed, std::string_view what);

// What the kernel says about the process at the other end of a Unix socket.
struct UnixCredentials {
  uint32_t uid = 0;
  uint32_t gid = 0;
  int32_t pid = 0;
  std::vector<uint32_t> groups;  // supplementary groups (SO_PEERGROUPS)
};

// Maps socket credentials to a role: root and the daemon's own uid are
// admin; then the highest role any [access] list grants (uids, groups, the
// socket's group); a peer no rule names gets access.others.
class AccessPolicy {
 public:
  // Resolves group names (getgrnam); an unknown group is an error, not a
  // silently empty list. `socket_gid` is the group that owns the socket.
  static Result<AccessPolicy> create(const AccessConfig& config, uint32_t daemon_uid, uint32_t socket_gid);

  Role role_for(const UnixCredentials& credentials) const;
  Peer unix_peer(const UnixCredentials& credentials) const;

 private:
  struct Grant {
    std::vector<uint32_t> uids;
    std::vector<uint32_t> gids;
  };
  uint32_t daemon_uid_ = 0;
  uint32_t socket_gid_ = 0;
  Role socket_group_role_ = Role::kControl;
  Role others_role_ = Role::kNone;
  std::map<Role, Grant> grants_;
};

// Resolves "cdrom" or "24" to a gid. Errors: kInvalidArgument (unknown group).
Result<uint32_t> resolve_group(const std::string& name_or_gid);

// The Unix-socket connections handed to gRPC, by fd: gRPC reports such a
// call's peer as "fd:N", and this table says who N is.
//
// Closed connections: gRPC closes the fd itself and does not tell us. Each
// entry remembers the socket's (st_dev, st_ino) at accept; an entry whose fd
// is closed (EBADF) or now names another file is stale and is removed
// (under the table's lock) before every admission, so the counts stay right
// and a reused fd number never inherits a stale identity.
//
// The fd-reuse race: could a call from a closed connection A on fd N be
// identified after N was reused for connection B? No: gRPC closes a
// connection's fd only when its transport is destroyed, and the transport
// lives until its last call (stream) is destroyed. While any handler of A
// runs, N is still A's socket, so `lookup` during a call sees A. The inode
// check in `lookup` is a second line: if N ever named a different socket
// than the one registered, the caller is refused rather than misidentified.
class ConnectionTable {
 public:
  ConnectionTable(uint32_t max_connections, uint32_t max_per_uid)
      : max_connections_(max_connections), max_per_uid_(max_per_uid) {}

  // Registers an accepted connection before it is handed to gRPC.
  // Errors: kResourceExhausted (total or per-uid limit; the caller closes fd).
  Status admit(int fd, const Peer& peer, uint32_t uid);
  // Drops `fd` (handing it to gRPC failed and the caller closed it).
  void forget(int fd);
  // The peer of a live connection; nullopt if `fd` is not (or no longer) one of ours.
  std::optional<Peer> lookup(int fd) const;
  // Live connections (stale entries removed first).
  size_t size();
  size_t count_for_uid(uint32_t uid);

 private:
  struct Entry {
    Peer peer;
    uint32_t uid;
    dev_t dev;
    ino_t ino;
  };
  void remove_stale_locked();

  const uint32_t max_connections_;
  const uint32_t max_per_uid_;
  mutable std::mutex mutex_;
  std::map<int, Entry> entries_;
};

// Per-call admission: what kind of capacity a call takes.
enum class CallKind {
  kCall,   // unary calls and operation streams (finalize, verify): limits.max_calls[_per_peer]
  kWatch,  // Watch* streams: limits.max_watch_streams[_per_peer]
};

class CallSlot;

// The daemon's access state: the policy, the Unix connection table, and the
// per-peer call counters. One per server.
class Access {
 public:
  Access(const Config& config, AccessPolicy policy);

  const AccessPolicy& policy() const { return policy_; }
  // New call and watch-stream limits (a configuration reload): calls
  // already admitted keep their slots; new ones meet the new limits.
  void set_call_limits(const Config& config);
  ConnectionTable& connections() { return connections_; }

  // Who is making this call. Unix socket: the connection table ("fd:N").
  // TCP: the role the token processor put into the auth context, or the
  // client certificate's name. Errors: kPermissionDenied (unknown caller;
  // refused rather than guessed).
  Result<Peer> identify(const grpc::ServerContext& context) const;

  // The auth-context property a TCP token processor sets to the token's role name.
  static constexpr const char* kRoleProperty = "discrec.role";

 private:
  friend class CallSlot;
  struct Counts {
    uint32_t total = 0;
    std::map<std::string, uint32_t> per_peer;
  };
  struct CallLimits {
    uint32_t max_calls, max_calls_per_peer, max_watch_streams, max_watch_streams_per_peer;
  };
  static CallLimits call_limits(const Config& config);
  AccessPolicy policy_;
  ConnectionTable connections_;
  std::mutex mutex_;
  CallLimits limits_;  // GUARDED_BY(mutex_)
  Counts calls_;
  Counts watches_;
};

// RAII admission of one call: takes a slot of `kind` for `peer` or refuses
// with RESOURCE_EXHAUSTED (total or per-peer limit). Hold it for the whole
// call. Check status() before doing anything.
class CallSlot {
 public:
  CallSlot(Access& access, const Peer& peer, CallKind kind);
  ~CallSlot();
  CallSlot(const CallSlot&) = delete;
  CallSlot& operator=(const CallSlot&) = delete;

  bool admitted() const { return admitted_; }
  const Status& status() const { return status_; }

 private:
  Access& access_;
  std::string key_;
  CallKind kind_;
  bool admitted_ = false;
  Status status_;
};

}  // namespace discrec::daemon
