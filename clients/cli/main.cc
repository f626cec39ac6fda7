// discrec: the command-line client of discrecd (gRPC over the Unix socket by
// default). Every subcommand mirrors one API call; --json prints the API's
// messages for scripts. The command line is parsed in command_line.cc;
// the exit codes are ExitCode there.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <csignal>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include "base/file_io.h"
#include "clients/cli/command_line.h"
#include "clients/cli/output.h"
#include "discrec/v1/catalog.grpc.pb.h"
#include "discrec/v1/daemon.grpc.pb.h"
#include "discrec/v1/discs.grpc.pb.h"
#include "discrec/v1/drives.grpc.pb.h"
#include "discrec/v1/events.grpc.pb.h"
#include "discrec/v1/recordings.grpc.pb.h"

namespace discrec::cli {
namespace {

namespace v1 = discrec::v1;
using google::protobuf::util::TimeUtil;

bool finished(v1::RecordingState s) {
  return s == v1::RECORDING_STATE_STOPPED || s == v1::RECORDING_STATE_FAILED || s == v1::RECORDING_STATE_RECOVERED;
}

std::atomic<bool> g_interrupted{false};

std::string drive_name(const std::string& s) { return s.rfind("drives/", 0) == 0 ? s : "drives/" + s; }

std::string recording_name(const std::string& s) {
  if (s.rfind("drives/", 0) == 0) return s;
  auto slash = s.find('/');
  if (slash == std::string::npos) return s;  // the daemon explains the expected form
  return "drives/" + s.substr(0, slash) + "/recordings/" + s.substr(slash + 1);
}

// "drives/bd0/recordings/rec001" → "bd0/rec001", the form commands take.
std::string short_recording_name(const std::string& name) {
  constexpr std::string_view kMiddle = "/recordings/";
  auto middle = name.find(kMiddle);
  if (name.rfind("drives/", 0) != 0 || middle == std::string::npos) return name;
  return name.substr(7, middle - 7) + "/" + name.substr(middle + kMiddle.size());
}

std::shared_ptr<grpc::Channel> g_channel;

// The daemon answers UNAVAILABLE for a busy drive and when it stops; gRPC
// for a daemon it cannot reach. Only the channel's state tells them apart.
int fail(const grpc::Status& status) {
  const bool reached = g_channel && g_channel->GetState(false) == GRPC_CHANNEL_READY;
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      (!reached || status.error_message().rfind("discrecd is stopping", 0) == 0)) {
    std::cerr << "discrec: cannot reach discrecd: " << status.error_message()
              << "\n  (is the daemon running? check --socket/--target or $DISCREC_SOCKET/$DISCREC_TARGET)\n";
    return kUnreachable;
  }
  std::cerr << "discrec: " << status.error_message() << "\n";
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) return kBusy;
  if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
      status.error_code() == grpc::StatusCode::UNAUTHENTICATED)
    return kDenied;
  return kFailed;
}

