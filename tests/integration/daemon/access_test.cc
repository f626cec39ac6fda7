// Who may call what, and bounded connections, end to end: a real discrecd,
// the real CLI run as an unprivileged user (setpriv, uid 65534), floods of
// connections from that user, and configurations the daemon must refuse.
// Needs root (to become other users); skipped otherwise.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/integration/daemon/daemon_fixture.h"

namespace discrec::test {
namespace {

constexpr uid_t kStranger = 65534;  // nobody
constexpr gid_t kControlGid = 4242;  // a group named in [access] control_groups

// Lets anyone connect (forced) and gives strangers the observe role.
const char* kOpenToObservers =
    "socket_mode = \"0666\"\nsocket_mode_force = true\n[access]\nothers = \"observe\"\n";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The real CLI as uid 65534, in no group but `groups`.
CommandResult cli_as_stranger(Daemon& d, std::vector<std::string> args, const std::string& groups = "",
                              std::chrono::seconds timeout = std::chrono::seconds(60)) {
  std::vector<std::string> argv = {"setpriv", "--reuid=" + std::to_string(kStranger),
                                   "--regid=" + std::to_string(kStranger)};
  if (groups.empty()) argv.push_back("--clear-groups");
  else argv.push_back("--groups=" + groups);
  argv.insert(argv.end(), {binary_path("clients/discrec"), "--socket", d.socket()});
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, timeout);
}

// Retries a command until it succeeds: for "eventually served again" after
// the daemon has noticed closed connections. Gives up after 90 s (a dead
// listener), which asserts nothing about how fast the daemon is.
CommandResult until_success(const std::function<CommandResult()>& run) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  CommandResult r;
  do {
    r = run();
    if (r.exit_code == 0) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (std::chrono::steady_clock::now() < give_up);
  return r;
}

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run clients as other users";
    if (!have_program("setpriv")) GTEST_SKIP() << "setpriv (util-linux) is not installed";
  }
};

TEST_F(AccessTest, AnObserverMayListButNotFormatOrRecord) {
  DaemonOptions options;
  options.traversable_dir = true;
  options.extra_toml = kOpenToObservers;
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();

  auto drives = cli_as_stranger(d, {"drives"});
  EXPECT_EQ(drives.exit_code, 0) << drives.output;
  EXPECT_TRUE(contains(drives.output, "bd0")) << drives.output;

  auto format = cli_as_stranger(d, {"format", "bd0"});
  EXPECT_NE(format.exit_code, 0);
  EXPECT_TRUE(contains(format.output, "uid 65534 has role observe; formatting needs control")) << format.output;

  auto record = cli_as_stranger(d, {"record", "udp://127.0.0.1:23500", "--drive", "bd0", "--bitrate", "1000000",
                                    "--detach"});
  EXPECT_NE(record.exit_code, 0);
  EXPECT_TRUE(contains(record.output, "has role observe; starting a recording needs control")) << record.output;

  auto eject = cli_as_stranger(d, {"eject", "bd0"});
  EXPECT_NE(eject.exit_code, 0);
  EXPECT_TRUE(contains(eject.output, "needs control")) << eject.output;

  // Deleting from a disc is refused before the daemon looks at the disc.
  auto remove = cli_as_stranger(d, {"delete", "bd0/rec001"});
  EXPECT_EQ(remove.exit_code, 5) << remove.output;
  EXPECT_TRUE(contains(remove.output, "has role observe; deleting from a disc needs control")) << remove.output;

  // Root (the daemon's own uid here) is admin and unaffected.
  EXPECT_EQ(d.cli({"eject", "bd0"}).exit_code, 0);
}

TEST_F(AccessTest, APeerNobodyNamedGetsNothingByDefault) {
  DaemonOptions options;
  options.traversable_dir = true;
  options.extra_toml = "socket_mode = \"0666\"\nsocket_mode_force = true\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  auto drives = cli_as_stranger(d, {"drives"});
  EXPECT_NE(drives.exit_code, 0);
  EXPECT_TRUE(contains(drives.output, "uid 65534 has role none; listing drives needs observe")) << drives.output;
}

