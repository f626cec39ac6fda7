// A day of recording in simulated time (issue 17, point 5): two emulated
// drives, a DVD+R and a BD-R (sim://, timing on, through the real Drive
// code), four cameras each at 85-90% of the drive's guaranteed speed with
// random priorities (some stopped and started again mid-disc; half the
// discs striped), faults of every kind the emulated drive offers at random
// times, and small discs that fill, are finalized with UDF, read back and
// replaced by blank ones again and again. At every disc's end each
// recording's bytes must be accounted for exactly (written + shed + lost ==
// taken in, the extents tiling its input), its file must read back through
// UDF as what the camera sent, and over the day the process's heap, threads
// and descriptors must stay flat.
//
// Scale: the drives run at a few hundredths of their real speed
// (rate_divisor: DVD 2.4x is 12,000 B/s, BD 2x 10,000 B/s) and the writer's
// time constants (latency budget, command timeout, longest pause) and the
// faults are stretched to match, so a simulated day moves ~1 GB per drive
// and the number of commands, discs and faults, not the bytes, is what the
// day is long in.
//
// Environment: DISCREC_SOAK_SEED (default 17, printed) picks the faults,
// priorities and bitrates; DISCREC_SOAK_HOURS (default 24; the sanitizer
// builds' ctest sets 8) the simulated time. Each drive runs on its own thread with its own clock and random
// stream, so a seed replays exactly (in every build: the sanitizers' runs
// print the same totals).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "device/drive.h"
#include "device/sim/sim_drive.h"
#include "recorder/core/prepare.h"
#include "recorder/core/streaming_writer.h"
#include "recorder/session/disc_file.h"
#include "recorder/udf/drive_sector_source.h"
#include "recorder/udf/volume_builder.h"
#include "writer_soak_checks.h"
#include "writer_test_support.h"

namespace discrec::recorder {
namespace {

using namespace std::chrono_literals;
using testing::TsSource;
using testing::check_accounting;
using testing::expected_payload;
using testing::footprint;
using testing::Footprint;
using testing::wall_time;

// --- the scaled world ---
// A drive's medium, slowed so that its slowest speed is ~10,000 B/s.
struct SoakMedium {
  const char* profile;      // sim:// profile=
  uint32_t rate_divisor;    // 1x = 5,000 B/s
  const char* speed;        // sim:// speed=
  uint32_t write_kbps;      // what that speed is, slowed
  Nanos latency_budget;     // a unit of the smallest camera fills in a quarter of it
  device::CloseFunction finalize;
};
constexpr SoakMedium kDvdPlusR{"dvd+r", 277, "2.4", 12, std::chrono::seconds(120),
                               device::CloseFunction::kFinalizeDvdPlusR};  // 32 KiB units
constexpr SoakMedium kBdR{"bd-r", 899, "2", 10, std::chrono::seconds(240),
                          device::CloseFunction::kFinalizeBdR};  // 64 KiB units
constexpr uint32_t kDiscBlocks = 8192;       // 16 MiB: ~25 simulated minutes of recording
constexpr int kCamerasPerDrive = 4;
constexpr uint32_t kChunkPackets = 7;        // one push: 1316 bytes
constexpr uint32_t kGopPackets = 70;         // ~13 KB, a few seconds of a camera
constexpr auto kStreamingTimeout = 60s;      // a 2-unit command takes 5.5 s (DVD), 13 s (BD)
constexpr Nanos kMaxPause = 300s;            // longer than the longest not-ready below
constexpr uint32_t kMaxUnitsPerCommand = 2;

struct SoakSettings {
  uint64_t seed = 17;
  double hours = 24;
};

SoakSettings soak_settings() {
  SoakSettings s;
  if (const char* seed = getenv("DISCREC_SOAK_SEED"); seed != nullptr && *seed != '\0')
    s.seed = std::strtoull(seed, nullptr, 0);
  if (const char* hours = getenv("DISCREC_SOAK_HOURS"); hours != nullptr && *hours != '\0')
    s.hours = std::strtod(hours, nullptr);
  return s;
}

// --- cameras and their recordings ---

// One camera's recording on one disc: a TsSource whose packets continue the
// camera's numbering, so a file's packets say which the camera sent.
struct Take {
  TsSource source;          // source.next_packet: the camera's next packet
  uint64_t first_packet = 0;
  uint64_t accepted_bytes = 0;  // pushes the recording took (ring or overflow)
  uint64_t refused_bytes = 0;   // pushes refused: the writer had failed (disc full)
  bool stopped = false;

