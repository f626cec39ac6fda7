// Starts a real discrecd process on a private Unix socket with emulated
// drives under a temporary state directory, and connects a gRPC client.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "discrec/v1/daemon.grpc.pb.h"
#include "discrec/v1/discs.grpc.pb.h"
#include "discrec/v1/drives.grpc.pb.h"
#include "discrec/v1/events.grpc.pb.h"
#include "discrec/v1/recordings.grpc.pb.h"
#include "tests/support/process.h"

namespace discrec::test {

struct DaemonOptions {
  // Extra TOML appended to the generated config (drives, limits).
  std::string extra_toml;
  // Drives as id -> sim query string, e.g. {"bd0", "profile=bd-re&speed=4"}.
  // "{dir}" in a query is replaced by the state directory.
  std::vector<std::pair<std::string, std::string>> sim_drives = {{"bd0", "profile=bd-re&speed=4"}};
  // Write speed the daemon asks for (kB/s; 0 = fastest the disc allows).
  uint32_t write_kbps = 0;
  // Files written into the state directory before the daemon starts (fault scripts).
  std::vector<std::pair<std::string, std::string>> files;
  // Runs before the daemon starts, with the state directory (mkfifo, chmod).
  std::function<void(const TempDir&)> before_start;
  // Command the daemon is started under, e.g. {"prlimit", "--nofile=64:64", "--"}.
  std::vector<std::string> launcher;
  // chmod 0755 the state directory, so other uids can reach the socket.
  bool traversable_dir = false;
};

class Daemon {
 public:
  explicit Daemon(const DaemonOptions& options = {});
  ~Daemon();

  bool started() const { return started_; }
  const std::string& log() const { return log_file_; }
  std::string log_text() const { return read_file(log_file_); }
  const std::string& socket() const { return socket_; }
  const TempDir& dir() const { return dir_; }
  std::string image(const std::string& drive_id) const { return dir_.file(drive_id + ".img"); }
  Process& process() { return *process_; }

  // Runs the real CLI against this daemon.
  CommandResult cli(std::vector<std::string> args, std::chrono::milliseconds timeout = std::chrono::seconds(120));

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::DriveService::Stub> drives;
  std::unique_ptr<v1::RecordingService::Stub> recordings;
  std::unique_ptr<v1::DiscService::Stub> discs;
  std::unique_ptr<v1::EventService::Stub> events;
  std::unique_ptr<v1::DaemonService::Stub> daemon;

 private:
  TempDir dir_;
  std::string socket_;
  std::string log_file_;
  std::unique_ptr<Process> process_;
  bool started_ = false;
};

}  // namespace discrec::test
