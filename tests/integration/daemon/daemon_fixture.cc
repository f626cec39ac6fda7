#include "tests/integration/daemon/daemon_fixture.h"

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

namespace discrec::test {

Daemon::Daemon(const DaemonOptions& options) {
  socket_ = dir_.file("discrecd.sock");
  log_file_ = dir_.file("discrecd.log");
  std::string config = dir_.file("discrecd.toml");
  for (const auto& [name, text] : options.files) std::ofstream(dir_.file(name)) << text;
  if (options.traversable_dir) ::chmod(dir_.path().c_str(), 0755);
  if (options.before_start) options.before_start(dir_);
  {
    std::ofstream out(config);
    out << "[daemon]\nsocket = \"" << socket_ << "\"\nstate_directory = \"" << dir_.path() << "\"\n";
    out << options.extra_toml << "\n[drives]\n";
    for (const auto& [id, query] : options.sim_drives) {
      std::string q = query;
      if (auto at = q.find("{dir}"); at != std::string::npos) q.replace(at, 5, dir_.path());
      out << id << " = { uri = \"sim://" << dir_.file(id + ".img") << "?" << q << "\", write_kbps = "
          << options.write_kbps << " }\n";
    }
  }
  std::vector<std::string> argv = options.launcher;
  argv.insert(argv.end(), {binary_path("daemon/discrecd"), "serve", "--config", config});
  process_ = std::make_unique<Process>(argv, log_file_);
  if (!wait_for_file(socket_, std::chrono::seconds(30))) return;
  channel = grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) return;
  drives = v1::DriveService::NewStub(channel);
  recordings = v1::RecordingService::NewStub(channel);
  discs = v1::DiscService::NewStub(channel);
  events = v1::EventService::NewStub(channel);
  daemon = v1::DaemonService::NewStub(channel);
  started_ = true;
}

Daemon::~Daemon() {
  if (process_ && process_->running()) {
    process_->signal(SIGTERM);
    if (process_->wait(std::chrono::seconds(30)) == -1) process_->signal(SIGKILL);
  }
}

CommandResult Daemon::cli(std::vector<std::string> args, std::chrono::milliseconds timeout) {
  args.insert(args.begin(), {binary_path("clients/discrec"), "--socket", socket_});
  return run_command(args, timeout);
}

}  // namespace discrec::test
