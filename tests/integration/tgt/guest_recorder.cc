// Runs inside the QEMU guest (tests/integration/tgt/run_guest_chain.sh),
// where each of tgt's DVD+R LUNs is /dev/srN and /dev/sgN through
// virtio-scsi: the recorder itself (Recorder, its session, the streaming
// writer, UDF finalize, verify) records one MPEG-TS onto each drive given,
// one drive after another, over real SG_IO.
//
//   guest_recorder SOURCE BYTES BPS ID=URI [ID=URI...]
//     SOURCE  the TS: a file, or the guest's /dev/vda that carries it
//     BYTES   how much of SOURCE is the TS (a block device is padded)
//     BPS     the TS's bitrate (ffprobe's), declared for admission
//     URI     sg:///dev/srN or sg:///dev/sgN
//
// The source is handed over as an open descriptor, as the daemon hands
// over an upload (kPipe), so it is paced only by the drive: PacedSink waits
// while the ring holds more than a quarter of the latency budget at the
// guaranteed speed, never at the stream's bitrate. What it pushes beyond the
// declared bitrate is written in drive time no other recording needs
// (StreamingWriter::update_shedding: a file's backlog is never shed), which
// with one recording is all of it: the file goes down as fast as the drive
// takes it. Every recording must declare a bitrate that admission grants,
// so the declaration is the TS's, capped at what the drive guarantees
// less the admission margin (a 256 MiB TS of a few seconds is far above
// tgt's 2.4x).
//
// Prints "DISCREC_GUEST: ..." lines per drive: the record and finalize
// figures ("DISCREC_GUEST: figure <id> bytes=N record_s=T finalize_s=T"),
// then "DISCREC_GUEST: PASS" or "DISCREC_GUEST: FAIL <why>"; exit 0/1.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "recorder/session/recorder.h"

using namespace discrec;
using namespace discrec::recorder;
using namespace std::chrono_literals;

namespace {

// A TS read from a descriptor as fast as the sink takes it, in chunks that
// begin at a random-access point where one is marked (the TS adaptation
// field's random_access_indicator, which FFmpeg's muxer sets on key frames).
class DescriptorTsSource final : public TsSource {
 public:
  DescriptorTsSource(int fd, uint64_t bytes, TsSink& sink) : fd_(fd), bytes_(bytes / kTsPacketSize * kTsPacketSize), sink_(sink) {}
  ~DescriptorTsSource() override { ::close(fd_); }

  Status run() override {
    constexpr size_t kChunkPackets = 2048;  // 376 KiB
    std::vector<uint8_t> in(kChunkPackets * kTsPacketSize);
    uint64_t done = 0;
    while (done < bytes_) {
      if (stopped_.load(std::memory_order_acquire)) return Error(ErrorCode::kAborted, "stopped");
      const size_t want = static_cast<size_t>(std::min<uint64_t>(in.size(), bytes_ - done));
      size_t got = 0;
      while (got < want) {
        ssize_t n = ::read(fd_, in.data() + got, want - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<size_t>(n);
      }
      if (got < want) return Error(ErrorCode::kDataLoss, "the source ended after " + std::to_string(done + got) +
                                                             " of " + std::to_string(bytes_) + " bytes");
      // Split at GOP starts so each write carries its flag.
      size_t begin = 0;
      for (size_t p = 0; p < got; p += kTsPacketSize) {
        if (in[p] != 0x47) return Error(ErrorCode::kDataLoss, "no TS sync byte at " + std::to_string(done + p));
        if (p > begin && random_access(&in[p])) {
          RETURN_IF_ERROR(sink_.write_packets(std::span(in).subspan(begin, p - begin), random_access(&in[begin])));
          begin = p;
        }
      }
      RETURN_IF_ERROR(sink_.write_packets(std::span(in).subspan(begin, got - begin), random_access(&in[begin])));
      done += got;
    }
    sink_.flush();
    return {};
  }
  void stop() override { stopped_.store(true, std::memory_order_release); }
  std::optional<TimePoint> live_last_packet() const override { return std::nullopt; }

 private:
  static bool random_access(const uint8_t* p) {
    const bool unit_start = p[1] & 0x40;
    const bool adaptation = p[3] & 0x20;
    return unit_start && adaptation && p[4] > 0 && (p[5] & 0x40);
  }

  const int fd_;
  const uint64_t bytes_;
  TsSink& sink_;
  std::atomic<bool> stopped_{false};
};

class DescriptorSources final : public TsSourceFactory {
 public:
  explicit DescriptorSources(uint64_t bytes) : bytes_(bytes) {}
  Status validate_network_url(std::string_view) const override {
    return Error(ErrorCode::kUnsupported, "the guest records files only");
  }
  Result<std::unique_ptr<TsSource>> make(const TsSourceRequest& request, TsSink& sink, Clock&) const override {
    if (request.input_fd < 0) return Error(ErrorCode::kUnsupported, "the guest records descriptors only");
    return std::unique_ptr<TsSource>(std::make_unique<DescriptorTsSource>(request.input_fd, bytes_, sink));
  }