// Ctrl-C ends a following command promptly: a watcher thread cancels the
// call that is waiting (a signal handler may not call into gRPC).
class CancelOnInterrupt {
 public:
  explicit CancelOnInterrupt(grpc::ClientContext& ctx) : watcher_([this, &ctx] {
    while (!done_.load()) {
      if (g_interrupted.load()) {
        cancelled_ = true;  // before the cancel: the caller may see it at once
        ctx.TryCancel();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }) {}
  ~CancelOnInterrupt() {
    done_ = true;
    watcher_.join();
  }
  bool cancelled() const { return cancelled_.load(); }

 private:
  std::atomic<bool> done_{false};
  std::atomic<bool> cancelled_{false};
  std::thread watcher_;
};

std::string human_duration(const google::protobuf::Duration& d) {
  int64_t s = d.seconds();
  char buf[64];
  if (s >= 86400) std::snprintf(buf, sizeof buf, "%lld d %lld h", static_cast<long long>(s / 86400), static_cast<long long>(s % 86400 / 3600));
  else if (s >= 3600) std::snprintf(buf, sizeof buf, "%lld h %lld min", static_cast<long long>(s / 3600), static_cast<long long>(s % 3600 / 60));
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%lld min %lld s", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  else std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(s));
  return buf;
}

// --since: "#SEQ" (events after number SEQ), an age ("90s", "10m", "2h",
// "1d") or an RFC 3339 time ("2026-12-04T17:00:00Z").
bool parse_since(const std::string& text, v1::WatchEventsRequest& req) {
  auto digits = [](const std::string& s) {
    return !s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (text[0] == '#') {
    if (!digits(text.substr(1))) return false;
    req.set_after_sequence(std::stoull(text.substr(1)));
    return true;
  }
  const std::string number = text.substr(0, text.size() - 1);
  const char unit = text.back();
  if (digits(number) && (unit == 's' || unit == 'm' || unit == 'h' || unit == 'd') && number.size() <= 9) {
    const int64_t n = std::stoll(number);
    const int64_t seconds = unit == 's' ? n : unit == 'm' ? n * 60 : unit == 'h' ? n * 3600 : n * 86400;
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    req.mutable_since_time()->set_seconds(now - seconds);
    return true;
  }
  return TimeUtil::FromString(text, req.mutable_since_time());
}

class Client {
 public:
  Client(std::shared_ptr<grpc::Channel> channel, OutputOptions out)
      : drives_(v1::DriveService::NewStub(channel)),
        recordings_(v1::RecordingService::NewStub(channel)),
        discs_(v1::DiscService::NewStub(channel)),
        events_(v1::EventService::NewStub(channel)),
        daemon_(v1::DaemonService::NewStub(channel)),
        catalog_(v1::CatalogService::NewStub(channel)),
        out_(out) {}

  int info() {
    grpc::ClientContext ctx;
    v1::DaemonInfo info;
    auto s = daemon_->GetDaemonInfo(&ctx, {}, &info);
    if (!s.ok()) return fail(s);
    if (out_.json) return print_json(info), 0;
    std::cout << "discrecd " << info.version() << ", up " << human_duration(info.uptime()) << ", "
              << info.active_recordings() << " active recording(s)\nstate directory: " << info.state_directory()
              << "\ndrives:";
    for (const auto& d : info.drives()) std::cout << " " << d;
    std::cout << "\n";
    return 0;
  }

  int drives() {
    grpc::ClientContext ctx;
    v1::ListDrivesResponse response;
    auto s = drives_->ListDrives(&ctx, {}, &response);
    if (!s.ok()) return fail(s);
    if (out_.json) return print_json(response), 0;
    std::printf("%-12s %-10s %-12s %-10s %-10s %s\n", "DRIVE", "MEDIUM", "STATUS", "WRITES", "FREE", "URI");
    for (const auto& d : response.drives()) {
      const auto& m = d.medium();
      std::printf("%-12s %-10s %-12s %-10s %-10s %s\n", d.drive_id().c_str(), m.profile_name().c_str(),
                  v1::DiscStatus_Name(m.status()).substr(12).c_str(), write_mode_word(d.write_mode()),
                  human_bytes(m.free_blocks() * uint64_t{m.block_size() ? m.block_size() : 2048}).c_str(),
                  d.uri().c_str());
      if (!d.not_ready_reason().empty()) std::printf("             not ready: %s\n", d.not_ready_reason().c_str());
    }
    return 0;
  }

  // How the disc is (or would be) written: "streaming", "plain", "plain/2"
  // (half speed booked on spare areas), "-" (no choice: see not ready).
  static const char* write_mode_word(const v1::WriteMode& m) {
    if (!m.chosen()) return "-";
    return m.streaming() ? "streaming" : m.half_speed() ? "plain/2" : "plain";
  }

  void print_drive(const v1::Drive& d) {
    std::cout << d.name() << "  " << d.vendor() << " " << d.product() << " " << d.revision() << "\n"
              << "  uri:        " << d.uri() << "\n"
              << "  medium:     " << d.medium().profile_name() << ", " << v1::DiscStatus_Name(d.medium().status())
              << ", free " << human_bytes(d.medium().free_blocks() * uint64_t{2048}) << ", next writable LBA "
              << d.medium().next_writable_address() << "\n";
    if (d.medium().recording()) {
      std::cout << "  recording:  " << human_bytes(d.medium().used_blocks() * uint64_t{2048}) << " used, "
                << (d.medium().full() ? std::string("the disc is full")
                    // Open with nothing recording (between recordings, or
                    // kept open across a restart): no bitrate to time it by.
                    : d.medium().recording_bitrate_bps() == 0
                        ? human_bytes(d.medium().free_blocks() * uint64_t{2048}) + " free, the disc is open"
                        : "about " + human_duration(d.medium().recording_time_left()) + " left at " +
                              human_rate(d.medium().recording_bitrate_bps()))
                << "\n";
    }
    std::cout << "  streaming:  0x0107 " << (d.real_time_streaming().present() ? "present" : "absent") << ", "
              << (d.real_time_streaming().current() ? "current" : "not current")
              << (d.real_time_streaming().stream_writing() ? ", stream writing" : "") << "\n"
              << "  writes:     " << write_mode_word(d.write_mode()) << " (write_mode " << d.write_mode().policy()
              << (d.write_mode().reason().empty() ? "" : "; " + d.write_mode().reason()) << ")\n  speeds:    ";
    for (const auto& w : d.write_speeds()) std::printf(" %.1fx(%u kB/s)", w.multiple(), w.write_kbps());
    std::cout << "\n  guaranteed: " << human_rate(8.0 * static_cast<double>(d.guaranteed_bytes_per_second()))
              << ", admitted " << human_rate(8.0 * static_cast<double>(d.admitted_bytes_per_second())) << ", "
              << d.active_recordings() << " recording(s)\n";
    if (!d.writer_scheduling().empty()) std::cout << "  writer:     " << d.writer_scheduling() << "\n";
    for (const auto& q : d.quirks())
      std::cout << "  quirk:      " << q.name() << (q.value() ? "=" + std::to_string(q.value()) : "") << ": "
                << q.reason() << "\n";
    if (d.medium().has_volume()) {
      const auto& v = d.medium().volume();
      const uint64_t block = d.medium().block_size() ? d.medium().block_size() : 2048;
      std::cout << "  volume:     \"" << v.label() << "\", " << v.recordings() << " recording(s), " << v.files()
                << " file(s), " << human_bytes(v.free_blocks() * block) << " free\n";
      if (!v.not_appendable().empty())
        std::cout << "  appending:  refused: " << v.not_appendable() << "\n";
      else
        std::cout << "  appending:  the next recording may take " << human_bytes(v.recordable_blocks() * block)
                  << (v.has_time_left() ? ", about " + human_duration(v.time_left()) + " at " +
                                              human_rate(static_cast<double>(v.bitrate_bps()))
                                        : std::string())
                  << "\n";
    }
    if (!d.not_ready_reason().empty()) std::cout << "  not ready:  " << d.not_ready_reason() << "\n";
  }

  int drive(const std::string& name, uint64_t bitrate_bps) {
    grpc::ClientContext ctx;
    v1::GetDriveRequest req;
    req.set_name(drive_name(name));
    req.set_bitrate_bps(bitrate_bps);
    v1::Drive d;
    auto s = drives_->GetDrive(&ctx, req, &d);
    if (!s.ok()) return fail(s);
    if (out_.json) return print_json(d), 0;
    print_drive(d);
    return 0;
  }

  int prepare(const std::string& name, uint32_t kbps) {
    grpc::ClientContext ctx;
    v1::PrepareDriveRequest req;
    req.set_name(drive_name(name));
    req.set_write_kbps(kbps);
    v1::PrepareDriveResponse r;
    auto s = drives_->PrepareDrive(&ctx, req, &r);
    if (!s.ok()) return fail(s);
    if (out_.json) return print_json(r), 0;
    std::cout << "OPC: " << (r.opc_performed() ? std::string("done") : r.opc_note()) << "\nwrite speed: requested "
              << r.requested_write_kbps() << " kB/s, took effect " << r.effective_write_kbps() << " kB/s\n";
    return 0;
  }

  template <typename Req, typename Fn>
  int drive_action(const std::string& name, Fn call, Req req) {
    grpc::ClientContext ctx;
    req.set_name(drive_name(name));
    v1::Drive d;
    auto s = call(&ctx, req, &d);
    if (!s.ok()) return fail(s);
    if (out_.json) return print_json(d), 0;
    print_drive(d);
    return 0;
  }

  int load(const std::string& n) {
    return drive_action(n, [&](auto* c, auto& r, auto* d) { return drives_->LoadMedium(c, r, d); }, v1::LoadMediumRequest{});
  }
  int eject(const std::string& n) {
    return drive_action(n, [&](auto* c, auto& r, auto* d) { return drives_->EjectMedium(c, r, d); }, v1::EjectMediumRequest{});
  }
  int format(const std::string& n, bool spare, bool force) {
    v1::FormatMediumRequest req;
    req.set_spare_areas(spare);
    req.set_force(force);
    return drive_action(n, [&](auto* c, auto& r, auto* d) { return drives_->FormatMedium(c, r, d); }, req);
  }

  std::string recording_line(const v1::Recording& r) {
    const auto& s = r.stats();
    double fill = s.ring_capacity_bytes() ? static_cast<double>(s.ring_fill_bytes()) / s.ring_capacity_bytes() : 0;
    // Short enough for an 80-column terminal in the common case; what is
    // rare (sheds, losses, gaps, warnings) is appended when it happens.
    char ring[16];
    std::snprintf(ring, sizeof ring, "ring %.0f%%", fill * 100);
    std::string line = short_recording_name(r.name()) + " " + v1::RecordingState_Name(r.state()).substr(16) + "  " +
                       human_bytes(s.bytes_written()) + " on disc of " + human_bytes(s.bytes_in()) + "  " +
                       human_rate(s.input_bitrate_bps()) + "  " + ring;
    if (s.shed_bytes()) line += "  shed " + human_bytes(s.shed_bytes()) + " (" + std::to_string(s.shed_gops()) + " GOPs)";
    if (s.lost_bytes()) line += "  lost " + human_bytes(s.lost_bytes());
    if (!r.source_gaps().empty()) line += "  gaps " + std::to_string(r.source_gaps_size());
    if (r.has_source_silent_for())
      line += "  source silent for " + std::to_string(r.source_silent_for().seconds()) + " s";
    if (s.over_declared_rate()) line += "  OVER DECLARED RATE";
    if (s.ring_not_locked()) line += "  ring not locked in RAM";
    if (r.write_mode().chosen() && !r.write_mode().streaming()) line += "  plain writes";
    if (r.parts_size() > 0) {
      // Which disc it is on now: the newest part that is not only made ready.
      const v1::RecordingPart* now = &r.parts(0);
      for (const auto& p : r.parts())
        if (p.state() != "ready") now = &p;
      line += "  part " + std::to_string(now->part()) + "/" + std::to_string(r.parts_size()) + " on " +
              short_recording_name(now->recording()).substr(0, short_recording_name(now->recording()).find('/'));
    }
    return line;
  }

  int watch(const std::string& name, bool stop_on_interrupt) {
    grpc::ClientContext ctx;
    v1::WatchRecordingRequest req;
    req.set_name(recording_name(name));
    *req.mutable_interval() = TimeUtil::MillisecondsToDuration(out_.tty ? 250 : 1000);
    std::optional<CancelOnInterrupt> cancel;
    if (!stop_on_interrupt) cancel.emplace(ctx);  // `record` stops the recording instead
    auto reader = recordings_->WatchRecording(&ctx, req);
    v1::Recording r, last;
    ProgressLine line(out_, /*throttle=*/false);
    bool stop_sent = false;
    while (reader->Read(&r)) {
      last = r;
      if (out_.json) print_json(r);
      else line.update(recording_line(r));
      if (stop_on_interrupt && g_interrupted && !stop_sent) {
        stop_sent = true;
        line.finish();
        std::cerr << "stopping " << r.name() << " ...\n";
        stop(r.name(), /*print=*/false);
      }
    }
    line.finish();
    auto s = reader->Finish();
    if (cancel && cancel->cancelled()) return kOk;  // Ctrl-C: the recording goes on
    if (!s.ok()) return fail(s);
    if (!out_.json) print_summary(last);
    if (!finished(last.state())) {
      std::cerr << "discrec: the daemon ended the watch before the recording ended\n";
      return kUnreachable;
    }
    return last.state() == v1::RECORDING_STATE_FAILED ? kFailed : kOk;
  }

  void print_summary(const v1::Recording& r) {
    const auto& s = r.stats();
    std::cout << r.name() << ": " << v1::RecordingState_Name(r.state()).substr(16) << ", "
              << human_bytes(s.bytes_written()) << " on disc of " << human_bytes(s.bytes_in()) << " received";
    if (s.shed_bytes()) std::cout << ", shed " << human_bytes(s.shed_bytes()) << " in " << s.shed_gops() << " GOPs";
    if (r.lost_extents_size()) std::cout << ", " << r.lost_extents_size() << " lost extent(s)";
    if (r.source_gaps_size()) std::cout << ", " << r.source_gaps_size() << " source gap(s)";
    std::cout << "\n";
    if (!r.error().empty()) std::cout << "  error: " << r.error() << "\n";
    if (r.write_mode().chosen() && !r.write_mode().streaming())
      std::cout << "  written without the Streaming bit: " << r.write_mode().reason() << "\n";
    for (const auto& p : r.parts()) {
      std::cout << "  part " << p.part() << ": " << short_recording_name(p.recording()) << ", " << p.state() << ", "
                << human_bytes(p.bytes());
      if (!p.volume_label().empty()) std::cout << ", label '" << p.volume_label() << "'";
      if (p.has_slot()) std::cout << ", back in slot " << p.slot();
      if (!p.note().empty()) std::cout << " (" << p.note() << ")";
      std::cout << "\n";
    }
  }

  int record(const CommandLine& c) {
    const std::string& source = c.source;
    v1::StartRecordingRequest req;
    req.set_parent(drive_name(c.drive));
    req.set_source_url(source);
    req.set_title(c.title);
    req.set_priority(c.priority);
    req.set_expected_bitrate_bps(c.bitrate_bps);
    if (c.latency_ms) *req.mutable_latency_budget() = TimeUtil::MillisecondsToDuration(*c.latency_ms);
    if (c.ring_bytes) req.set_ring_size_bytes(*c.ring_bytes);
    if (c.duration_s) req.mutable_expected_duration()->set_seconds(*c.duration_s);
    req.set_recording_id(c.id);
    v1::Recording r;
    if (is_local_source(source)) {
      // The daemon never opens a path for a client: this client reads the
      // file (with its own permissions) and sends the bytes.
      if (c.detach) {
        std::cerr << "discrec record: --detach needs a network source; a file or - is sent by this client, "
                     "which must stay until the last byte\n";
        return kBadUsage;
      }
      int rc = upload(source, req, &r);
      if (rc != 0) return rc;
    } else {
      grpc::ClientContext ctx;
      auto s = recordings_->StartRecording(&ctx, req, &r);
      if (!s.ok()) return fail(s);
    }
    if (out_.json) print_json(r);
    else std::cerr << "recording " << r.name() << " from " << r.source_url() << "\n";
    if (c.detach) {
      if (!out_.json) std::cout << r.name() << "\n";
      return 0;
    }
    return watch(r.name(), /*stop_on_interrupt=*/true);
  }

  // "-", a path, or file:PATH: what this client can read itself.
  static bool is_local_source(const std::string& source) {
    return source == "-" || source.find("://") == std::string::npos;
  }

  // Sends SOURCE's bytes over UploadRecording; on return `r` is the
  // recording, which goes on writing what it received.
  int upload(const std::string& source, v1::StartRecordingRequest req, v1::Recording* r) {
    std::string path = source.rfind("file:", 0) == 0 ? source.substr(5) : source;
    int fd = path == "-" ? STDIN_FILENO : discrec::file_io::open_file(path, O_RDONLY);
    if (fd < 0) {
      std::cerr << "discrec record: cannot read " << path << ": " << std::strerror(errno) << "\n";
      return 1;
    }
    req.set_source_url(path == "-" ? "-" : std::filesystem::path(path).filename().string());
    grpc::ClientContext ctx;
    auto writer = recordings_->UploadRecording(&ctx, r);
    v1::UploadRecordingRequest message;
    *message.mutable_start() = req;
    bool sent = writer->Write(message);
    ProgressLine line(out_, /*throttle=*/true);
    std::string buffer(256 * 1024, '\0');
    uint64_t total = 0;
    while (sent && !g_interrupted) {
      ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        std::cerr << "discrec record: reading " << path << ": " << std::strerror(errno) << "\n";
        break;
      }
      if (n == 0) break;
      message.set_data(buffer.data(), static_cast<size_t>(n));
      sent = writer->Write(message);  // waits while the daemon is behind
      total += static_cast<uint64_t>(n);
      if (!out_.json) line.update("sending " + path + ": " + human_bytes(total));
    }
    line.finish();
    if (fd != STDIN_FILENO) ::close(fd);
    if (g_interrupted && !out_.json) std::cerr << "interrupted: the recording keeps what was sent\n";
    writer->WritesDone();
    auto s = writer->Finish();
    if (!s.ok()) return fail(s);
    g_interrupted = false;  // the upload ended; following the recording is next
    return 0;
  }

  int recordings(const std::string& drive) {
    v1::ListRecordingsRequest req;
    req.set_parent(drive.empty() ? "drives/-" : drive_name(drive));
    req.set_page_size(200);
    v1::ListRecordingsResponse all;
    for (;;) {
      grpc::ClientContext ctx;
      v1::ListRecordingsResponse page;
      auto s = recordings_->ListRecordings(&ctx, req, &page);
      if (!s.ok()) return fail(s);
      for (auto& r : *page.mutable_recordings()) *all.add_recordings() = std::move(r);
      if (page.next_page_token().empty()) break;
      req.set_page_token(page.next_page_token());
    }
    if (out_.json) return print_json(all), 0;
    for (const auto& r : all.recordings()) print_summary(r);
    if (all.recordings().empty()) std::cout << "no recordings\n";
    return 0;
  }

  // Which part of which recording is on which disc: every recording's, or
  // one recording's parts.
  int catalog(const std::string& recording_id) {
    v1::ListCatalogRequest req;
    req.set_recording_id(recording_id);
    req.set_page_size(200);
    v1::ListCatalogResponse all;
    for (;;) {
      grpc::ClientContext ctx;
      v1::ListCatalogResponse page;
      auto s = catalog_->ListCatalog(&ctx, req, &page);
      if (!s.ok()) return fail(s);
      for (auto& p : *page.mutable_parts()) *all.add_parts() = std::move(p);
      if (page.next_page_token().empty()) break;
      req.set_page_token(page.next_page_token());
    }
    if (out_.json) return print_json(all), 0;
    if (all.parts().empty()) {
      std::cout << (recording_id.empty() ? "the catalog is empty\n" : "no recording " + recording_id + " in the catalog\n");
      return recording_id.empty() ? kOk : kFailed;
    }
    std::printf("%-24s %4s %-10s %-16s %-16s %10s  %s\n", "RECORDING", "PART", "STATE", "DISC", "VOLUME", "SIZE",
                "ON DRIVE");
    for (const auto& p : all.parts()) {
      std::string volume = p.volume_id().empty() ? "-" : p.volume_id();
      std::printf("%-24s %4u %-10s %-16s %-16s %10s  %s\n", p.recording_id().c_str(), p.part(),
                  lower(v1::CatalogState_Name(p.state()).substr(14)).c_str(), p.disc().c_str(), volume.c_str(),
                  human_bytes(p.bytes()).c_str(), short_recording_name(p.recording()).c_str());
      std::string details;
      if (!p.title().empty()) details += "title '" + p.title() + "'";
      if (!p.pool().empty()) details += std::string(details.empty() ? "" : ", ") + "pool " + p.pool();
      if (p.has_slot()) details += std::string(details.empty() ? "" : ", ") + "slot " + std::to_string(p.slot());
      if (p.lost_extents())
        details += std::string(details.empty() ? "" : ", ") + std::to_string(p.lost_extents()) + " lost extent(s), " +
                   human_bytes(p.lost_bytes());
      if (!details.empty()) std::printf("    %s\n", details.c_str());
      if (!p.note().empty()) std::printf("    note: %s\n", p.note().c_str());
    }
    return kOk;
  }

  static std::string lower(std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  }

  int stop(const std::string& name, bool print = true) {
    if (print) {  // say so when there is nothing to stop
      grpc::ClientContext get_ctx;
      v1::GetRecordingRequest get;
      get.set_name(recording_name(name));
      v1::Recording before;
      if (recordings_->GetRecording(&get_ctx, get, &before).ok() && finished(before.state())) {
        if (out_.json) return print_json(before), 0;
        std::cout << before.name() << " had already ended\n";
        print_summary(before);
        return kOk;
      }
    }
    grpc::ClientContext ctx;
    v1::StopRecordingRequest req;
    req.set_name(recording_name(name));
    v1::Recording r;
    auto s = recordings_->StopRecording(&ctx, req, &r);
    if (!s.ok()) return fail(s);
    if (!print) return 0;
    if (out_.json) print_json(r);
    else print_summary(r);
    return 0;
  }

  template <typename Reader>
  int follow_operation(grpc::ClientContext& ctx, Reader& reader, const char* what) {
    v1::DiscOperationProgress p, last;
    ProgressLine line(out_);
    CancelOnInterrupt cancel(ctx);
    while (reader->Read(&p)) {
      last = p;
      if (out_.json) print_json(p);
      else if (!p.done()) line.update(progress_bar(p.fraction(), p.stage()));
    }
    line.finish();
    auto s = reader->Finish();
    if (cancel.cancelled()) {
      std::cerr << "discrec: interrupted; the daemon goes on (`discrec drive` shows when it is done)\n";
      return kInterrupted;
    }
    if (!s.ok()) return fail(s);
    if (!out_.json) {
      std::cout << what << ": " << last.summary() << "\n";
      if (!last.image_path().empty()) std::cout << "disc image: " << last.image_path() << "\n";
      for (const auto& m : last.mismatches())
        std::cout << "  MISMATCH " << m.recording() << " LBA " << m.first_lba() << " +" << m.block_count() << "\n";
    }
    return last.mismatches_size() > 0 ? 1 : 0;
  }

  int finalize(const CommandLine& c) {
    grpc::ClientContext ctx;
    v1::FinalizeDiscRequest req;
    req.set_name(drive_name(c.drive));
    req.set_volume_label(c.label);
    req.set_close_disc(!c.no_close);
    req.set_eject(c.eject);
    if (c.zero_fill_lost) req.set_lost_extents(v1::LOST_EXTENT_ENCODING_ZERO_FILLED);
    req.set_force(c.force);
    auto reader = discs_->FinalizeDisc(&ctx, req);
    return follow_operation(ctx, reader, "finalized");
  }

  // "bd0/rec003" or "bd0/<file>.ts" (or drives/bd0/recordings/rec003).
  int remove(const std::string& what) {
    const std::string name = recording_name(what);
    constexpr std::string_view kMiddle = "/recordings/";
    const size_t middle = name.find(kMiddle);
    if (middle == std::string::npos) {
      std::cerr << "discrec delete: name the recording as DRIVE/ID or DRIVE/FILE.ts, not '" << what << "'\n";
      return kBadUsage;
    }
    grpc::ClientContext ctx;
    v1::DeleteFromDiscRequest req;
    req.set_name(name.substr(0, middle));
    req.set_recording(name.substr(middle + kMiddle.size()));
    v1::DiscOperationProgress result;
    auto s = discs_->DeleteFromDisc(&ctx, req, &result);
    if (!s.ok()) return fail(s);
    if (out_.json) return print_json(result), 0;
    std::cout << "deleted: " << result.summary() << "\n";
    return 0;
  }

  int verify(const std::string& name) {
    grpc::ClientContext ctx;
    v1::VerifyDiscRequest req;
    req.set_name(drive_name(name));
    auto reader = discs_->VerifyDisc(&ctx, req);
    return follow_operation(ctx, reader, "verified");
  }

  int events(const std::string& drive, const std::string& since) {
    grpc::ClientContext ctx;
    v1::WatchEventsRequest req;
    if (!drive.empty()) req.set_drive(drive_name(drive));
    if (!since.empty() && !parse_since(since, req)) {
      std::cerr << "discrec events: --since takes an age (10m, 2h, 1d), a UTC time (2026-12-04T17:00:00Z) or "
                   "#SEQ, not '"
                << since << "'\n";
      return kBadUsage;
    }
    CancelOnInterrupt cancel(ctx);
    auto reader = events_->WatchEvents(&ctx, req);
    v1::Event e;
    while (reader->Read(&e)) {
      if (out_.json) {
        print_json(e);
        continue;
      }
      std::cout << "#" << e.sequence() << "  " << TimeUtil::ToString(e.time()) << "  "
                << v1::EventKind_Name(e.kind()).substr(11) << "  "
                << (e.recording().empty() ? e.drive() : e.recording()) << "  " << e.message();
      if (e.dropped()) std::cout << "  (" << e.dropped() << " earlier events dropped)";
      std::cout << std::endl;
    }
    auto s = reader->Finish();
    if (cancel.cancelled()) return kOk;
    if (!s.ok()) return fail(s);
    return 0;
  }

 private:
  std::unique_ptr<v1::DriveService::Stub> drives_;
  std::unique_ptr<v1::RecordingService::Stub> recordings_;
  std::unique_ptr<v1::DiscService::Stub> discs_;
  std::unique_ptr<v1::EventService::Stub> events_;
  std::unique_ptr<v1::DaemonService::Stub> daemon_;
  std::unique_ptr<v1::CatalogService::Stub> catalog_;
  OutputOptions out_;
};

}  // namespace
}  // namespace discrec::cli