TEST_F(AccessTest, AControlGroupMemberMayEjectLoadRecordAndStop) {
  DaemonOptions options;
  options.traversable_dir = true;
  options.extra_toml = std::string(kOpenToObservers) + "control_groups = [" + std::to_string(kControlGid) + "]\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  const std::string group = std::to_string(kControlGid);

  auto eject = cli_as_stranger(d, {"eject", "bd0"}, group);
  EXPECT_EQ(eject.exit_code, 0) << eject.output;
  auto load = cli_as_stranger(d, {"load", "bd0"}, group);
  EXPECT_EQ(load.exit_code, 0) << load.output;

  // The same user without the group only observes.
  auto denied = cli_as_stranger(d, {"eject", "bd0"});
  EXPECT_TRUE(contains(denied.output, "has role observe; ejecting a disc needs control")) << denied.output;

  auto record = cli_as_stranger(d, {"record", "udp://127.0.0.1:23501", "--drive", "bd0", "--bitrate", "2000000",
                                    "--detach"}, group);
  ASSERT_EQ(record.exit_code, 0) << record.output;
  auto at = record.output.find("drives/bd0/recordings/");
  ASSERT_NE(at, std::string::npos) << record.output;
  std::string name = record.output.substr(at, record.output.find_first_of(" \n\t", at) - at);
  auto stop = cli_as_stranger(d, {"stop", name}, group);
  EXPECT_EQ(stop.exit_code, 0) << stop.output;
}

// Opens `count` connections to `socket` as uid 65534 (in a child process)
// and reports how many the daemon kept (it answered with HTTP/2 SETTINGS)
// and how many it closed. The connections are closed when the child exits.
struct FloodResult {
  int kept = 0;
  int closed = 0;
  int failed = 0;  // connect() itself failed
};