 private:
  const uint64_t bytes_;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int fail(const std::string& why) {
  std::printf("DISCREC_GUEST: FAIL %s\n", why.c_str());
  std::fflush(stdout);
  return 1;
}

// Records SOURCE onto drive `id`, finalizes and verifies it; "" on success.
std::string record_one(Recorder& recorder, const RecorderOptions& options, const std::string& id,
                       const std::string& source, uint64_t bytes, uint64_t bps) {
  auto prepared = recorder.prepare_drive(id, 0);
  if (!prepared.ok()) return "prepare " + id + ": " + prepared.error().to_string();
  auto drive = std::optional<DriveInfo>(prepared->drive);
  if (drive->capabilities) {
    const auto& c = *drive->capabilities;
    std::printf("DISCREC_GUEST: %s %s: %s %s profile %s, 0x0107 present=%d current=%d\n", id.c_str(),
                drive->uri.c_str(), c.vendor.c_str(), c.product.c_str(),
                device::profile_name(c.current_profile).c_str(), c.rt_streaming.present, c.rt_streaming.current);
  }
  if (!drive->not_ready_reason.empty()) return id + " not ready: " + drive->not_ready_reason;
  // tgt's blank DVD+R has no current Real-Time Streaming: the default
  // policy (streaming-preferred) writes it with plain WRITE(12).
  const auto& mode = drive->write_mode;
  std::printf("DISCREC_GUEST: %s: write mode %s: %s\n", id.c_str(), std::string(write_mode_name(mode.policy)).c_str(),
              mode.choice ? ((mode.choice->streaming ? "streaming, " : "plain, ") + mode.choice->reason).c_str()
                          : "no choice");
  if (!mode.choice) return id + ": no write mode chosen";
  if (drive->capabilities && mode.choice->streaming && !drive->capabilities->rt_streaming.current)
    return id + ": streaming chosen although Real-Time Streaming is not current";

  int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot open " + source;
  StartRecordingParams params;
  params.drive_id = id;
  params.source_url = "file://" + source;
  params.title = "guest-" + id;
  params.upload_fd = std::make_shared<SourceFd>(fd);
  const uint64_t grantable = static_cast<uint64_t>(static_cast<double>(drive->guaranteed_bytes_per_second) * 8 /
                                                   (1 + options.admission_margin) * 0.99);
  params.expected_bitrate_bps = std::min(bps, grantable);
  std::printf("DISCREC_GUEST: %s: %u kB/s guaranteed, declaring %llu bit/s (the TS: %llu)\n", id.c_str(),
              prepared->effective_write_kbps, (unsigned long long)params.expected_bitrate_bps,
              (unsigned long long)bps);
  const auto t0 = std::chrono::steady_clock::now();
  auto rec = recorder.start_recording(params);
  if (!rec.ok()) return "start_recording on " + id + ": " + rec.error().to_string();
  params.upload_fd.reset();
  RecordingInfo info;
  for (;;) {
    auto now = recorder.get_recording(id, rec->id);
    if (!now.ok()) return now.error().to_string();
    info = *now;
    if (info.state == RecordingState::kStopped || info.state == RecordingState::kFailed) break;
    if (seconds_since(t0) > 500) return id + ": the recording did not end in 500 s";
    std::this_thread::sleep_for(5ms);
  }
  const double record_s = seconds_since(t0);
  std::printf("DISCREC_GUEST: %s: recording %s %s in %.2f s: in %llu, written %llu, lost %llu, shed %llu%s%s\n",
              id.c_str(), info.id.c_str(), recording_state_name(info.state), record_s,
              (unsigned long long)info.stats.bytes_in, (unsigned long long)info.stats.bytes_written,
              (unsigned long long)info.stats.lost_bytes, (unsigned long long)info.stats.shed_bytes,
              info.error.empty() ? "" : ", error: ", info.error.c_str());
  if (info.state != RecordingState::kStopped) return id + ": the recording failed: " + info.error;
  const uint64_t ts = bytes / kTsPacketSize * kTsPacketSize;
  if (info.stats.bytes_in != ts || info.stats.lost_bytes || info.stats.shed_bytes)
    return id + ": " + std::to_string(info.stats.bytes_in) + " of " + std::to_string(ts) +
           " bytes came in, or some were lost or shed";

  const auto t1 = std::chrono::steady_clock::now();
  FinalizeParams fin;
  fin.volume_label = "GUEST_" + id;
  auto finalized = recorder.finalize_disc(id, fin, [](const DiscProgress&) {});
  if (!finalized.ok()) return "finalize " + id + ": " + finalized.error().to_string();
  const double finalize_s = seconds_since(t1);
  std::printf("DISCREC_GUEST: %s: finalized in %.2f s: %u files, %llu bytes; %s\n", id.c_str(), finalize_s,
              finalized->files, (unsigned long long)finalized->bytes, finalized->summary.c_str());
  std::printf("DISCREC_GUEST: figure %s bytes=%llu record_s=%.3f finalize_s=%.3f\n", id.c_str(),
              (unsigned long long)ts, record_s, finalize_s);
  std::fflush(stdout);

  const auto t2 = std::chrono::steady_clock::now();
  auto verified = recorder.verify_disc(id, [](const DiscProgress&) {});
  if (!verified.ok()) return "verify " + id + ": " + verified.error().to_string();
  std::printf("DISCREC_GUEST: %s: verified in %.2f s: %u files, %zu mismatches; %s\n", id.c_str(),
              seconds_since(t2), verified->files, verified->mismatches.size(), verified->summary.c_str());
  if (!verified->mismatches.empty() || verified->files != 1) return id + ": verify found mismatches";
  auto after = recorder.get_recording(id, rec->id);
  if (after.ok()) std::printf("DISCREC_GUEST: %s: on disc as %s\n", id.c_str(), after->disc_path.c_str());
  std::fflush(stdout);
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) return fail("usage: guest_recorder SOURCE BYTES BPS ID=URI [ID=URI...]");
  const std::string source = argv[1];
  const uint64_t bytes = std::strtoull(argv[2], nullptr, 10);
  const uint64_t bps = std::strtoull(argv[3], nullptr, 10);

  RecorderOptions options;
  options.state_directory = "/tmp/discrec-state";
  ::mkdir(options.state_directory.c_str(), 0700);
  options.ring_memory_bytes = 96ull << 20;  // the guest has 512 MiB
  options.default_ring_bytes = 32ull << 20;
  options.disc_space_warnings = {};
  Recorder recorder(options, std::make_shared<DescriptorSources>(bytes));

  std::vector<std::string> ids;
  for (int i = 4; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) return fail("not ID=URI: " + arg);
    DriveSpec spec;
    spec.id = arg.substr(0, eq);
    spec.uri = arg.substr(eq + 1);
    if (Status added = recorder.add_drive(spec); !added.ok())
      return fail("add_drive " + spec.uri + ": " + added.error().to_string());
    ids.push_back(spec.id);
  }
  for (const std::string& id : ids) {
    if (std::string why = record_one(recorder, options, id, source, bytes, bps); !why.empty()) return fail(why);
  }
  std::printf("DISCREC_GUEST: PASS\n");
  return 0;
}
