#include "daemon/access.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/gated_services.h"

namespace discrec::daemon {
namespace {

constexpr uint32_t kDaemonUid = 998;
constexpr uint32_t kSocketGid = 24;

UnixCredentials user(uint32_t uid, uint32_t gid, std::vector<uint32_t> groups = {}) {
  return UnixCredentials{uid, gid, 1234, std::move(groups)};
}

AccessPolicy policy(const AccessConfig& config) {
  auto p = AccessPolicy::create(config, kDaemonUid, kSocketGid);
  EXPECT_TRUE(p.ok()) << p.error().to_string();
  return std::move(p).value();
}

TEST(AccessPolicyTest, DefaultsKeepRootAndTheSocketGroupWorking) {
  AccessPolicy p = policy(AccessConfig{});
  EXPECT_EQ(p.role_for(user(0, 0)), Role::kAdmin);
  EXPECT_EQ(p.role_for(user(kDaemonUid, 5)), Role::kAdmin);
  EXPECT_EQ(p.role_for(user(1000, kSocketGid)), Role::kControl) << "primary group";
  EXPECT_EQ(p.role_for(user(1000, 1000, {27, kSocketGid})), Role::kControl) << "supplementary group";
  EXPECT_EQ(p.role_for(user(1000, 1000, {27})), Role::kNone) << "a stranger gets access.others";
}

TEST(AccessPolicyTest, TheHighestGrantWinsAndOthersIsTheFallback) {
  AccessConfig c;
  c.observe_groups = {"100"};
  c.control_uids = {1001};
  c.admin_groups = {"4242"};
  c.others_role = Role::kObserve;
  c.socket_group_role = Role::kObserve;
  AccessPolicy p = policy(c);
  EXPECT_EQ(p.role_for(user(1000, 100)), Role::kObserve);
  EXPECT_EQ(p.role_for(user(1001, 100)), Role::kControl);
  EXPECT_EQ(p.role_for(user(1001, 100, {4242})), Role::kAdmin);
  EXPECT_EQ(p.role_for(user(1002, kSocketGid)), Role::kObserve);
  EXPECT_EQ(p.role_for(user(1003, 1003)), Role::kObserve);
  Peer peer = p.unix_peer(user(1001, 100));
  EXPECT_EQ(peer.key, "uid:1001");
  EXPECT_EQ(peer.role, Role::kControl);
}

TEST(AccessPolicyTest, GroupsAreNamesOrGidsAndUnknownNamesAreErrors) {
  AccessConfig c;
  c.control_groups = {"root"};  // gid 0 on every Linux
  AccessPolicy p = policy(c);
  EXPECT_EQ(p.role_for(user(1000, 1000, {0})), Role::kControl);
  c.control_groups = {"no-such-group-discrec"};
  auto bad = AccessPolicy::create(c, kDaemonUid, kSocketGid);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("access.control_groups"), std::string::npos) << bad.error().message();
  EXPECT_NE(bad.error().message().find("no-such-group-discrec"), std::string::npos) << bad.error().message();
}

TEST(AccessTest, RequireNamesTheRoleTheActionAndWhereToChangeIt) {
  Peer observer{"uid:1000", Role::kObserve, "uid 1000"};
  EXPECT_TRUE(require(observer, Role::kObserve, "listing drives").ok());
  auto denied = require(observer, Role::kControl, "formatting");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(denied.error().message(),
            "uid 1000 has role observe; formatting needs control (see [access] in discrecd.toml)");
  Peer token{"tcp:control-token", Role::kControl, "TCP client with the control token"};
  auto admin = require(token, Role::kAdmin, "formatting a disc that holds recordings");
  ASSERT_FALSE(admin.ok());
  EXPECT_NE(admin.error().message().find("[daemon.tcp]"), std::string::npos) << admin.error().message();
}

TEST(AccessTest, RolesParseAndPrint) {
  for (Role r : {Role::kNone, Role::kObserve, Role::kControl, Role::kAdmin}) EXPECT_EQ(parse_role(role_name(r)), r);
  EXPECT_FALSE(parse_role("root").has_value());
  EXPECT_LT(Role::kObserve, Role::kControl);
  EXPECT_LT(Role::kControl, Role::kAdmin);
}

TEST(AccessTest, EveryMethodHasItsLeastRole) {
  for (const char* m : {"ListDrives", "GetDrive", "GetRecording", "ListRecordings", "WatchRecording", "WatchEvents",
                        "GetDaemonInfo", "ListCatalog"})
    EXPECT_EQ(required_role(m), Role::kObserve) << m;
  for (const char* m : {"PrepareDrive", "LoadMedium", "EjectMedium", "FormatMedium", "StartRecording",
                        "StopRecording", "FinalizeDisc", "VerifyDisc", "DeleteFromDisc"})
    EXPECT_EQ(required_role(m), Role::kControl) << m;
  EXPECT_EQ(required_role("SomethingNew"), Role::kAdmin) << "unlisted methods fail closed";
}

TEST(CallSlotTest, CapsCallsPerPeerAndInTotal) {
  Config config;
  config.max_calls = 3;
  config.max_calls_per_peer = 2;
  Access access(config, policy(AccessConfig{}));
  Peer a{"uid:1000", Role::kControl, "uid 1000"};
  Peer b{"uid:1001", Role::kControl, "uid 1001"};
  Peer c{"uid:1002", Role::kControl, "uid 1002"};
  {
    CallSlot a1(access, a, CallKind::kCall), a2(access, a, CallKind::kCall);
    EXPECT_TRUE(a1.admitted() && a2.admitted());
    CallSlot a3(access, a, CallKind::kCall);
    ASSERT_FALSE(a3.admitted());
    EXPECT_EQ(a3.status().error().code(), ErrorCode::kResourceExhausted);
    EXPECT_NE(a3.status().error().message().find("limits.max_calls_per_peer = 2"), std::string::npos)
        << a3.status().error().message();
    CallSlot b1(access, b, CallKind::kCall);
    EXPECT_TRUE(b1.admitted());
    CallSlot c1(access, c, CallKind::kCall);
    ASSERT_FALSE(c1.admitted());
    EXPECT_NE(c1.status().error().message().find("limits.max_calls = 3"), std::string::npos);
    // Watch streams are counted apart: busy calls do not stop watching.
    CallSlot w(access, c, CallKind::kWatch);
    EXPECT_TRUE(w.admitted());
  }
  // Released on destruction, refused slots included.
  CallSlot again(access, a, CallKind::kCall), again2(access, a, CallKind::kCall), c2(access, c, CallKind::kCall);
  EXPECT_TRUE(again.admitted() && again2.admitted() && c2.admitted());
}

TEST(CallSlotTest, AWatchShareLeavesRoomForOthers) {
  Config config;
  config.max_watch_streams = 4;
  config.max_watch_streams_per_peer = 2;
  Access access(config, policy(AccessConfig{}));
  Peer hog{"uid:0", Role::kAdmin, "uid 0"};
  Peer other{"uid:1000", Role::kObserve, "uid 1000"};
  CallSlot h1(access, hog, CallKind::kWatch), h2(access, hog, CallKind::kWatch), h3(access, hog, CallKind::kWatch);
  EXPECT_TRUE(h1.admitted() && h2.admitted());
  EXPECT_FALSE(h3.admitted());
  CallSlot o1(access, other, CallKind::kWatch);
  EXPECT_TRUE(o1.admitted());
}

struct SocketPair {
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0); }
  ~SocketPair() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
  void close_server() {
    ::close(fds[0]);
    fds[0] = -1;
  }
  int server() const { return fds[0]; }
  int fds[2] = {-1, -1};
};