namespace {
// Ctrl-C sets g_interrupted. POSIX: without SA_RESTART, so a read of
// standard input being sent ends at Ctrl-C. Windows: the CRT's signal(),
// run on a thread of its own; the loops poll the flag.
void catch_interrupt() {
#if defined(_WIN32)
  std::signal(SIGINT, [](int) { discrec::cli::g_interrupted = true; });
#else
  struct sigaction on_interrupt = {};
  on_interrupt.sa_handler = [](int) { discrec::cli::g_interrupted = true; };
  sigaction(SIGINT, &on_interrupt, nullptr);
#endif
}
}  // namespace

int main(int argc, char** argv) {
  using namespace discrec::cli;
  ParsedCommandLine parsed = parse_command_line(argc, argv);
  std::cout << parsed.out;
  std::cerr << parsed.err;  // errors, or what a unit was understood as
  if (parsed.exit_code) return *parsed.exit_code;
  const CommandLine& c = parsed.command;
  catch_interrupt();

  // --target, --socket, $DISCREC_TARGET, $DISCREC_SOCKET, the default socket
  // (Windows has none: discrecd listens on TCP there).
  std::string tcp_target = c.target;
  const char* env_target = std::getenv("DISCREC_TARGET");
  if (tcp_target.empty() && c.socket.empty() && env_target && *env_target) tcp_target = env_target;
  std::string target;
  if (!tcp_target.empty()) {
    target = tcp_target;
  } else {
    const char* env = std::getenv("DISCREC_SOCKET");
#if defined(_WIN32)
    if (c.socket.empty() && !env) {
      std::cerr << "discrec: name the daemon with --target HOST:PORT or $DISCREC_TARGET (on Windows discrecd "
                   "listens on TCP only)\n";
      return 2;
    }
#endif
    target = "unix:" + (!c.socket.empty() ? c.socket : env ? env : "/run/discrecd/discrecd.sock");
  }
  // TCP targets are TLS-only, like the daemon; a token comes from $DISCREC_TOKEN.
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (!tcp_target.empty()) {
    auto tls = grpc::SslCredentials(grpc::SslCredentialsOptions());
    if (const char* token = std::getenv("DISCREC_TOKEN"))
      creds = grpc::CompositeChannelCredentials(tls, grpc::AccessTokenCredentials(token));
    else
      creds = tls;
  }
  OutputOptions out{c.json, static_cast<bool>(isatty(STDERR_FILENO))};
  g_channel = grpc::CreateChannel(target, creds);
  Client client(g_channel, out);

  const std::string& cmd = c.command;
  if (cmd == "info") return client.info();
  if (cmd == "drives") return client.drives();
  if (cmd == "drive") return client.drive(c.drive, c.bitrate_bps);
  if (cmd == "prepare") return client.prepare(c.drive, c.speed_kbps);
  if (cmd == "load") return client.load(c.drive);
  if (cmd == "eject") return client.eject(c.drive);
  if (cmd == "format") return client.format(c.drive, c.spare_areas, c.force);
  if (cmd == "record") return client.record(c);
  if (cmd == "recordings") return client.recordings(c.drive);
  if (cmd == "watch") return client.watch(c.recording, false);
  if (cmd == "stop") return client.stop(c.recording);
  if (cmd == "finalize") return client.finalize(c);
  if (cmd == "verify") return client.verify(c.drive);
  if (cmd == "delete") return client.remove(c.recording);
  if (cmd == "events") return client.events(c.drive, c.since);
  if (cmd == "catalog") return client.catalog(c.recording);
  std::cerr << "discrec: no handler for '" << cmd << "'\n";  // command_line.cc knows more than this file
  return kBadUsage;
}
