#include "device/sim/sim_drive.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "device/sim/bytes.h"
#include "device/sim/changer_options.h"
#include "device/sim/library.h"
#include "device/sim/sense.h"
#include "device/sim/sim_transport.h"

namespace discrec::device::sim {
namespace {

// Commands a drive answers even with a unit attention pending, while busy
// or without a medium (SPC/MMC: INQUIRY, REQUEST SENSE, GET CONFIGURATION
// and GET EVENT STATUS NOTIFICATION never report a unit attention).
bool always_answered(uint8_t op) { return op == 0x12 || op == 0x03 || op == 0x46 || op == 0x4A; }

bool needs_medium(uint8_t op) {
  switch (op) {
    case 0x00: case 0x04: case 0x25: case 0x28: case 0x2A: case 0x35: case 0x51: case 0x52:
    case 0x53: case 0x54: case 0x5B: case 0xA8: case 0xAA: case 0xAC: case 0xB6: case 0xBB:
      return true;
    default:
      return false;
  }
}

size_t cdb_length(uint8_t op) {
  if (op < 0x20) return 6;
  if (op < 0x60) return 10;
  if (op >= 0xA0 && op < 0xC0) return 12;
  return 0;
}

// The LBA range a READ/WRITE touches (for LBA-triggered faults).
bool io_range(std::span<const uint8_t> cdb, uint32_t& lba, uint32_t& blocks) {
  switch (cdb[0]) {
    case 0x28: case 0x2A:
      lba = be32(cdb, 2);
      blocks = be16(cdb, 7);
      return true;
    case 0xA8: case 0xAA:
      lba = be32(cdb, 2);
      blocks = be32(cdb, 6);
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<std::unique_ptr<Transport>> open_sim_transport(std::string_view uri, const TransportOptions& options) {
  ASSIGN_OR_RETURN(auto drive, SimDrive::open(uri, options));
  return std::unique_ptr<Transport>(std::move(drive));
}

Result<std::unique_ptr<SimDrive>> SimDrive::open(std::string_view uri, const TransportOptions& options) {
  if (uri.starts_with("sim-changer://")) {
    ASSIGN_OR_RETURN(SimChangerOptions parsed, parse_sim_changer_uri(uri));
    if (parsed.drive == 0)
      return Error(ErrorCode::kInvalidArgument, "sim-changer:// URI without drive=N names the changer, not a drive: " +
                                                    std::string(uri));
    ASSIGN_OR_RETURN(auto library, Library::attach(parsed.directory, parsed.shape));
    return library->open_drive(parsed.drive, std::string(uri), parsed.drive_options, options);
  }
  ASSIGN_OR_RETURN(SimOptions parsed, parse_sim_uri(uri));
  std::vector<FaultSpec> script;
  if (!parsed.faults_path.empty()) {
    ASSIGN_OR_RETURN(script, load_fault_script(parsed.faults_path));
  }
  ASSIGN_OR_RETURN(auto disc, Disc::open(parsed));
  return create(uri, parsed, std::move(disc), std::move(script), options);
}

std::unique_ptr<SimDrive> SimDrive::create(std::string_view uri, const SimOptions& parsed, std::unique_ptr<Disc> disc,
                                           std::vector<FaultSpec> script, const TransportOptions& options) {
  std::unique_ptr<SimDrive> d(new SimDrive());
  d->uri_ = std::string(uri);
  d->options_ = parsed;
  d->serial_ = "SIM" + std::to_string(std::hash<std::string>{}(disc->image_path()) % 100000000);
  d->clock_ = options.clock ? options.clock : &SteadyClock::instance();
  d->opened_at_ = d->clock_->now();
  d->adopt_disc(std::move(disc));
  d->medium_present_ = !parsed.start_empty;
  for (const auto& f : script) d->faults_.push_back({f, 0});
  return d;
}

void SimDrive::adopt_disc(std::unique_ptr<Disc> disc) {
  disc_ = std::move(disc);
  const MediaProfile& m = disc_->media();
  TimingParams tp;
  tp.enabled = options_.timing;
  tp.host_bytes_per_second = options_.host_bytes_per_second;
  tp.buffer_bytes = options_.buffer_bytes;
  tp.seek = std::chrono::milliseconds(options_.seek_ms.value_or(m.seek_ms));
  tp.opc = std::chrono::milliseconds(options_.opc_ms.value_or(m.opc_ms));
  timing_ = std::make_unique<TimingModel>(tp);
  write_speed_x10_ = m.write_speeds_x10.back();
  if (options_.speed_x10)
    write_speed_x10_ = nearest_write_speed(m, speed_bytes_per_second(m, *options_.speed_x10) / 1000);
  calibrated_ = false;
  page05_ = page_05();
}

SimDrive::~SimDrive() {
  // Unbound first (without this drive's lock: the library's comes first),
  // so no move reaches a drive on its way out.
  if (library_) library_->detach_drive(library_drive_, this);
  std::lock_guard lock(mutex_);
  if (abandoned_ && disc_) disc_->abandon();
}

void SimDrive::Command::fail(SenseCode code, std::optional<uint32_t> information,
                             std::optional<uint16_t> progress) {
  result.status = kStatusCheckCondition;
  result.sense.fill(0);
  result.sense[0] = 0x70 | (information ? 0x80 : 0);
  result.sense[2] = code.key & 0x0F;
  if (information) {
    result.sense[3] = static_cast<uint8_t>(*information >> 24);
    result.sense[4] = static_cast<uint8_t>(*information >> 16);
    result.sense[5] = static_cast<uint8_t>(*information >> 8);
    result.sense[6] = static_cast<uint8_t>(*information);
  }
  result.sense[7] = 10;
  result.sense[12] = code.asc;
  result.sense[13] = code.ascq;
  if (progress) {
    result.sense[15] = 0x80;
    result.sense[16] = static_cast<uint8_t>(*progress >> 8);
    result.sense[17] = static_cast<uint8_t>(*progress);
  }
  result.sense_length = 18;
  result.residual = request.data.size();
}

void SimDrive::Command::respond(const std::vector<uint8_t>& bytes, size_t allocation_length) {
  size_t n = std::min({bytes.size(), allocation_length, request.data.size()});
  if (request.direction != DataDirection::kIn) n = 0;
  if (n) std::memcpy(request.data.data(), bytes.data(), n);
  result.residual = request.data.size() - n;
}

std::span<const uint8_t> SimDrive::Command::data_out() const {
  if (request.direction != DataDirection::kOut) return {};
  return {request.data.data(), request.data.size()};
}

Result<CommandResult> SimDrive::execute(const CommandRequest& request) {
  if (request.cdb.empty()) return Error(ErrorCode::kInvalidArgument, "sim: empty CDB");
  std::unique_lock lock(mutex_);
  Command c{request, request.cdb, clock_->now(), {}, false, false, false, {}, {}, std::nullopt};
  c.complete_at = c.now;
  ++commands_;
  run(c);
  if (c.dropped) {
    unit_attention_ = SenseCode{0x6, 0x29, 0x00};  // power on, reset or bus device reset
    if (c.ready_at > c.now) {
      not_ready_until_ = std::max(not_ready_until_, c.ready_at);
      not_ready_ascq_ = 0x01;
    }
  }
  lock.unlock();
  // The command's effects are in place; now let its time pass. A command
  // that outlives its timeout is what the host sees as a timeout.
  TimePoint deadline = c.now + std::chrono::duration_cast<Nanos>(request.timeout);
  if (c.hang || c.complete_at > deadline) {
    clock_->sleep_until(deadline);
    return Error(ErrorCode::kTimeout, "",
                 "sim: command 0x" + std::string(1, "0123456789ABCDEF"[request.cdb[0] >> 4]) +
                     std::string(1, "0123456789ABCDEF"[request.cdb[0] & 15]) + " did not complete within " +
                     std::to_string(request.timeout.count()) + " ms");
  }
  clock_->sleep_until(c.complete_at);
  if (c.dropped) {
    return Error(ErrorCode::kTransport, "",
                 "sim: the drive was reset; command 0x" + std::string(1, "0123456789ABCDEF"[request.cdb[0] >> 4]) +
                     std::string(1, "0123456789ABCDEF"[request.cdb[0] & 15]) + " was dropped");
  }
  if (c.error) return std::move(*c.error);
  return c.result;
}

void SimDrive::run(Command& c) {
  uint8_t op = c.cdb[0];
  if (reinsert_at_ && c.now >= *reinsert_at_) do_insert();
  apply_faults(c, op);
  if (c.hang) return;
  if (c.dropped && !c.run_before_reset) return;
  size_t need = cdb_length(op);
  if (need == 0) return c.fail(sense::kInvalidOpcode);
  if (c.cdb.size() < need) return c.fail(sense::kInvalidFieldInCdb);
  if (!gate(c, op)) return;
  uint32_t lba = 0, blocks = 0;
  switch (op) {
    case 0x00: return cmd_test_unit_ready(c);
    case 0x03: return cmd_request_sense(c);
    case 0x04: return cmd_format_unit(c);
    case 0x12: return cmd_inquiry(c);
    case 0x1B: return cmd_start_stop(c);
    case 0x1E: return cmd_prevent_allow(c);
    case 0x23: return cmd_read_format_capacities(c);
    case 0x25: return cmd_read_capacity(c);
    case 0x28: case 0xA8:
      io_range(c.cdb, lba, blocks);
      return cmd_read(c, lba, blocks, op == 0xA8 && (c.cdb[10] & 0x80));
    case 0x2A: case 0xAA:
      io_range(c.cdb, lba, blocks);
      return cmd_write(c, lba, blocks, op == 0xAA && (c.cdb[10] & 0x80));
    case 0x35: return cmd_synchronize_cache(c);
    case 0x46: return cmd_get_configuration(c);
    case 0x4A: return cmd_event_status(c);
    case 0x51: return cmd_read_disc_information(c);
    case 0x52: return cmd_read_track_information(c);
    case 0x53: return cmd_reserve_track(c);
    case 0x54: return cmd_send_opc(c);
    case 0x55: return cmd_mode_select(c);
    case 0x5A: return cmd_mode_sense(c);
    case 0x5B: return cmd_close_track_session(c);
    case 0x5C: return cmd_read_buffer_capacity(c);
    case 0xAC: return cmd_get_performance(c);
    case 0xB6: return cmd_set_streaming(c);
    case 0xBB: return cmd_set_cd_speed(c);
    default: return c.fail(sense::kInvalidOpcode);
  }
}

// Unit attention, busy, not-ready and no-medium states, in the order a
// drive reports them. Returns false when the command was answered.
bool SimDrive::gate(Command& c, uint8_t op) {
  if (always_answered(op)) return true;
  if (unit_attention_ && medium_present_) {
    SenseCode code = *unit_attention_;
    unit_attention_.reset();
    c.fail(code);
    return false;
  }
  if (c.now < busy_until_) {
    auto total = (busy_until_ - busy_since_).count();
    auto done = (c.now - busy_since_).count();
    uint16_t progress = total > 0 ? static_cast<uint16_t>(done * 65535 / total) : 0;
    c.fail(busy_sense_, std::nullopt, progress);
    return false;
  }
  if (!needs_medium(op)) return true;
  if (!medium_present_) {
    c.fail(sense::kMediumNotPresent);
    return false;
  }
  if (c.now < not_ready_until_) {
    c.fail(SenseCode{0x2, 0x04, not_ready_ascq_});
    return false;
  }
  return true;
}

bool SimDrive::fault_matches(const ActiveFault& f, const Command& c, uint8_t op) const {
  const FaultSpec& s = f.spec;
  if (s.count != 0 && f.fired >= s.count) return false;
  if (s.at && c.now < opened_at_ + *s.at) return false;
  if (s.opcode && op != *s.opcode) return false;
  if (s.lba_first) {
    uint32_t lba = 0, blocks = 0;
    if (!io_range(c.cdb, lba, blocks) || !s.touches(lba, blocks)) return false;
  }
  return true;
}

bool SimDrive::fire(ActiveFault& f) {
  if (f.spec.count != 0 && f.fired >= f.spec.count) return false;
  ++f.fired;
  return true;
}

void SimDrive::apply_faults(Command& c, uint8_t op) {
  for (auto& f : faults_) {
    const FaultSpec& s = f.spec;
    switch (s.kind) {
      case FaultKind::kWriteError: case FaultKind::kReadError: case FaultKind::kOpcFailure:
        continue;  // checked by the commands they affect
      default:
        break;
    }
    if (!fault_matches(f, c, op) || !fire(f)) continue;
    // A time-triggered state change starts at its own time, even if no
    // command came in at that moment.
    TimePoint at = (s.at && !s.lba_first && !s.opcode) ? opened_at_ + *s.at : c.now;
    switch (s.kind) {
      case FaultKind::kLatency:
        c.complete_at += s.duration;
        break;
      case FaultKind::kStall:
        timing_->stall(at, s.duration);
        break;
      case FaultKind::kNotReady:
        not_ready_until_ = std::max(not_ready_until_, at + s.duration);
        not_ready_ascq_ = s.ascq;
        break;
      case FaultKind::kMediumRemoval:
        do_remove(at);
        if (s.duration.count() > 0) {
          reinsert_at_ = at + s.duration;
          if (c.now >= *reinsert_at_) do_insert();
        }
        break;
      case FaultKind::kHang:
        c.hang = true;
        break;
      case FaultKind::kUnitAttention:
        unit_attention_ = SenseCode{0x6, s.asc, s.ascq};
        break;
      case FaultKind::kReset:
        // The command in flight is lost with the reset; the drive then says
        // so (6/29/00) and spins up again for `duration`. Its buffer and
        // write position survive (what it took, it writes).
        // The unit attention and the spin-up follow once the command is
        // done (execute()), so that one the reset lets run is not refused.
        c.dropped = true;
        c.run_before_reset = s.executed;
        c.ready_at = std::max(c.ready_at, at + s.duration);
        break;
      default:
        break;
    }
  }
}

bool SimDrive::opc_fails(TimePoint now) {
  for (auto& f : faults_) {
    if (f.spec.kind != FaultKind::kOpcFailure) continue;
    if (f.spec.at && now < opened_at_ + *f.spec.at) continue;
    if (fire(f)) return true;
  }
  return false;
}

void SimDrive::do_remove(TimePoint at) {
  if (!medium_present_) return;
  medium_present_ = false;
  media_event_ = 3;  // media removal
  calibrated_ = false;
  unit_attention_.reset();
  timing_->reset(at);
  busy_until_ = TimePoint{};
  (void)disc_->save();
}

void SimDrive::do_insert() {
  reinsert_at_.reset();
  if (medium_present_ || !disc_->has_image()) return;  // an empty tray loads nothing
  medium_present_ = true;
  unit_attention_ = sense::kMediumMayHaveChanged;
  media_event_ = 2;  // new media
}

void SimDrive::cmd_test_unit_ready(Command&) {}

void SimDrive::cmd_request_sense(Command& c) {
  // Autosense already delivered every error; REQUEST SENSE reports the
  // drive's standing condition (busy with progress, no medium, UA) or none.
  Command probe{c.request, c.cdb, c.now, c.now, false, false, false, {}, {}, std::nullopt};
  if (c.now < busy_until_ || unit_attention_ || !medium_present_ || c.now < not_ready_until_) {
    gate(probe, 0x00);
  }
  std::vector<uint8_t> sense(18, 0);
  if (probe.result.sense_length) {
    std::copy_n(probe.result.sense.begin(), 18, sense.begin());
  } else {
    sense[0] = 0x70;
    sense[7] = 10;
  }
  c.respond(sense, c.cdb[4]);
}

void SimDrive::cmd_start_stop(Command& c) {
  bool load_eject = c.cdb[4] & 0x02;
  bool start = c.cdb[4] & 0x01;
  if ((c.cdb[4] >> 4) != 0 || !load_eject) return;  // power conditions, spin up/down
  if (!start) {
    if (prevent_removal_) return c.fail(sense::kRemovalPrevented);
    // The drive writes out its buffer before it lets the disc go.
    c.complete_at = std::max(c.complete_at, timing_->media_idle_at(c.now));
    do_remove(c.complete_at);
    media_event_ = 3;
  } else {
    do_insert();
    // The initiator that loaded the disc knows: no unit attention for it.
    unit_attention_.reset();
  }
}

void SimDrive::cmd_prevent_allow(Command& c) { prevent_removal_ = c.cdb[4] & 0x01; }

void SimDrive::cmd_event_status(Command& c) {
  if (!(c.cdb[1] & 0x01)) return c.fail(sense::kInvalidFieldInCdb);  // asynchronous mode
  ResponseBuilder r(4);
  r.put8(3, 0x10);  // supported classes: media
  if (c.cdb[4] & 0x10) {
    r.put16(0, 6);
    r.put8(2, 0x04);  // media class
    r.put8(4, media_event_);
    r.put8(5, medium_present_ ? 0x02 : 0x00);
    media_event_ = 0;
    r.resize(8);
  } else {
    r.put16(0, 2);
    r.put8(2, 0x80);  // NEA: no event of the requested classes
  }
  c.respond(r.bytes(), be16(c.cdb, 7));
}

void SimDrive::inject(const FaultSpec& fault) {
  std::lock_guard lock(mutex_);
  faults_.push_back({fault, 0});
}

Status SimDrive::inject_script(std::string_view text) {
  ASSIGN_OR_RETURN(auto faults, parse_fault_script(text));
  std::lock_guard lock(mutex_);
  for (const auto& f : faults) faults_.push_back({f, 0});
  return ok_status();
}

void SimDrive::clear_faults() {
  std::lock_guard lock(mutex_);
  faults_.clear();
  not_ready_until_ = TimePoint{};
}

void SimDrive::remove_medium() {
  std::lock_guard lock(mutex_);
  do_remove(clock_->now());
}

void SimDrive::insert_medium() {
  std::lock_guard lock(mutex_);
  do_insert();
}

void SimDrive::abandon() {
  std::lock_guard lock(mutex_);
  abandoned_ = true;
  disc_->abandon();
}

SimDrive::Snapshot SimDrive::snapshot() {
  std::lock_guard lock(mutex_);
  TimePoint now = clock_->now();
  Snapshot s;
  s.medium_present = medium_present_;
  s.profile = medium_present_ ? media().profile : 0;
  s.write_speed_kbps = speed_kbps(media(), write_speed_x10_);
  s.calibrated = calibrated_;
  s.buffer_fill_bytes = timing_->buffer_fill(now);
  s.media_idle_at = timing_->media_idle_at(now);
  for (const auto& t : disc_->tracks())
    if (t.writable()) s.next_writable_address = t.next;
  s.commands = commands_;
  s.bytes_written = bytes_written_;
  s.streaming_writes = streaming_writes_;
  s.plain_writes = plain_writes_;
  return s;
}

}  // namespace discrec::device::sim