  void feed(TimePoint now) {
    std::vector<uint8_t> buf(kChunkPackets * kTsPacketSize);
    while (!stopped && source.next_arrival() <= now) {
      for (uint32_t i = 0; i < kChunkPackets; ++i)
        TsSource::make_packet(buf.data() + i * kTsPacketSize, source.tag, source.next_packet + i);
      const bool gop = source.next_packet % kGopPackets == 0;
      Status s = source.recording->write_packets_at(buf, gop, source.next_arrival());
      if (s.ok()) {
        accepted_bytes += buf.size();
      } else {
        EXPECT_EQ(s.error().code(), ErrorCode::kUnavailable) << s.error().to_string();
        refused_bytes += buf.size();
      }
      source.next_packet += kChunkPackets;
    }
  }
};

// --- faults ---

enum FaultClass { kMediumError, kLatency, kStall, kNotReady, kUnitAttention, kReset, kHang, kRemoval, kFaultClasses };
constexpr std::array<const char*, kFaultClasses> kFaultNames = {
    "medium error", "latency", "stall", "not ready", "unit attention", "reset", "hung command", "medium removal"};

// A fault script for one disc: `n` faults of random kinds at random times in
// [from, to) (ms since the drive opened), medium errors at random LBAs of
// the data area. Counts what it schedules in `scheduled`. The drive's
// passing states (not ready, a disc out, a reset's becoming ready) never
// overlap: chained, they could outlast kMaxPause, and a writer that gives
// up then does what it should (writer_drive_states_test has that case).
std::string random_faults(std::mt19937_64& rng, int n, int64_t from_ms, int64_t to_ms, uint32_t data_start,
                          uint32_t data_limit, std::array<uint64_t, kFaultClasses>& scheduled) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  std::vector<std::pair<int64_t, FaultClass>> faults;
  for (int i = 0; i < n; ++i)
    faults.push_back({pick(from_ms, to_ms - 1), static_cast<FaultClass>(pick(0, kFaultClasses - 1))});
  std::sort(faults.begin(), faults.end());
  int64_t states_free_at = 0;  // when the last passing state has passed, and 10 s more
  auto state = [&](int64_t& at, int64_t length) {
    at = std::max(at, states_free_at);
    states_free_at = at + length + 10'000;
    return std::to_string(length);
  };
  std::string script;
  for (auto [at_ms, kind] : faults) {
    ++scheduled[kind];
    switch (kind) {
      case kMediumError: {
        const int64_t lba = pick(data_start, data_limit - 4);
        script += "write-error lba=" + std::to_string(lba) + "-" + std::to_string(lba + pick(0, 2)) + "\n";
        continue;
      }
      case kLatency: script += "latency delay=" + std::to_string(pick(500, 20000)) + " opcode=0xaa"; break;
      // A stall under half the command timeout: the drive buffer and the
      // rings take it without a loss.
      case kStall: script += "stall for=" + std::to_string(pick(2000, 25000)); break;
      case kNotReady: script += "not-ready ascq=1 for=" + state(at_ms, pick(1000, 150000)); break;
      case kUnitAttention: script += pick(0, 1) ? "unit-attention asc=0x28" : "unit-attention"; break;
      case kReset:
        script += std::string("reset opcode=0xaa") + (pick(0, 1) ? " executed=1" : "") +
                  " for=" + state(at_ms, pick(500, 20000));
        break;
      case kHang: script += "hang opcode=0xaa"; break;
      case kRemoval: script += "remove for=" + state(at_ms, pick(1000, 30000)); break;
      case kFaultClasses: break;
    }
    script += " at=" + std::to_string(at_ms) + "\n";
  }
  return script;
}

// --- one drive through the day ---

// What a drive did over the day, for the summary and the checks at the end.
struct DriveTotals {
  uint64_t discs = 0;
  uint64_t disc_full = 0;  // discs the writer filled (the rest were stopped at the day's end)
  uint64_t takes = 0;
  uint64_t commands = 0;
  uint64_t bytes_in = 0, bytes_written = 0, shed_bytes = 0, lost_bytes = 0, overflow_bytes = 0, refused_bytes = 0;
  uint64_t shed_gops = 0, lost_extents = 0, pauses = 0, missed_deadlines = 0;
  std::array<uint64_t, kFaultClasses> faults{};
};

class DriveSoak {
 public:
  DriveSoak(int index, const SoakMedium& medium, uint64_t seed, std::string dir)
      : index_(index), medium_(medium), seed_(seed), rng_(seed), dir_(std::move(dir)) {
    for (int i = 0; i < kCamerasPerDrive; ++i) cameras_.push_back({static_cast<uint32_t>(index * 16 + i + 1), 0});
  }