FloodResult flood_as_stranger(const std::string& socket, int count) {
  int report[2];
  if (::pipe(report) != 0) return {};
  pid_t child = ::fork();
  if (child == 0) {
    ::close(report[0]);
    gid_t none = kStranger;
    if (::setgroups(1, &none) != 0 || ::setresgid(kStranger, kStranger, kStranger) != 0 ||
        ::setresuid(kStranger, kStranger, kStranger) != 0)
      ::_exit(10);
    rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_NOFILE, &limit);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket.c_str(), sizeof address.sun_path - 1);
    std::vector<int> fds;
    FloodResult r;
    for (int i = 0; i < count; ++i) {
      int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ++r.failed;
        if (fd >= 0) ::close(fd);
        continue;
      }
      fds.push_back(fd);
    }
    // Every accepted connection gets the server's SETTINGS frame; every
    // refused one is closed. Wait for one or the other on each.
    // One deadline for all: a listener that died leaves them all waiting.
    timespec start{};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    for (int fd : fds) {
      timespec now{};
      ::clock_gettime(CLOCK_MONOTONIC, &now);
      int left_ms = 60'000 - static_cast<int>((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1'000'000);
      pollfd p{fd, POLLIN, 0};
      if (left_ms <= 0 || ::poll(&p, 1, left_ms) <= 0) {
        ++r.failed;
        continue;
      }
      char byte;
      ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK);
      if (n > 0) ++r.kept;
      else ++r.closed;
    }
    (void)!::write(report[1], &r, sizeof r);
    ::_exit(0);
  }
  ::close(report[1]);
  FloodResult r;
  if (::read(report[0], &r, sizeof r) != sizeof r) r.failed = -1;
  ::close(report[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return r;
}

TEST_F(AccessTest, OneUserFloodingConnectionsIsCappedAndOthersAreServedAfterwards) {
  DaemonOptions options;
  options.traversable_dir = true;
  options.extra_toml = std::string("socket_mode = \"0666\"\nsocket_mode_force = true\n") +
                       "[limits]\nmax_connections_per_uid = 16\nmax_connections = 64\n"
                       "[access]\nothers = \"observe\"\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();

  FloodResult flood = flood_as_stranger(d.socket(), 400);
  EXPECT_EQ(flood.failed, 0);
  EXPECT_EQ(flood.kept, 16) << "limits.max_connections_per_uid";
  EXPECT_EQ(flood.closed, 400 - 16);
  EXPECT_TRUE(contains(d.log_text(), "limits.max_connections_per_uid = 16")) << d.log_text();

  // Root's connection (the fixture's channel) was never at risk...
  grpc::ClientContext ctx;
  v1::ListDrivesResponse list;
  EXPECT_TRUE(d.drives->ListDrives(&ctx, {}, &list).ok());
  // ...and once the flood is gone, the flooder is served again.
  auto drives = until_success([&] { return cli_as_stranger(d, {"drives"}, "", std::chrono::seconds(10)); });
  EXPECT_EQ(drives.exit_code, 0) << drives.output;
}

TEST_F(AccessTest, RunningOutOfFileDescriptorsDoesNotKillTheListener) {
  if (!have_program("prlimit")) GTEST_SKIP() << "prlimit is not installed";
  DaemonOptions options;
  options.launcher = {"prlimit", "--nofile=64:64", "--"};
  options.traversable_dir = true;
  options.extra_toml = std::string("socket_mode = \"0666\"\nsocket_mode_force = true\n") +
                       "[limits]\nmax_connections_per_uid = 400\nmax_connections = 400\n"
                       "[access]\nothers = \"observe\"\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();

  FloodResult flood = flood_as_stranger(d.socket(), 200);
  EXPECT_EQ(flood.failed, 0);
  EXPECT_GT(flood.closed, 0) << "the flood should have run the daemon out of descriptors";
  EXPECT_TRUE(contains(d.log_text(), "Too many open files")) << d.log_text();

  auto drives = until_success([&] { return cli_as_stranger(d, {"drives"}, "", std::chrono::seconds(10)); });
  EXPECT_EQ(drives.exit_code, 0) << drives.output << "\n" << d.log_text();
  auto info = until_success([&] { return d.cli({"info"}, std::chrono::seconds(10)); });
  EXPECT_EQ(info.exit_code, 0) << info.output;
}

TEST_F(AccessTest, OnePeerHoldingItsWatchShareDoesNotLockOthersOut) {
  DaemonOptions options;
  options.traversable_dir = true;
  options.extra_toml = std::string(kOpenToObservers) + "[limits]\nmax_watch_streams = 8\nmax_watch_streams_per_peer = 4\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();

  // Root takes its whole share of watch streams; one more is refused.
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::Event>>> streams;
  for (int i = 0; i < 4; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    streams.push_back(d.events->WatchEvents(contexts.back().get(), v1::WatchEventsRequest()));
  }
  // A stream is admitted or refused before its first message; a refused one
  // ends at once. Make sure all four are admitted (they see an event).
  ASSERT_EQ(d.cli({"eject", "bd0"}).exit_code, 0);
  for (auto& s : streams) {
    v1::Event e;
    ASSERT_TRUE(s->Read(&e));
  }
  {
    grpc::ClientContext ctx;
    auto fifth = d.events->WatchEvents(&ctx, v1::WatchEventsRequest());
    v1::Event e;
    EXPECT_FALSE(fifth->Read(&e));
    auto status = fifth->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_TRUE(contains(status.error_message(), "max_watch_streams_per_peer")) << status.error_message();
  }

  // The stranger still gets a watch stream: it sees the next events.
  std::vector<std::string> argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                   binary_path("clients/discrec"), "--socket", d.socket(), "events"};
  TempDir out;
  Process watcher(argv, out.file("events.log"));
  // Bounded by time, not by a number of tries: on a loaded machine the
  // watcher (setpriv, then the CLI, then its connection) can take seconds to
  // start while each eject or load returns at once.
  bool seen = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int i = 0; !seen && watcher.running() && std::chrono::steady_clock::now() < deadline; ++i) {
    d.cli({i % 2 ? "eject" : "load", "bd0"});
    seen = contains(read_file(out.file("events.log")), "MEDIUM");
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(seen) << "watcher running: " << watcher.running() << "\n"
                    << read_file(out.file("events.log")) << "\n" << d.log_text();
  for (auto& c : contexts) c->TryCancel();
  for (auto& s : streams) s->Finish();
}

int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

