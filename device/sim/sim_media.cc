// The emulated drive's recording commands: READ/WRITE, cache, tracks,
// format, calibration and speed.
#include <algorithm>

#include "device/sim/bytes.h"
#include "device/sim/sense.h"
#include "device/sim/sim_drive.h"

namespace discrec::device::sim {
namespace {

// Fixed costs of the mechanism (simulated time).
constexpr auto kCloseTrackTime = std::chrono::seconds(1);
constexpr auto kCloseSessionTime = std::chrono::seconds(3);
constexpr auto kFinalizeTime = std::chrono::seconds(10);
constexpr auto kQuickFormatTime = std::chrono::seconds(2);

}  // namespace

void SimDrive::make_busy(Command& c, TimePoint until, SenseCode code) {
  if (until <= c.now) return;
  busy_since_ = c.now;
  busy_until_ = until;
  busy_sense_ = code;
}

void SimDrive::set_write_speed(uint16_t x10) {
  // Power calibration is per speed: a new speed needs a new OPC.
  if (x10 != write_speed_x10_) calibrated_ = false;
  write_speed_x10_ = x10;
}

void SimDrive::cmd_write(Command& c, uint32_t lba, uint32_t blocks, bool streaming) {
  uint64_t bytes = uint64_t{blocks} * kBlockSize;
  if (c.data_out().size() < bytes) return c.fail(sense::kInvalidFieldInCdb);
  // A drive that does not stream for this medium refuses the bit, so a test
  // sees any write that sets it where it must not.
  if (streaming && options_.streaming != StreamingSupport::kCurrent) return c.fail(sense::kInvalidFieldInCdb);
  ++(streaming ? streaming_writes_ : plain_writes_);
  if (Check bad = disc_->check_write(lba, blocks)) return c.fail(*bad, lba);
  if (blocks == 0) return;
  bool calibrate = !calibrated_;
  if (calibrate && opc_fails(c.now)) {
    c.complete_at += timing_->params().enabled ? timing_->params().opc : Nanos{0};
    return c.fail(sense::kPowerCalibrationError);
  }
  std::optional<uint32_t> first_bad;
  for (auto& f : faults_) {
    if (f.spec.kind != FaultKind::kWriteError || !f.spec.touches(lba, blocks)) continue;
    if (f.spec.at && c.now < opened_at_ + *f.spec.at) continue;
    if (!fire(f)) continue;
    uint32_t bad = std::max(lba, *f.spec.lba_first);
    first_bad = first_bad ? std::min(*first_bad, bad) : bad;
  }
  auto data = c.data_out().first(bytes);
  if (Status s = disc_->write_data(lba, data); !s.ok()) {
    c.error = std::move(s).error();
    return;
  }
  // A failed write still consumes its blocks on write-once media: the
  // next writable address moves past them and they read back as errors.
  disc_->commit_write(lba, blocks);
  if (first_bad) disc_->mark_damaged(*first_bad, lba + blocks - *first_bad);
  bytes_written_ += bytes;
  uint64_t rate = write_rate();
  // Defect management verifies every block after writing it: half speed.
  // The Streaming bit turns that off (MMC.md §11).
  if (disc_->defect_management() && !streaming) rate /= 2;
  Nanos extra = c.complete_at - c.now;
  c.complete_at = timing_->write(c.now, lba, bytes, rate, calibrate) + extra;
  calibrated_ = true;
  if (first_bad) c.fail(sense::kWriteError, *first_bad);
}

void SimDrive::cmd_read(Command& c, uint32_t lba, uint32_t blocks, bool streaming) {
  uint64_t bytes = uint64_t{blocks} * kBlockSize;
  if (c.request.direction != DataDirection::kIn || c.request.data.size() < bytes)
    return c.fail(sense::kInvalidFieldInCdb);
  if (Check bad = disc_->check_read(lba, blocks)) return c.fail(*bad, lba);
  if (blocks == 0) return;
  uint32_t first_bad = 0;
  bool bad = disc_->damaged(lba, blocks, &first_bad);
  for (auto& f : faults_) {
    if (f.spec.kind != FaultKind::kReadError || !f.spec.touches(lba, blocks)) continue;
    if (f.spec.at && c.now < opened_at_ + *f.spec.at) continue;
    if (!fire(f)) continue;
    uint32_t at = std::max(lba, *f.spec.lba_first);
    first_bad = bad ? std::min(first_bad, at) : at;
    bad = true;
  }
  Nanos extra = c.complete_at - c.now;
  c.complete_at = timing_->read(c.now, lba, bytes, read_rate()) + extra;
  if (bad) return c.fail(sense::kUnrecoveredReadError, first_bad);
  if (Status s = disc_->read_data(lba, c.request.data.first(bytes)); !s.ok()) {
    c.error = std::move(s).error();
    return;
  }
  c.result.residual = c.request.data.size() - bytes;
  (void)streaming;  // no retries are modelled, so streaming reads time the same
}

void SimDrive::cmd_synchronize_cache(Command& c) {
  TimePoint idle = timing_->media_idle_at(c.now);
  if (c.cdb[1] & 0x02) make_busy(c, idle, sense::kLongWriteInProgress);
  else c.complete_at = std::max(c.complete_at, idle);
  // What the power-cut model keeps: the state as of the last flush.
  if (Status s = disc_->save(); !s.ok()) c.error = std::move(s).error();
}

void SimDrive::cmd_reserve_track(Command& c) {
  if (c.cdb[1] & 0x01) return c.fail(sense::kInvalidFieldInCdb);  // ARSV (LBA-based) not modelled
  if (Check bad = disc_->reserve_track(be32(c.cdb, 5))) return c.fail(*bad);
  (void)disc_->save();
}

void SimDrive::cmd_close_track_session(Command& c) {
  uint8_t function = c.cdb[2] & 0x07;
  bool finalize_dvd_r = (page05_[3] >> 6) == 0;
  if (Check bad = disc_->close(function, be16(c.cdb, 4), finalize_dvd_r)) return c.fail(*bad);
  Nanos cost{0};
  if (timing_->params().enabled && media().sequential) {
    if (function == 1) cost = kCloseTrackTime;
    else if (disc_->finalized()) cost = kFinalizeTime;
    else cost = kCloseSessionTime;
  }
  TimePoint done = timing_->media_idle_at(c.now) + cost;
  if (c.cdb[1] & 0x01) make_busy(c, done, sense::kLongWriteInProgress);
  else c.complete_at = std::max(c.complete_at, done);
  if (Status s = disc_->save(); !s.ok()) c.error = std::move(s).error();
}

void SimDrive::cmd_format_unit(Command& c) {
  const MediaProfile& m = media();
  uint8_t type = m.profile == 0x001A ? 0x26 : 0x00;
  uint8_t sub_type = 0;
  uint32_t blocks = 0;
  bool immed = false;
  if (c.cdb[1] & 0x10) {
    if ((c.cdb[1] & 0x07) != 0x01) return c.fail(sense::kInvalidFieldInCdb);
    auto data = c.data_out();
    if (data.size() < 12) return c.fail(sense::kParameterListLength);
    if (be16(data, 2) != 8) return c.fail(sense::kInvalidFieldInParameters);
    immed = data[1] & 0x02;
    blocks = be32(data, 4);
    type = data[8] >> 2;
    sub_type = data[8] & 0x03;
  }
  if (Check bad = disc_->format(type, blocks)) return c.fail(*bad);
  Nanos cost{0};
  if (timing_->params().enabled) {
    // Full certification (BD-RE sub-type 10b) writes and verifies the
    // whole disc; everything else is a quick format.
    cost = kQuickFormatTime;
    if ((type == 0x30 || type == 0x31) && sub_type == 0x02)
      cost = transfer_time(uint64_t{disc_->user_capacity()} * kBlockSize, write_rate() / 2);
  }
  TimePoint done = timing_->media_idle_at(c.now) + cost;
  timing_->reset(c.now);
  if (immed) make_busy(c, done, sense::kFormatInProgress);
  else c.complete_at = std::max(c.complete_at, done);
  if (Status s = disc_->save(); !s.ok()) c.error = std::move(s).error();
}

void SimDrive::cmd_send_opc(Command& c) {
  if (!(c.cdb[1] & 0x01)) return;  // DoOpc=0: OPC values from the host are accepted as they are
  c.complete_at = std::max(c.complete_at, timing_->media_idle_at(c.now));
  if (timing_->params().enabled) c.complete_at += timing_->params().opc;
  if (opc_fails(c.now)) {
    calibrated_ = false;
    return c.fail(sense::kPowerCalibrationError);
  }
  calibrated_ = true;
}

void SimDrive::cmd_set_streaming(Command& c) {
  if (c.cdb[8] != 0x00) return c.fail(sense::kInvalidFieldInCdb);
  uint16_t length = be16(c.cdb, 9);
  auto d = c.data_out();
  if (length < 28 || d.size() < 28) return c.fail(sense::kParameterListLength);
  const MediaProfile& m = media();
  if (d[0] & 0x04) return set_write_speed(m.write_speeds_x10.back());  // RDD: drive defaults
  bool exact = d[0] & 0x02;
  uint32_t start = be32(d, 4), end = be32(d, 8);
  uint32_t write_size = be32(d, 20), write_time = be32(d, 24);
  if (end < start) return c.fail(sense::kInvalidFieldInParameters);
  if (write_size == 0) return;  // read performance only; one read speed is modelled
  if (write_time == 0) return c.fail(sense::kInvalidFieldInParameters);
  uint64_t kbps = uint64_t{write_size} * 1000 / write_time;
  uint16_t x10 = nearest_write_speed(m, kbps);
  uint64_t got = speed_kbps(m, x10);
  if (exact && (got > kbps ? got - kbps : kbps - got) * 100 > kbps) return c.fail(sense::kInvalidFieldInParameters);
  set_write_speed(x10);
}

void SimDrive::cmd_set_cd_speed(Command& c) {
  if ((c.cdb[1] & 0x03) > 1) return c.fail(sense::kInvalidFieldInCdb);
  uint16_t write = be16(c.cdb, 4);
  const MediaProfile& m = media();
  set_write_speed(write == 0xFFFF || write == 0 ? m.write_speeds_x10.back() : nearest_write_speed(m, write));
}

}  // namespace discrec::device::sim
