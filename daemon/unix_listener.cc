#include "daemon/unix_listener.h"

#include <fcntl.h>
#include <grpcpp/server.h>
#include <grpcpp/server_posix.h>
#include <poll.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "daemon/log.h"

namespace discrec::daemon {
namespace {

// After an accept error that more tries cannot fix at once (out of fds or
// memory): how long the loop waits before trying again.
constexpr int kBackoffMs = 100;
// At most one log line per this long about refused connections.
constexpr auto kRefusalLogInterval = std::chrono::seconds(10);

Error sys_error(ErrorCode code, const std::string& what) {
  return Error(code, what + ": " + std::strerror(errno));
}

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path))
    return Error(ErrorCode::kInvalidArgument, "socket path " + path + " is longer than " +
                                                  std::to_string(sizeof(address.sun_path) - 1) + " bytes");
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

// Whether a process accepts connections on the socket at `path` (a second
// daemon) or it is a leftover of one that died. Never blocks: a listener
// with a full backlog answers EAGAIN, which also means "alive".
Result<bool> someone_listens(const std::string& path) {
  ASSIGN_OR_RETURN(sockaddr_un address, unix_address(path));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return sys_error(ErrorCode::kIo, "socket");
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  int error = errno;
  ::close(fd);
  if (rc == 0 || error == EAGAIN || error == EINPROGRESS) return true;
  if (error == ECONNREFUSED) return false;
  errno = error;
  return sys_error(ErrorCode::kIo, "probing " + path);
}

// Clears the way for our socket: nothing there, or a stale socket (removed).
Status prepare_socket_path(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return sys_error(ErrorCode::kIo, "stat " + path);
  }
  // Whatever else is there (a file, a symlink, a device node) is someone's;
  // the old code unlinked it.
  if (!S_ISSOCK(st.st_mode))
    return Error(ErrorCode::kFailedPrecondition,
                 path + " exists and is not a socket; refusing to remove it (remove it yourself or set daemon.socket)");
  ASSIGN_OR_RETURN(bool alive, someone_listens(path));
  if (alive)
    return Error(ErrorCode::kFailedPrecondition, "another process (a running discrecd?) answers on " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return sys_error(ErrorCode::kIo, "removing stale socket " + path);
  return {};
}

}  // namespace

Result<uint32_t> socket_group_id(const Config& config) {
  if (config.socket_group.empty()) return static_cast<uint32_t>(::getegid());
  auto gid = resolve_group(config.socket_group);
  if (!gid.ok()) return Error(ErrorCode::kInvalidArgument, "daemon.socket_group: " + gid.error().message());
  return gid;
}

Result<std::unique_ptr<UnixListener>> UnixListener::create(const Config& config, uint32_t socket_gid) {
  const std::string& path = config.socket_path;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  RETURN_IF_ERROR(prepare_socket_path(path));

  // The socket file is created by bind() with the process umask; changing
  // the umask would race with every other thread creating files. Instead it
  // is born in a private 0700 directory beside its final place, gets its
  // owner and mode there, starts listening, and is renamed into place: at its
  // final path it never has more permissions than socket_mode.
  std::string private_dir = (parent / ".discrecd-XXXXXX").string();
  if (::mkdtemp(private_dir.data()) == nullptr) return sys_error(ErrorCode::kIo, "creating a directory beside " + path);
  const std::string staging = private_dir + "/s";
  auto cleanup_staging = [&] {
    ::unlink(staging.c_str());
    ::rmdir(private_dir.c_str());
  };
  auto address = unix_address(staging);
  if (!address.ok()) {
    cleanup_staging();
    return std::move(address).error();
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    cleanup_staging();
    return sys_error(ErrorCode::kIo, "socket");
  }
  auto fail = [&](const std::string& what) -> Error {
    Error e = sys_error(ErrorCode::kIo, what);
    ::close(fd);
    cleanup_staging();
    return e;
  };
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0) return fail("bind " + staging);
  if (socket_gid != static_cast<uint32_t>(::getegid()) &&
      ::chown(staging.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(socket_gid)) != 0)
    return fail("chown " + path + " to group " + std::to_string(socket_gid));
  if (::chmod(staging.c_str(), config.socket_mode) != 0) return fail("chmod " + path);
  if (::listen(fd, SOMAXCONN) != 0) return fail("listen on " + path);
  // NOREPLACE: if something appeared at the path since we checked, it stays.
  // File systems without RENAME_NOREPLACE get link()+unlink(), which is as
  // strict (link never replaces).
  if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno != EINVAL && errno != ENOSYS) return fail("placing the socket at " + path);
    if (::link(staging.c_str(), path.c_str()) != 0) return fail("placing the socket at " + path);
    ::unlink(staging.c_str());
  }
  ::rmdir(private_dir.c_str());
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return fail("stat " + path);

  int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    Error e = sys_error(ErrorCode::kIo, "eventfd");
    ::close(fd);
    ::unlink(path.c_str());
    return e;
  }
  std::unique_ptr<UnixListener> listener(new UnixListener(path, fd, wake, st.st_dev, st.st_ino));
  // Kept for the day fds run out: closing it makes room to accept (and
  // close) a waiting connection instead of leaving it hanging in the backlog.
  listener->reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return listener;
}