  // Records, changing discs, until `end` on this drive's clock, and returns
  // with a disc in the drive (what the process holds then is comparable);
  // at the day's end (`last`) that disc is stopped and finalized instead.
  void run_until(TimePoint end, bool last) {
    while (!::testing::Test::HasFatalFailure()) {
      if (!writer_ && !last) open_disc();
      if (!writer_ || clock_.now() >= end) break;
      record_until(end);
      if (writer_->failure()) close_disc();
    }
    if (last && writer_) close_disc();
  }

  const DriveTotals& totals() const { return totals_; }

 private:
  struct Camera {
    uint32_t tag;
    uint64_t next_packet;
  };
  // A camera's recording that will be stopped at `at` and started again,
  // with another priority, once it finished.
  struct Restart {
    TimePoint at;
    int camera;
  };

  // A blank disc in the drive, prepared, the metadata track reserved, a
  // writer at the layout's data start, every camera recording onto it and
  // this disc's faults scheduled.
  void open_disc() {
    ++disc_number_;
    image_ = dir_ + "/drive" + std::to_string(index_) + "-disc" + std::to_string(disc_number_) + ".img";
    auto sim = device::sim::SimDrive::open("sim://" + image_ + "?profile=" + medium_.profile + "&speed=" +
                                               medium_.speed + "&buffer=64&rate_divisor=" +
                                               std::to_string(medium_.rate_divisor) +
                                               "&blocks=" + std::to_string(kDiscBlocks),
                                           device::TransportOptions{&clock_});
    ASSERT_TRUE(sim.ok()) << sim.error().to_string();
    sim_ = sim->get();
    drive_ = std::make_unique<device::Drive>(std::move(sim).value());
    PrepareOptions po;
    po.write_kbps = medium_.write_kbps;
    auto prepared = prepare_for_writing(*drive_, po);
    ASSERT_TRUE(prepared.ok()) << prepared.error().to_string();
    ASSERT_EQ(prepared->guaranteed_bytes_per_second, medium_.write_kbps * 1000u);
    udf::LayoutRequest request;
    request.kind = udf::MediaKind::kSequentialWriteOnce;
    request.capacity_sectors = prepared->end_lba;
    request.write_unit_sectors = prepared->capabilities.ecc_unit_blocks;
    request.max_files = 64;
    auto layout = udf::plan_layout(request);
    ASSERT_TRUE(layout.ok()) << layout.error().to_string();
    layout_ = *layout;
    Status reserved = drive_->reserve_track(layout_.data_start);
    ASSERT_TRUE(reserved.ok()) << reserved.error().to_string();

    WriterOptions o = writer_options_for(*prepared);
    o.start_lba = layout_.data_start;
    o.end_lba = layout_.data_limit;
    o.max_units_per_command = kMaxUnitsPerCommand;
    o.idle_poll = 100ms;
    o.max_pause = kMaxPause;
    // Half the discs are written in stripes (a quarter of a ring each).
    o.stripe_bytes = std::uniform_int_distribution<int>(0, 1)(rng_) ? 256 << 10 : 0;
    options_ = o;
    target_ = std::make_unique<DriveBlockTarget>(*drive_, kStreamingTimeout);
    writer_ = std::make_unique<StreamingWriter>(*target_, clock_, o);
    disc_opened_ = clock_.now();

    // 85-90% of the guaranteed speed in all, split unevenly.
    const double total_bps = 8.0 * static_cast<double>(o.guaranteed_bytes_per_second) *
                             std::uniform_real_distribution<double>(0.85, 0.90)(rng_);
    std::array<double, kCamerasPerDrive> weight{};
    double sum = 0;
    for (auto& w : weight) sum += w = std::uniform_real_distribution<double>(1, 3)(rng_);
    bitrates_.clear();
    takes_.clear();
    for (int i = 0; i < kCamerasPerDrive; ++i) {
      bitrates_.push_back(static_cast<uint64_t>(total_bps * weight[i] / sum) / 8 * 8);
      start_take(i);
    }
    // The disc fills in about this long; faults and restarts fall inside.
    const double fill_seconds = static_cast<double>(layout_.data_limit - layout_.data_start) * o.block_size /
                                (total_bps / 8);
    const auto fill_ms = static_cast<int64_t>(fill_seconds * 1000);
    const int faults = std::uniform_int_distribution<int>(5, 10)(rng_);
    fault_script_ = random_faults(rng_, faults, 30'000, fill_ms * 9 / 10, layout_.data_start, layout_.data_limit,
                                  totals_.faults);
    ASSERT_TRUE(sim_->inject_script(fault_script_).ok());
    restarts_.clear();
    for (int i = std::uniform_int_distribution<int>(0, 2)(rng_); i > 0; --i) {
      restarts_.push_back({disc_opened_ + std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(
                                              60'000, fill_ms * 8 / 10)(rng_)),
                           std::uniform_int_distribution<int>(0, kCamerasPerDrive - 1)(rng_)});
    }
    std::sort(restarts_.begin(), restarts_.end(), [](auto& a, auto& b) { return a.at < b.at; });
  }

  // Camera `camera` starts a new recording on this disc, at a GOP start.
  void start_take(int camera) {
    Camera& c = cameras_[camera];
    c.next_packet = (c.next_packet + kGopPackets - 1) / kGopPackets * kGopPackets;
    RecordingConfig config;
    config.name = "cam" + std::to_string(c.tag) + "-disc" + std::to_string(disc_number_) + "-" +
                  std::to_string(takes_.size());
    config.priority = std::uniform_int_distribution<int32_t>(kMinPriority, kMaxPriority)(rng_);
    config.bitrate_bps = bitrates_[camera];
    config.latency_budget = medium_.latency_budget;
    auto rec = writer_->add_recording(config);
    ASSERT_TRUE(rec.ok()) << rec.error().to_string();
    Take t;
    t.source.recording = *rec;
    t.source.tag = c.tag;
    t.source.bitrate_bps = config.bitrate_bps;
    t.source.chunk_packets = kChunkPackets;
    t.source.gop_packets = kGopPackets;
    t.source.start = clock_.now();
    t.source.next_packet = c.next_packet;
    t.source.rate_first_packet = c.next_packet;
    t.first_packet = c.next_packet;
    takes_.push_back(std::move(t));
    camera_take_[camera] = takes_.size() - 1;
    ++totals_.takes;
  }

  // Feeds the cameras and runs the writer until `end`, or until the writer
  // stops (the disc is full), stopping and restarting recordings as planned.
  void record_until(TimePoint end) {
    while (clock_.now() < end && !writer_->failure()) {
      const TimePoint now = clock_.now();
      if (!restarts_.empty() && restarts_.front().at <= now) restart_step(now);
      for (auto& t : takes_) t.feed(now);
      TimePoint next = std::min(writer_->service_once(), end);
      for (auto& t : takes_)
        if (!t.stopped) next = std::min(next, t.source.next_arrival());
      if (!restarts_.empty()) next = std::min(next, std::max(restarts_.front().at, now + 100ms));
      if (next > clock_.now()) clock_.sleep_until(next);
    }
  }

  // A planned restart: stops the camera's recording, then (once the writer
  // finished it and admission freed its bitrate) starts a new one.
  void restart_step(TimePoint now) {
    const int camera = restarts_.front().camera;
    Take& t = takes_[camera_take_[camera]];
    if (!t.stopped) {
      cameras_[camera].next_packet = t.source.next_packet;
      t.stopped = true;
      EXPECT_TRUE(writer_->stop_recording(t.source.recording->id()).ok());
    }
    if (t.source.recording->finished()) {
      restarts_.erase(restarts_.begin());
      start_take(camera);
    } else {
      restarts_.front().at = now + 1s;
    }
  }

  // Stops every recording, checks its accounting, writes the UDF file
  // system, closes the disc, reads every file back through the drive and
  // checks it against what the camera sent; then the disc goes.
  void close_disc() {
    stop_recordings();
    if (::testing::Test::HasFatalFailure()) return;
    const DriveStats d = writer_->stats();
    if (auto failure = writer_->failure()) {
      EXPECT_EQ(failure->message().rfind("disc full", 0), 0u)
          << failure->to_string() << "\n" << describe_disc(extents_now());
      ++totals_.disc_full;
    }
    ++totals_.discs;
    totals_.commands += d.commands;
    totals_.pauses += d.pauses;
    totals_.missed_deadlines += d.missed_deadlines;
    const std::vector<RecordingExtents> extents = account_disc(d);
    if (::testing::Test::HasFatalFailure()) return;

    // No fault may reach the file system's writes: the streaming phase is
    // what this soak is about. Wait out a state in progress.
    sim_->clear_faults();
    for (int i = 0; !drive_->test_unit_ready().ok(); ++i) {
      ASSERT_LT(i, 600) << "the drive did not become ready";
      clock_.advance(1s);
    }
    auto nwa = target_->next_writable_address(d.next_lba);
    ASSERT_TRUE(nwa.ok()) << nwa.error().to_string();
    EXPECT_EQ(*nwa, d.next_lba) << "the writer's next address is the drive's\n" << describe_disc(extents);

    udf::VolumeSpec volume;
    volume.label = "SOAK" + std::to_string(index_) + "_" + std::to_string(disc_number_);
    volume.created = wall_time(disc_opened_);
    volume.finalized = wall_time(clock_.now());
    volume.data_end = d.next_lba;
    // One file per recording however fragmented, so verify() reads each
    // extent at its offset in the recording (parts are udf's own tests').
    volume.long_files = udf::LongFileForm::kChained;
    for (size_t i = 0; i < takes_.size(); ++i) {
      const auto& name = takes_[i].source.recording->config().name;
      volume.files.push_back(disc_file_for(extents[i], name + ".ts", wall_time(disc_opened_), wall_time(disc_opened_), options_.block_size));
    }
    finalize(volume);
    verify(volume, extents);

    takes_.clear();
    writer_.reset();
    target_.reset();
    drive_.reset();
    sim_ = nullptr;
    for (const char* suffix : {"", ".state", ".undo"}) std::filesystem::remove(image_ + suffix);
  }

  // Stops every recording still running and lets the writer finish them.
  void stop_recordings() {
    for (int camera = 0; camera < kCamerasPerDrive; ++camera) {
      Take& t = takes_[camera_take_[camera]];
      cameras_[camera].next_packet = t.source.next_packet;
      if (t.stopped) continue;
      t.stopped = true;
      EXPECT_TRUE(writer_->stop_recording(t.source.recording->id()).ok());
    }
    for (int i = 0;; ++i) {
      bool all = true;
      for (auto& t : takes_) all = all && t.source.recording->finished();
      if (all) return;
      ASSERT_LT(i, 10'000'000) << "recordings did not finish";
      const TimePoint wake = writer_->service_once();
      if (wake > clock_.now()) clock_.sleep_until(wake);
    }
  }

  // Checks every recording's accounting and the disc's (the drive's totals
  // are the recordings' sums, no block is in two extents) and returns the
  // extents, one per take.
  std::vector<RecordingExtents> account_disc(const DriveStats& d) {
    std::vector<RecordingExtents> extents;
    uint64_t drive_written = 0, drive_shed = 0, drive_lost_extents = 0;
    for (auto& t : takes_) {
      auto e = writer_->extents(t.source.recording->id());
      EXPECT_TRUE(e.ok());
      if (!e.ok()) return {};
      const RecordingStats st = t.source.recording->stats();
      check_accounting(*t.source.recording, t.accepted_bytes, *e, options_.block_size);
      extents.push_back(*e);
      drive_written += st.bytes_written;
      drive_shed += st.shed_bytes;
      drive_lost_extents += st.lost_extents;
      totals_.bytes_in += st.bytes_in;
      totals_.bytes_written += st.bytes_written;
      totals_.shed_bytes += st.shed_bytes;
      totals_.lost_bytes += st.lost_bytes;
      totals_.overflow_bytes += st.overflow_bytes;
      totals_.refused_bytes += t.refused_bytes;
      totals_.shed_gops += st.shed_gops;
      totals_.lost_extents += st.lost_extents;
    }
    EXPECT_EQ(d.bytes_written, drive_written);
    EXPECT_EQ(d.shed_bytes, drive_shed);
    EXPECT_EQ(d.lost_extents, drive_lost_extents);
    check_disc_allocation(extents, d.next_lba);
    return extents;
  }

  std::vector<RecordingExtents> extents_now() {
    std::vector<RecordingExtents> out;
    for (auto& t : takes_)
      if (auto e = writer_->extents(t.source.recording->id()); e.ok()) out.push_back(*e);
    return out;
  }

  // For failure messages: the disc's fault script (ms since it was opened)
  // and its lost extents, which is where a fault usually shows.
  std::string describe_disc(const std::vector<RecordingExtents>& extents) const {
    std::string out = "drive " + std::to_string(index_) + " disc " + std::to_string(disc_number_) +
                      " (seed " + std::to_string(seed_) + "), faults:\n" + fault_script_ + "lost extents:\n";
    for (const auto& e : extents)
      for (const auto& l : e.lost)
        out += "  LBA " + std::to_string(l.lba) + " +" + std::to_string(l.blocks) + " at " +
               std::to_string((l.time_end - disc_opened_) / 1ms) + " ms: " + l.message + "\n";
    return out;
  }

  // No two extents share a block; all lie in the data area, below the
  // writer's next address.
  void check_disc_allocation(const std::vector<RecordingExtents>& extents, uint32_t next_lba) {
    std::vector<std::pair<uint32_t, uint32_t>> used;
    for (const auto& e : extents) {
      for (const auto& r : e.recorded) used.push_back({r.lba, r.blocks});
      for (const auto& l : e.lost)
        if (l.blocks > 0) used.push_back({l.lba, l.blocks});
    }
    std::sort(used.begin(), used.end());
    uint32_t end = layout_.data_start;
    for (const auto& [lba, blocks] : used) {
      EXPECT_GE(lba, end) << "extents overlap or leave the data area";
      end = lba + blocks;
    }
    EXPECT_LE(end, next_lba);
    EXPECT_LE(next_lba, layout_.data_limit);
  }

  // As the session finalizes write-once media (disc_operations.cc): the
  // file system with the reliable policy, then close both tracks and the disc.
  void finalize(const udf::VolumeSpec& volume) {
    auto writes = udf::build_volume(layout_, volume);
    ASSERT_TRUE(writes.ok()) << writes.error().to_string();
    constexpr size_t kRun = 32 * 2048;  // the session's 64 KiB per reliable write
    for (const auto& w : *writes) {
      for (size_t off = 0; off < w.bytes.size(); off += kRun) {
        const size_t n = std::min(kRun, w.bytes.size() - off);
        Status s = write_reliable(*target_, clock_, w.lba + static_cast<uint32_t>(off / 2048),
                                  std::span(w.bytes).subspan(off, n));
        ASSERT_TRUE(s.ok()) << s.error().to_string();
      }
    }
    ASSERT_TRUE(drive_->synchronize_cache().ok());
    for (uint16_t track : {1, 2}) {
      Status s = drive_->close_track_session(device::CloseFunction::kCloseTrack, track);
      ASSERT_TRUE(s.ok()) << "close track " << track << ": " << s.error().to_string();
    }
    Status fin = drive_->close_track_session(medium_.finalize, 0);
    ASSERT_TRUE(fin.ok()) << fin.error().to_string();
  }

  // Reads the volume back through the drive: it lists exactly the files
  // built, and every recorded extent of every file holds what the camera
  // sent (shed GOPs left out), then null packets if it is the last.
  void verify(const udf::VolumeSpec& volume, const std::vector<RecordingExtents>& extents) {
    auto last = drive_->read_capacity();
    ASSERT_TRUE(last.ok()) << last.error().to_string();
    udf::DriveSectorSource source(*drive_, last->last_lba + 1);
    auto parsed = udf::read_volume(source);
    ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
    Status same = udf::check_recordings(*parsed, volume);
    ASSERT_TRUE(same.ok()) << same.error().to_string();
    for (size_t i = 0; i < takes_.size(); ++i) {
      const Take& t = takes_[i];
      SCOPED_TRACE(volume.files[i].name);
      const std::string path = "/" + std::string(udf::kRecordingDirectory) + "/" + volume.files[i].name;
      auto file = std::find_if(parsed->files.begin(), parsed->files.end(), [&](auto& f) { return f.path == path; });
      ASSERT_NE(file, parsed->files.end());
      const auto overflows = t.source.recording->overflows();
      std::vector<uint8_t> bytes;
      for (const auto& r : extents[i].recorded) {
        const uint64_t length = std::min<uint64_t>(r.length, file->size - std::min(file->size, r.file_offset));
        EXPECT_GT(length + kTsPacketSize, r.length) << "the file loses at most a partial packet";
        bytes.resize(length);
        Status read = udf::read_file_bytes(source, *file, r.file_offset, bytes);
        ASSERT_TRUE(read.ok()) << read.error().to_string() << "\nextent at LBA " << r.lba << " +" << r.blocks << "\n"
                               << describe_disc(extents);
        std::vector<uint8_t> expect =
            expected_payload(t.source.tag, t.first_packet, r.input_begin, r.input_end, extents[i].shed, overflows);
        if (expect.size() > r.length) {
          ADD_FAILURE() << "extent at LBA " << r.lba << " holds " << expect.size() << " payload bytes in " << r.length;
          continue;
        }
        std::vector<uint8_t> padding(r.length - expect.size());
        fill_ts_null_packets(padding);
        expect.insert(expect.end(), padding.begin(), padding.end());
        expect.resize(length);
        EXPECT_TRUE(bytes == expect) << "extent at LBA " << r.lba << " (input " << r.input_begin << ".."
                                     << r.input_end << ") is not what the camera sent";
      }
      for (const auto& l : extents[i].lost) {
        if (l.blocks == 0 || l.file_offset >= file->size) continue;
        bytes.resize(std::min<uint64_t>(uint64_t{l.blocks} * 2048, file->size - l.file_offset));
        ASSERT_TRUE(udf::read_file_bytes(source, *file, l.file_offset, bytes).ok());
        EXPECT_TRUE(std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; }))
            << "a lost extent reads as zeros";
      }
    }
  }