TEST(ConnectionTableTest, CapsConnectionsPerUidAndInTotal) {
  ConnectionTable table(3, 2);
  SocketPair s1, s2, s3, s4;
  Peer u{"uid:1000", Role::kObserve, "uid 1000"};
  Peer v{"uid:1001", Role::kObserve, "uid 1001"};
  EXPECT_TRUE(table.admit(s1.server(), u, 1000).ok());
  EXPECT_TRUE(table.admit(s2.server(), u, 1000).ok());
  auto third = table.admit(s3.server(), u, 1000);
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.error().message().find("limits.max_connections_per_uid = 2"), std::string::npos);
  EXPECT_TRUE(table.admit(s3.server(), v, 1001).ok());
  auto fourth = table.admit(s4.server(), v, 1001);
  ASSERT_FALSE(fourth.ok());
  EXPECT_NE(fourth.error().message().find("limits.max_connections = 3"), std::string::npos);
  EXPECT_EQ(table.count_for_uid(1000), 2u);
}

// gRPC closes connection fds without telling us; the table must notice, and
// a reused fd number must never answer with the old connection's peer.
TEST(ConnectionTableTest, ClosedConnectionsAreForgottenAndReusedFdsAreNotMistaken) {
  ConnectionTable table(10, 1);
  Peer root{"uid:0", Role::kAdmin, "uid 0"};
  Peer stranger{"uid:65534", Role::kObserve, "uid 65534"};
  auto first = std::make_unique<SocketPair>();
  int fd = first->server();
  ASSERT_TRUE(table.admit(fd, root, 0).ok());
  ASSERT_EQ(table.lookup(fd)->key, "uid:0");
  first->close_server();
  EXPECT_FALSE(table.lookup(fd).has_value()) << "a closed fd names nobody";
  EXPECT_EQ(table.size(), 0u);

  // The number most likely comes back as one of these sockets, which nobody
  // registered: whatever it is now, it is not root's connection.
  SocketPair second;
  EXPECT_TRUE(second.server() == fd || second.fds[1] == fd) << "the test wants the number reused";
  EXPECT_FALSE(table.lookup(fd).has_value());
  // Registering the new connection replaces whatever was said about the number.
  ASSERT_TRUE(table.admit(second.server(), stranger, 65534).ok());
  EXPECT_EQ(table.lookup(second.server())->key, "uid:65534");
}

TEST(ConnectionTableTest, AFreedSlotIsAvailableAgain) {
  ConnectionTable table(10, 1);
  Peer u{"uid:1000", Role::kObserve, "uid 1000"};
  auto a = std::make_unique<SocketPair>();
  ASSERT_TRUE(table.admit(a->server(), u, 1000).ok());
  SocketPair b;
  EXPECT_FALSE(table.admit(b.server(), u, 1000).ok());
  a.reset();  // the connection ends (gRPC closes its fd)
  EXPECT_TRUE(table.admit(b.server(), u, 1000).ok());
}

}  // namespace
}  // namespace discrec::daemon
