#include "tests/integration/daemon/daemon_fixture.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace discrec::test {

std::string DaemonOptions::default_sources_toml() {
  const char* base = std::getenv("TMPDIR");
  std::string tmp = base && *base ? base : "/tmp";
  return "[sources]\nschemes = [\"udp\", \"rtp\", \"rtsp\", \"http\"]\nnetworks = [\"127.0.0.0/8\"]\n"
         "directories = [\"" + tmp + "\"]\n";
}

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
    out << options.extra_toml << "\n" << options.sources_toml << "\n[drives]\n";
    for (const auto& [id, query] : options.sim_drives) {
      std::string q = query;
      if (auto at = q.find("{dir}"); at != std::string::npos) q.replace(at, 5, dir_.path());
      out << id << " = { uri = \"sim://" << dir_.file(id + ".img") << "?" << q << "\", write_kbps = "
          << options.write_kbps << " }\n";
    }
  }
  argv_ = options.launcher;
  argv_.insert(argv_.end(), {binary_path("daemon/discrecd"), "serve", "--config", config});
  process_ = std::make_unique<Process>(argv_, log_file_);
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

bool Daemon::restart() {
  if (process_ && process_->running()) return false;
  log_file_ = dir_.file("discrecd-restart" + std::to_string(++restarts_) + ".log");
  process_ = std::make_unique<Process>(argv_, log_file_);
  channel = grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials());
  daemon = v1::DaemonService::NewStub(channel);
  // The old socket file is there until the new daemon replaces it: wait
  // for an answer, not for a connection.
  bool answered = false;
  for (int i = 0; i < 300 && !answered && process_->running(); ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    v1::DaemonInfo info;
    answered = daemon->GetDaemonInfo(&ctx, {}, &info).ok();
    if (!answered) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  drives = v1::DriveService::NewStub(channel);
  recordings = v1::RecordingService::NewStub(channel);
  discs = v1::DiscService::NewStub(channel);
  events = v1::EventService::NewStub(channel);
  started_ = answered;
  return answered;
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

int count_video_frames(const std::string& file) {
  auto r = run_command({"ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                        "stream=nb_read_frames", "-of", "csv=p=0", file});
  if (r.exit_code != 0) return -1;
  // The count is the line of digits; a damaged stream adds error lines
  // (stderr, in any order with it).
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line.find_first_not_of("0123456789") == std::string::npos) return std::atoi(line.c_str());
  return -1;
}

// Extracts the disc image with 7z into `out_dir`; returns the .ts files found.
std::vector<std::string> extract_with_7z(const std::string& image, const std::string& out_dir) {
  std::string seven = have_program("7zz") ? "7zz" : "7z";
  auto r = run_command({seven, "x", "-y", "-o" + out_dir, image});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(out_dir))
    if (e.path().extension() == ".ts") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

v1::Recording get_recording(Daemon& d, const std::string& name) {
  grpc::ClientContext ctx;
  v1::GetRecordingRequest req;
  req.set_name(name);
  v1::Recording r;
  auto s = d.recordings->GetRecording(&ctx, req, &r);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return r;
}

v1::Drive get_drive(Daemon& d, uint64_t bitrate_bps) {
  grpc::ClientContext ctx;
  v1::GetDriveRequest req;
  req.set_name("drives/bd0");
  req.set_bitrate_bps(bitrate_bps);
  v1::Drive drive;
  auto s = d.drives->GetDrive(&ctx, req, &drive);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return drive;
}

v1::ListRecordingsResponse list_recordings(Daemon& d, const std::string& drive) {
  grpc::ClientContext ctx;
  v1::ListRecordingsRequest req;
  req.set_parent(drive);
  v1::ListRecordingsResponse list;
  auto s = d.recordings->ListRecordings(&ctx, req, &list);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return list;
}

grpc::Status start_recording(Daemon& d, const std::string& drive, const std::string& url, uint64_t bitrate,
                             v1::Recording* out, const std::string& title, int priority, uint64_t ring_bytes) {
  grpc::ClientContext ctx;
  v1::StartRecordingRequest req;
  req.set_parent(drive);
  req.set_source_url(url);
  req.set_expected_bitrate_bps(bitrate);
  req.set_title(title);
  req.set_priority(priority);
  req.set_ring_size_bytes(ring_bytes);
  return d.recordings->StartRecording(&ctx, req, out);
}

grpc::Status stop_recording(Daemon& d, const std::string& name, v1::Recording* out) {
  grpc::ClientContext ctx;
  v1::StopRecordingRequest req;
  req.set_name(name);
  v1::Recording ignored;
  return d.recordings->StopRecording(&ctx, req, out != nullptr ? out : &ignored);
}

v1::DiscOperationProgress run_disc_operation(Daemon& d, bool finalize, grpc::Status* status) {
  grpc::ClientContext ctx;
  v1::DiscOperationProgress p, last;
  if (finalize) {
    v1::FinalizeDiscRequest req;
    req.set_name("drives/bd0");
    req.set_volume_label("TEST");
    req.set_close_disc(true);
    auto reader = d.discs->FinalizeDisc(&ctx, req);
    while (reader->Read(&p)) last = p;
    *status = reader->Finish();
  } else {
    v1::VerifyDiscRequest req;
    req.set_name("drives/bd0");
    auto reader = d.discs->VerifyDisc(&ctx, req);
    while (reader->Read(&p)) last = p;
    *status = reader->Finish();
  }
  return last;
}

}  // namespace discrec::test