UnixListener::UnixListener(std::string path, int listen_fd, int wake_fd, dev_t dev, ino_t ino)
    : path_(std::move(path)), listen_fd_(listen_fd), wake_fd_(wake_fd), dev_(dev), ino_(ino) {}

UnixListener::~UnixListener() {
  stop();
  ::close(listen_fd_);
  ::close(wake_fd_);
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
  // Remove the socket only if it is still the one we made (a second daemon
  // started by mistake must not take the first one's socket away).
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) ::unlink(path_.c_str());
}

void UnixListener::start(grpc::Server& server, Access& access) {
  thread_ = std::thread([this, &server, &access] { run(server, access); });
}

void UnixListener::stop() {
  stopping_ = true;
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void UnixListener::run(grpc::Server& server, Access& access) {
  auto backoff = [&] {
    pollfd wake{wake_fd_, POLLIN, 0};
    ::poll(&wake, 1, kBackoffMs);
  };
  while (!stopping_) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno != EINTR) backoff();
      continue;
    }
    if (fds[1].revents != 0) break;
    while (!stopping_) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) {
        int error = errno;
        if (error == EINTR || error == ECONNABORTED) continue;
        if (error == EAGAIN || error == EWOULDBLOCK) break;
        if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
          on_fd_exhaustion(error);
        } else {
          log_warning("discrecd: accept on " + path_ + ": " + std::strerror(error));
        }
        backoff();
        break;
      }
      if (out_of_fds_) {
        out_of_fds_ = false;
        log_info("discrecd: accepting connections on " + path_ + " again");
      }
      accept_one(fd, server, access);
    }
  }
}

void UnixListener::on_fd_exhaustion(int error) {
  // Once per burst: a flood would otherwise fill the journal.
  if (!out_of_fds_) {
    out_of_fds_ = true;
    log_warning("discrecd: accept on " + path_ + ": " + std::strerror(error) +
                "; closing new connections until descriptors are free (see LimitNOFILE and limits.max_connections)");
  }
  // Turn the waiting connections away instead of leaving them in the
  // backlog, where their clients would hang: the reserve fd's slot takes
  // each in turn (accept, close). Bounded, so a flood cannot keep the loop
  // here; what is left waits for the next round.
  if (reserve_fd_ >= 0) {
    ::close(reserve_fd_);
    reserve_fd_ = -1;
    for (int turned_away = 0; turned_away < 1024; ++turned_away) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) break;
      ::close(fd);
    }
  }
  reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // -1 while none is free; retried next time
}

void UnixListener::accept_one(int fd, grpc::Server& server, Access& access) {
  UnixCredentials credentials;
  ucred cred{};
  socklen_t length = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
    log_warning(std::string("discrecd: SO_PEERCRED on a new connection: ") + std::strerror(errno));
    ::close(fd);
    return;
  }
  credentials.uid = cred.uid;
  credentials.gid = cred.gid;
  credentials.pid = cred.pid;
  std::vector<gid_t> groups(64);
  for (int attempt = 0; attempt < 2; ++attempt) {
    socklen_t bytes = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &bytes) == 0) {
      groups.resize(bytes / sizeof(gid_t));
      credentials.groups.assign(groups.begin(), groups.end());
      break;
    }
    if (errno != ERANGE) break;  // no supplementary groups known: primary gid only
    groups.resize(bytes / sizeof(gid_t) + 1);
  }
  Peer peer = access.policy().unix_peer(credentials);
  Status admitted = access.connections().admit(fd, peer, credentials.uid);
  if (!admitted.ok()) {
    ::close(fd);
    ++refusals_since_log_;
    auto now = std::chrono::steady_clock::now();
    if (now - last_refusal_log_ >= kRefusalLogInterval) {
      log_warning("discrecd: refused " + std::to_string(refusals_since_log_) + " connection(s), latest from " +
                  peer.description + " (pid " + std::to_string(credentials.pid) + "): " + admitted.error().message());
      last_refusal_log_ = now;
      refusals_since_log_ = 0;
    }
    return;
  }
  // From here gRPC owns fd and closes it when the connection ends.
  grpc::AddInsecureChannelFromFd(&server, fd);
}

}  // namespace discrec::daemon