  const int index_;
  const SoakMedium medium_;
  const uint64_t seed_;  // this drive's, derived from the soak's
  std::mt19937_64 rng_;
  const std::string dir_;
  SimulatedClock clock_;
  std::vector<Camera> cameras_;
  DriveTotals totals_;

  // The disc in the drive.
  int disc_number_ = 0;
  std::string image_;
  device::sim::SimDrive* sim_ = nullptr;
  std::unique_ptr<device::Drive> drive_;
  udf::VolumeLayout layout_;
  WriterOptions options_;
  std::unique_ptr<DriveBlockTarget> target_;
  std::unique_ptr<StreamingWriter> writer_;
  TimePoint disc_opened_{};
  std::string fault_script_;
  std::vector<uint64_t> bitrates_;
  std::vector<Take> takes_;
  std::array<size_t, kCamerasPerDrive> camera_take_{};
  std::vector<Restart> restarts_;
};

TEST(WriterSoakTest, TwoDrivesThroughADayOfFaultsAccountForEveryByte) {
  const SoakSettings settings = soak_settings();
  ASSERT_GT(settings.hours, 0) << "DISCREC_SOAK_HOURS must be a positive number";
  std::printf("writer soak: seed %" PRIu64 " (DISCREC_SOAK_SEED), %.1f simulated hours (DISCREC_SOAK_HOURS)\n",
              settings.seed, settings.hours);
  RecordProperty("seed", std::to_string(settings.seed));
  char tmpl[] = "/tmp/discrec_writer_soak_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;

  std::vector<std::unique_ptr<DriveSoak>> drives;
  for (int i = 0; i < 2; ++i) {
    std::seed_seq seq{settings.seed, uint64_t(i)};
    std::array<uint64_t, 1> drive_seed{};
    seq.generate(drive_seed.begin(), drive_seed.end());
    drives.push_back(std::make_unique<DriveSoak>(i, i == 0 ? kDvdPlusR : kBdR, drive_seed[0], dir));
  }
  // Both drives run to `until` on their own threads (they share nothing but
  // the process), then the test looks at the process.
  auto run_to = [&](TimePoint until, bool last) {
    std::vector<std::thread> threads;
    for (auto& d : drives) threads.emplace_back([&d, until, last] { d->run_until(until, last); });
    for (auto& t : threads) t.join();
  };
  const auto day = std::chrono::duration_cast<Nanos>(std::chrono::duration<double, std::ratio<3600>>(settings.hours));
  // The baseline once both drives went through a few discs' worth of
  // everything (at 1/12 of a day: 2 h).
  const TimePoint early = TimePoint{} + day / 12 * (settings.hours >= 12 ? 1 : 4);
  run_to(early, false);
  ASSERT_FALSE(HasFatalFailure());
  const Footprint before = footprint();
  // Measured with a disc in each drive, as the baseline was.
  run_to(TimePoint{} + day, false);
  ASSERT_FALSE(HasFatalFailure());
  const Footprint after = footprint();
  run_to(TimePoint{} + day, true);
  ASSERT_FALSE(HasFatalFailure());
  std::filesystem::remove_all(dir);

  DriveTotals all;
  for (auto& d : drives) {
    const DriveTotals& t = d->totals();
    all.discs += t.discs;
    all.disc_full += t.disc_full;
    all.takes += t.takes;
    all.commands += t.commands;
    all.bytes_in += t.bytes_in;
    all.bytes_written += t.bytes_written;
    all.shed_bytes += t.shed_bytes;
    all.lost_bytes += t.lost_bytes;
    all.overflow_bytes += t.overflow_bytes;
    all.refused_bytes += t.refused_bytes;
    all.shed_gops += t.shed_gops;
    all.lost_extents += t.lost_extents;
    all.pauses += t.pauses;
    all.missed_deadlines += t.missed_deadlines;
    for (int k = 0; k < kFaultClasses; ++k) all.faults[k] += t.faults[k];
  }
  std::printf("%" PRIu64 " discs (%" PRIu64 " filled), %" PRIu64 " recordings, %" PRIu64 " commands, %" PRIu64
              " pauses, %" PRIu64 " missed deadlines\n",
              all.discs, all.disc_full, all.takes, all.commands, all.pauses, all.missed_deadlines);
  std::printf("bytes in %" PRIu64 ": written %" PRIu64 ", shed %" PRIu64 " (%" PRIu64 " GOPs), lost %" PRIu64
              " (%" PRIu64 " extents); overflowed %" PRIu64 ", refused (disc full) %" PRIu64 "\n",
              all.bytes_in, all.bytes_written, all.shed_bytes, all.shed_gops, all.lost_bytes, all.lost_extents,
              all.overflow_bytes, all.refused_bytes);
  std::printf("faults:");
  for (int k = 0; k < kFaultClasses; ++k) std::printf(" %s %" PRIu64 ";", kFaultNames[k], all.faults[k]);
  std::printf("\nheap %.1f -> %.1f MiB, RSS %.1f -> %.1f MiB, threads %d -> %d, fds %d -> %d\n",
              before.heap_bytes / 1048576.0, after.heap_bytes / 1048576.0, before.rss_bytes / 1048576.0,
              after.rss_bytes / 1048576.0, before.threads, after.threads, before.fds, after.fds);

  // The day happened: discs filled and were changed, every kind of fault
  // was scheduled, and the faults reached the writer (a day of 2 hours has
  // ~8 discs and ~60 faults; a shorter one may miss a kind).
  EXPECT_GE(all.disc_full, 2u * static_cast<uint64_t>(settings.hours));
  if (settings.hours >= 2) {
    for (int k = 0; k < kFaultClasses; ++k) EXPECT_GT(all.faults[k], 0u) << kFaultNames[k];
    EXPECT_GT(all.pauses, 0u) << "drive states paused the writer";
    EXPECT_GT(all.lost_extents, 0u) << "medium errors and hung commands lost extents";
  }
  EXPECT_EQ(all.bytes_written + all.shed_bytes + all.lost_bytes, all.bytes_in);

  // Flat: the second part of the day leaves nothing behind.
  EXPECT_EQ(after.threads, before.threads);
  EXPECT_EQ(after.fds, before.fds);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // (The sanitizers keep their own heap, which mallinfo2() does not see.)
  EXPECT_LT(after.heap_bytes, before.heap_bytes + (4u << 20)) << "the heap grew over the day";
  EXPECT_LT(after.rss_bytes, before.rss_bytes + (32u << 20)) << "the resident set grew over the day";
#endif
}

}  // namespace
}  // namespace discrec::recorder