// TCP clients get the role of their token: the observe token reads, the
// control token acts, a wrong token gets nothing.
TEST_F(AccessTest, TcpTokensCarryTheirRoles) {
  if (!have_program("openssl")) GTEST_SKIP() << "openssl is not installed";
  TempDir secrets;
  auto cert = run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                           "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout",
                           secrets.file("server.key"), "-out", secrets.file("server.crt")});
  ASSERT_EQ(cert.exit_code, 0) << cert.output;
  ::chmod(secrets.file("server.key").c_str(), 0600);
  const std::string observe_token = "observe-0123456789abcdef", control_token = "control-0123456789abcdef";
  std::ofstream(secrets.file("observe-token")) << observe_token << "\n";
  std::ofstream(secrets.file("token")) << control_token << "\n";
  ::chmod(secrets.file("observe-token").c_str(), 0600);
  ::chmod(secrets.file("token").c_str(), 0600);
  const int port = free_tcp_port();
  ASSERT_GT(port, 0);
  DaemonOptions options;
  options.extra_toml = "[daemon.tcp]\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\ntls_cert_file = \"" +
                       secrets.file("server.crt") + "\"\ntls_key_file = \"" + secrets.file("server.key") +
                       "\"\ntoken_file = \"" + secrets.file("token") + "\"\nobserve_token_file = \"" +
                       secrets.file("observe-token") + "\"\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  // The CLI trusts our self-signed certificate through gRPC's roots override.
  auto tcp_cli = [&](const std::string& token, std::vector<std::string> args) {
    std::vector<std::string> argv = {"env", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=" + secrets.file("server.crt"),
                                     "DISCREC_TOKEN=" + token, binary_path("clients/discrec"), "--target",
                                     "localhost:" + std::to_string(port)};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, std::chrono::seconds(60));
  };
  auto drives = tcp_cli(observe_token, {"drives"});
  EXPECT_EQ(drives.exit_code, 0) << drives.output;
  auto format = tcp_cli(observe_token, {"format", "bd0"});
  EXPECT_NE(format.exit_code, 0);
  EXPECT_TRUE(contains(format.output, "TCP client with the observe token has role observe; formatting needs control"))
      << format.output;
  auto eject = tcp_cli(control_token, {"eject", "bd0"});
  EXPECT_EQ(eject.exit_code, 0) << eject.output;
  // $DISCREC_TARGET names the daemon when no option does (Windows' way).
  auto by_env = run_command({"env", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=" + secrets.file("server.crt"),
                             "DISCREC_TOKEN=" + observe_token, "DISCREC_TARGET=localhost:" + std::to_string(port),
                             "DISCREC_SOCKET=/nonexistent/discrecd.sock", binary_path("clients/discrec"), "drives"},
                            std::chrono::seconds(60));
  EXPECT_EQ(by_env.exit_code, 0) << by_env.output;
  EXPECT_TRUE(contains(by_env.output, "bd0")) << by_env.output;
  auto wrong = tcp_cli("wrong-0123456789abcdef", {"drives"});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_TRUE(contains(wrong.output, "bad bearer token")) << wrong.output;
  // Each refusal is in the log with who and why, and no token is.
  const std::string log = d.log_text();
  EXPECT_TRUE(contains(log, "refused ListDrives from a TCP client: unauthenticated: bad bearer token")) << log;
  EXPECT_TRUE(contains(log, "refused FormatMedium from TCP client with the observe token (role observe): "
                            "permission denied"))
      << log;
  for (const std::string token : {observe_token, control_token, std::string("wrong-0123456789abcdef")})
    EXPECT_FALSE(contains(log, token)) << log;
}

// Runs discrecd on `config_text` (written into `dir`) and returns its exit
// code and log; for configurations it must refuse.
CommandResult run_daemon(const TempDir& dir, const std::string& config_text) {
  std::ofstream(dir.file("discrecd.toml")) << config_text;
  return run_command({binary_path("daemon/discrecd"), "serve", "--config", dir.file("discrecd.toml")},
                     std::chrono::seconds(60));
}

std::string base_config(const TempDir& dir) {
  return "[daemon]\nsocket = \"" + dir.file("discrecd.sock") + "\"\nstate_directory = \"" + dir.path() + "\"\n";
}

