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
  // The [sources] table of the config. The default lets the tests record
  // files from their temporary directories ($TMPDIR or /tmp) and loopback
  // udp/rtp/rtsp/http, which the daemon's own default refuses.
  std::string sources_toml = default_sources_toml();
  static std::string default_sources_toml();
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
  // Starts discrecd again on the same config and state directory once the
  // test has stopped or killed it (the journal and disc images stay), and
  // points the stubs at the new process. Its output goes to a log of its
  // own, which log() then names. False if it does not answer in time.
  bool restart();

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
  std::vector<std::string> argv_;
  int restarts_ = 0;
  bool started_ = false;
};

// ffprobe's count of the first video stream's frames; -1 if it cannot tell.
int count_video_frames(const std::string& file);
// Extracts a disc image with 7z into `out_dir`; the .ts files found, sorted.
std::vector<std::string> extract_with_7z(const std::string& image, const std::string& out_dir);

// One call each, as a client would make it (failures are test failures).
v1::Recording get_recording(Daemon& d, const std::string& name);
v1::ListRecordingsResponse list_recordings(Daemon& d, const std::string& drive);
// bd0 as GetDrive answers, with the time its disc holds at `bitrate_bps` (0: none).
v1::Drive get_drive(Daemon& d, uint64_t bitrate_bps = 0);
grpc::Status start_recording(Daemon& d, const std::string& drive, const std::string& url, uint64_t bitrate,
                             v1::Recording* out, const std::string& title = "", int priority = 0,
                             uint64_t ring_bytes = 0);
grpc::Status stop_recording(Daemon& d, const std::string& name, v1::Recording* out = nullptr);
// Finalizes (label "TEST", closed) or verifies bd0; the last progress message.
v1::DiscOperationProgress run_disc_operation(Daemon& d, bool finalize, grpc::Status* status);

}  // namespace discrec::test