TEST_F(AccessTest, ASocketPathThatIsARegularFileIsNeitherRemovedNorUsed) {
  TempDir dir;
  std::ofstream(dir.file("discrecd.sock")) << "precious";
  auto r = run_daemon(dir, base_config(dir));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "exists and is not a socket")) << r.output;
  EXPECT_EQ(read_file(dir.file("discrecd.sock")), "precious");
}

TEST_F(AccessTest, ASecondDaemonDoesNotTakeTheFirstOnesSocket) {
  Daemon d;
  ASSERT_TRUE(d.started()) << d.log_text();
  TempDir other;
  auto r = run_daemon(other, "[daemon]\nsocket = \"" + d.socket() + "\"\nstate_directory = \"" + other.path() + "\"\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "answers on")) << r.output;
  EXPECT_EQ(d.cli({"drives"}).exit_code, 0) << "the first daemon keeps its socket";
}

TEST_F(AccessTest, TheSocketIsNeverWiderThanItsMode) {
  DaemonOptions options;
  options.extra_toml = "socket_mode = \"0600\"\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  struct stat st {};
  ASSERT_EQ(::lstat(d.socket().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// The default policy: the socket's group may use the CLI with role control;
// anyone else cannot even connect to a 0660 socket.
TEST_F(AccessTest, TheSocketsGroupHasControlByDefault) {
  DaemonOptions options;
  options.traversable_dir = true;
  options.extra_toml = "socket_group = \"" + std::to_string(kControlGid) + "\"\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  struct stat st {};
  ASSERT_EQ(::lstat(d.socket().c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, kControlGid);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  auto member = cli_as_stranger(d, {"eject", "bd0"}, std::to_string(kControlGid));
  EXPECT_EQ(member.exit_code, 0) << member.output;
  auto outsider = cli_as_stranger(d, {"drives"});
  EXPECT_NE(outsider.exit_code, 0);
  EXPECT_TRUE(contains(outsider.output, "Permission denied")) << outsider.output;
}

TEST_F(AccessTest, AWorldWritableSocketModeIsRefusedUnlessForced) {
  TempDir dir;
  auto r = run_daemon(dir, base_config(dir) + "socket_mode = \"0777\"\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "socket_mode_force")) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("discrecd.sock")));
}

TEST_F(AccessTest, AWorldReadableTokenFileIsRefused) {
  TempDir dir;
  std::ofstream(dir.file("server.crt")) << "not checked before the secrets";
  std::ofstream(dir.file("server.key")) << "key";
  ::chmod(dir.file("server.key").c_str(), 0600);
  std::ofstream(dir.file("token")) << "0123456789abcdef0123\n";
  ::chmod(dir.file("token").c_str(), 0644);
  auto r = run_daemon(dir, base_config(dir) + "[daemon.tcp]\nlisten = \"127.0.0.1:0\"\ntls_cert_file = \"" +
                               dir.file("server.crt") + "\"\ntls_key_file = \"" + dir.file("server.key") +
                               "\"\ntoken_file = \"" + dir.file("token") + "\"\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "readable by group or others")) << r.output;
}

TEST_F(AccessTest, ASimImageOutsideTheStateDirectoryIsRefused) {
  TempDir dir, elsewhere;
  auto r = run_daemon(dir, base_config(dir) + "[drives.bd0]\nuri = \"sim://" + elsewhere.file("x.img") + "\"\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "outside the allowed directories")) << r.output;
  EXPECT_FALSE(std::filesystem::exists(elsewhere.file("x.img")));
  auto dots = run_daemon(dir, base_config(dir) + "[drives.bd0]\nuri = \"sim://" + dir.path() + "/../x.img\"\n");
  EXPECT_EQ(dots.exit_code, 2);
  EXPECT_TRUE(contains(dots.output, "'..'")) << dots.output;
}

TEST_F(AccessTest, ASimImageThatIsAFifoIsNeverOpened) {
  DaemonOptions options;
  options.before_start = [](const TempDir& dir) { ASSERT_EQ(::mkfifo(dir.file("bd0.img").c_str(), 0600), 0); };
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  EXPECT_TRUE(contains(d.log_text(), "is a FIFO, not a regular file")) << d.log_text();
  struct stat st {};
  ASSERT_EQ(::lstat(d.image("bd0").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

}  // namespace
}  // namespace discrec::test
