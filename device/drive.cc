// Drive: typed MMC commands over a Transport (see drive.h).
#include "device/drive.h"

#include <algorithm>
#include <cstdio>

#include "base/clock.h"
#include "device/mmc/cdb.h"
#include "device/mmc/parse.h"
#include "device/mmc/sense.h"

namespace discrec::device {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
constexpr uint32_t kBlockSize = 2048;

// Per-command timeouts, after libburn's (MMC.md §8): long operations get
// minutes, the rest 30 s.
constexpr milliseconds kShortTimeout = seconds(30);
constexpr milliseconds kImmedTimeout = seconds(200);
constexpr milliseconds kOpcTimeout = seconds(200);
constexpr milliseconds kLoadTimeout = seconds(300);
constexpr milliseconds kSyncTimeout = seconds(3600);
constexpr milliseconds kCloseTimeout = seconds(3600);
constexpr milliseconds kFormatTimeout = seconds(18000);

CommandRequest request_for(const mmc::Cdb& cdb, DataDirection dir, std::span<uint8_t> data,
                           milliseconds timeout = kShortTimeout) {
  CommandRequest r;
  r.cdb = cdb.span();
  r.direction = dir;
  r.data = data;
  r.timeout = timeout;
  return r;
}

std::string status_name(uint8_t status) {
  switch (status) {
    case 0x08: return "BUSY";
    case 0x18: return "RESERVATION CONFLICT";
    case 0x28: return "TASK SET FULL";
    case 0x30: return "ACA ACTIVE";
    case 0x40: return "TASK ABORTED";
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "status 0x%02X", status);
  return buf;
}

}  // namespace

Drive::Drive(std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {}
Drive::~Drive() = default;

Result<std::unique_ptr<Drive>> Drive::open(std::string_view uri, const TransportOptions& options) {
  ASSIGN_OR_RETURN(auto transport, open_transport(uri, options));
  return std::make_unique<Drive>(std::move(transport));
}

std::string Drive::describe() const {
  std::lock_guard lock(mutex_);
  return transport_->describe();
}

void Drive::set_quirk_table(std::shared_ptr<const QuirkTable> table) {
  std::lock_guard lock(mutex_);
  quirk_table_ = std::move(table);
}

DriveQuirks Drive::quirks() const {
  std::lock_guard lock(mutex_);
  return quirks_;
}

std::optional<Error> Drive::skipped_by_quirk(QuirkKind kind, const char* command_name) const {
  std::lock_guard lock(mutex_);
  const DriveQuirk* quirk = quirks_.find(kind);
  if (!quirk) return std::nullopt;
  return Error(ErrorCode::kUnsupported, command_name,
               "not sent: drive quirk " + quirk->to_string() + " (" + quirk->reason + ")");
}

Result<size_t> Drive::execute(const char* command_name, const CommandRequest& request) {
  return run(command_name, request);
}

Result<size_t> Drive::run(const char* command_name, const CommandRequest& request) {
  std::lock_guard lock(mutex_);
  return run_locked(command_name, request);
}

Result<size_t> Drive::run_locked(const char* name, const CommandRequest& request) {
  Result<CommandResult> executed = transport_->execute(request);
  if (!executed.ok()) {
    Error e = std::move(executed).error();
    // Name the MMC command; keep the transport's own label in the text.
    std::string what = e.command().empty() ? e.message() : e.command() + ": " + e.message();
    return Error(e.code(), name, what);
  }
  const CommandResult& r = *executed;
  if (r.status == kStatusCheckCondition) {
    if (r.sense_length == 0)
      return Error(ErrorCode::kCheckCondition, name, "CHECK CONDITION without sense data");
    Result<SenseData> sense = mmc::parse_sense(r.sense_bytes());
    if (!sense.ok())
      return Error(ErrorCode::kCheckCondition, name,
                   "CHECK CONDITION with unreadable sense: " + sense.error().message());
    std::string message = mmc::describe_sense(sense->code);
    if (sense->deferred) message += " (deferred: an earlier command failed)";
    if (sense->information) message += " (information " + std::to_string(*sense->information) + ")";
    // An opcode the device does not implement is a missing feature, not a fault.
    ErrorCode code = sense->code.key == 5 && sense->code.asc == 0x20 ? ErrorCode::kUnsupported
                                                                      : ErrorCode::kCheckCondition;
    return Error::scsi(code, name, sense->code, std::move(message));
  }
  if (r.status != kStatusGood)
    return Error(ErrorCode::kUnavailable, name, "device answered " + status_name(r.status));
  size_t transferred = request.direction == DataDirection::kNone ? 0 : request.data.size();
  return transferred - std::min(transferred, r.residual);
}

// --- identification and state ---

Status Drive::test_unit_ready() {
  RETURN_IF_ERROR(run("TEST UNIT READY", request_for(mmc::test_unit_ready(), DataDirection::kNone, {})));
  return ok_status();
}

Result<SenseData> Drive::request_sense() {
  std::vector<uint8_t> buf(252);
  ASSIGN_OR_RETURN(size_t n, run("REQUEST SENSE", request_for(mmc::request_sense(252), DataDirection::kIn, buf)));
  return mmc::parse_sense(std::span(buf).first(n));
}

Result<InquiryData> Drive::inquiry() {
  std::vector<uint8_t> buf(96);
  ASSIGN_OR_RETURN(size_t n, run("INQUIRY", request_for(mmc::inquiry(96), DataDirection::kIn, buf)));
  return mmc::parse_inquiry(std::span(buf).first(n));
}

Result<Configuration> Drive::get_configuration() {
  // Most drives fit in 2 KiB; ask again with the announced size otherwise.
  std::vector<uint8_t> buf(2048);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto cdb = mmc::get_configuration(mmc::ConfigurationRequest::kAll, 0, static_cast<uint16_t>(buf.size()));
    ASSIGN_OR_RETURN(size_t n, run("GET CONFIGURATION", request_for(cdb, DataDirection::kIn, buf)));
    std::span<const uint8_t> got = std::span(buf).first(n);
    ASSIGN_OR_RETURN(uint32_t total, mmc::configuration_total_length(got));
    if (total <= n || attempt == 1) return mmc::parse_configuration(got);
    buf.assign(std::min<uint32_t>(total, 65532), 0);
  }
  return Error(ErrorCode::kInternal, "GET CONFIGURATION", "unreachable");
}

Result<DiscInformation> Drive::read_disc_information() {
  std::vector<uint8_t> buf(34);
  ASSIGN_OR_RETURN(size_t n, run("READ DISC INFORMATION",
                                 request_for(mmc::read_disc_information(34), DataDirection::kIn, buf)));
  return mmc::parse_disc_information(std::span(buf).first(n));
}

Result<TrackInformation> Drive::read_track_information(uint32_t number, TrackAddressType type) {
  std::vector<uint8_t> buf(48);
  ASSIGN_OR_RETURN(size_t n, run("READ TRACK INFORMATION",
                                 request_for(mmc::read_track_information(type, number, 48),
                                             DataDirection::kIn, buf)));
  return mmc::parse_track_information(std::span(buf).first(n));
}

Result<BufferCapacity> Drive::read_buffer_capacity(bool in_blocks) {
  std::vector<uint8_t> buf(12);
  ASSIGN_OR_RETURN(size_t n, run("READ BUFFER CAPACITY",
                                 request_for(mmc::read_buffer_capacity(in_blocks), DataDirection::kIn, buf)));
  return mmc::parse_buffer_capacity(std::span(buf).first(n), in_blocks);
}

Result<ReadCapacity> Drive::read_capacity() {
  std::vector<uint8_t> buf(8);
  ASSIGN_OR_RETURN(size_t n, run("READ CAPACITY", request_for(mmc::read_capacity(), DataDirection::kIn, buf)));
  return mmc::parse_read_capacity(std::span(buf).first(n));
}

Result<FormatCapacities> Drive::read_format_capacities() {
  std::vector<uint8_t> buf(252);
  ASSIGN_OR_RETURN(size_t n, run("READ FORMAT CAPACITIES",
                                 request_for(mmc::read_format_capacities(252), DataDirection::kIn, buf)));
  return mmc::parse_format_capacities(std::span(buf).first(n));
}

Result<EventStatus> Drive::get_event_status(uint8_t class_request) {
  std::vector<uint8_t> buf(8);
  ASSIGN_OR_RETURN(size_t n, run("GET EVENT STATUS NOTIFICATION",
                                 request_for(mmc::get_event_status_notification(class_request, 8),
                                             DataDirection::kIn, buf)));
  return mmc::parse_event_status(std::span(buf).first(n));
}

// --- speed and calibration ---

Result<std::vector<WriteSpeedDescriptor>> Drive::get_write_speeds() {
  constexpr uint16_t kMax = 32;
  std::vector<uint8_t> buf(8 + 16 * kMax);
  ASSIGN_OR_RETURN(size_t n, run("GET PERFORMANCE",
                                 request_for(mmc::get_performance_write_speed(kMax), DataDirection::kIn, buf)));
  return mmc::parse_write_speed_descriptors(std::span(buf).first(n));
}

Result<std::vector<PerformanceDescriptor>> Drive::get_performance(bool write) {
  constexpr uint16_t kMax = 16;
  std::vector<uint8_t> buf(8 + 16 * kMax);
  auto cdb = mmc::get_performance_nominal(write, mmc::PerformanceExcept::kNominal, 0, kMax);
  ASSIGN_OR_RETURN(size_t n, run("GET PERFORMANCE", request_for(cdb, DataDirection::kIn, buf)));
  return mmc::parse_performance_descriptors(std::span(buf).first(n));
}

Status Drive::set_streaming(const StreamingPerformance& performance) {
  auto descriptor = mmc::streaming_performance_descriptor(performance);
  RETURN_IF_ERROR(run("SET STREAMING",
                      request_for(mmc::set_streaming(descriptor.size()), DataDirection::kOut, descriptor)));
  return ok_status();
}

Status Drive::set_cd_speed(uint16_t read_kbps, uint16_t write_kbps) {
  RETURN_IF_ERROR(run("SET CD SPEED", request_for(mmc::set_cd_speed(read_kbps, write_kbps), DataDirection::kNone, {})));
  return ok_status();
}

Result<uint32_t> Drive::set_write_speed(uint32_t write_kbps, uint32_t end_lba) {
  StreamingPerformance p;
  p.end_lba = end_lba;
  p.read_size_kb = write_kbps;
  p.write_size_kb = write_kbps;
  Status streamed = set_streaming(p);
  if (!streamed.ok()) {
    // Drives without SET STREAMING (or rejecting the descriptor) may still
    // take SET CD SPEED (MMC.md §6.2); anything else is a real failure.
    const Error& e = streamed.error();
    if (!e.sense() || e.sense()->key != 5) return streamed.error();
    RETURN_IF_ERROR(set_cd_speed(0xFFFF, static_cast<uint16_t>(std::min<uint32_t>(write_kbps, 0xFFFF))));
  }
  ASSIGN_OR_RETURN(auto performance, get_performance(/*write=*/true));
  if (performance.empty())
    return Error(ErrorCode::kMalformedResponse, "GET PERFORMANCE", "no write performance descriptor");
  // The slowest point of the disc is what a stream can count on.
  uint32_t slowest = UINT32_MAX;
  for (const auto& d : performance) slowest = std::min({slowest, d.start_kbps, d.end_kbps});
  return slowest;
}

Status Drive::send_opc() {
  if (auto skipped = skipped_by_quirk(QuirkKind::kNoOpc, "SEND OPC INFORMATION")) return *skipped;
  RETURN_IF_ERROR(run("SEND OPC INFORMATION",
                      request_for(mmc::send_opc_information(true), DataDirection::kNone, {}, kOpcTimeout)));
  return ok_status();
}

// --- writing ---

Status Drive::write12(uint32_t lba, std::span<const uint8_t> data, bool streaming, milliseconds timeout) {
  if (data.empty() || data.size() % kBlockSize != 0)
    return Error(ErrorCode::kInvalidArgument, "WRITE(12)",
                 "length " + std::to_string(data.size()) + " is not a whole number of 2048-byte blocks");
  std::lock_guard lock(mutex_);
  // A drive that writes junk from short streaming commands writes the same
  // data right without the Streaming bit; the caller's pacing is unchanged.
  if (streaming && data.size() < streaming_min_write_bytes_) {
    streaming = false;
    streaming_writes_demoted_.fetch_add(1, std::memory_order_relaxed);
  }
  auto cdb = mmc::write12(lba, static_cast<uint32_t>(data.size() / kBlockSize), streaming);
  // The transport only reads from an OUT buffer.
  std::span<uint8_t> out(const_cast<uint8_t*>(data.data()), data.size());
  RETURN_IF_ERROR(run_locked("WRITE(12)", request_for(cdb, DataDirection::kOut, out, timeout)));
  return ok_status();
}

Status Drive::read12(uint32_t lba, std::span<uint8_t> data, bool streaming, milliseconds timeout) {
  if (data.empty() || data.size() % kBlockSize != 0)
    return Error(ErrorCode::kInvalidArgument, "READ(12)",
                 "length " + std::to_string(data.size()) + " is not a whole number of 2048-byte blocks");
  auto cdb = mmc::read12(lba, static_cast<uint32_t>(data.size() / kBlockSize), streaming);
  ASSIGN_OR_RETURN(size_t n, run("READ(12)", request_for(cdb, DataDirection::kIn, data, timeout)));
  if (n != data.size())
    return Error(ErrorCode::kDataLoss, "READ(12)",
                 "short read: " + std::to_string(n) + " of " + std::to_string(data.size()) + " bytes");
  return ok_status();
}

Status Drive::synchronize_cache(bool immed) {
  RETURN_IF_ERROR(run("SYNCHRONIZE CACHE", request_for(mmc::synchronize_cache(immed), DataDirection::kNone, {},
                                                       immed ? kImmedTimeout : kSyncTimeout)));
  return ok_status();
}

Status Drive::reserve_track(uint32_t blocks) {
  RETURN_IF_ERROR(run("RESERVE TRACK", request_for(mmc::reserve_track(blocks), DataDirection::kNone, {}, kImmedTimeout)));
  return ok_status();
}

Status Drive::close_track_session(CloseFunction function, uint16_t number, bool immed) {
  auto cdb = mmc::close_track_session(static_cast<uint8_t>(function), number, immed);
  RETURN_IF_ERROR(run("CLOSE TRACK/SESSION",
                      request_for(cdb, DataDirection::kNone, {}, immed ? kImmedTimeout : kCloseTimeout)));
  return ok_status();
}

Status Drive::format_unit(const FormatDescriptor& descriptor, bool immed) {
  auto parameters = mmc::format_unit_parameters(descriptor, immed);
  RETURN_IF_ERROR(run("FORMAT UNIT", request_for(mmc::format_unit(), DataDirection::kOut, parameters,
                                                 immed ? kImmedTimeout : kFormatTimeout)));
  return ok_status();
}

Result<ModePage05> Drive::mode_sense_write_parameters() {
  std::vector<uint8_t> buf(255);
  auto cdb = mmc::mode_sense10(0x05, mmc::PageControl::kCurrent, static_cast<uint16_t>(buf.size()));
  ASSIGN_OR_RETURN(size_t n, run("MODE SENSE(10)", request_for(cdb, DataDirection::kIn, buf)));
  return mmc::parse_mode_page_05(std::span(buf).first(n));
}

Status Drive::mode_select_write_parameters(const ModePage05& page) {
  std::vector<uint8_t> parameters = mmc::mode_select_page_05(page);
  auto cdb = mmc::mode_select10(static_cast<uint16_t>(parameters.size()));
  RETURN_IF_ERROR(run("MODE SELECT(10)", request_for(cdb, DataDirection::kOut, parameters)));
  return ok_status();
}

// --- recording rules ---

FormatDescriptor recording_format(uint16_t profile, const FormatCapacities& capacities, bool spare_areas) {
  FormatDescriptor format;
  format.format_type = profile == profile::kDvdPlusRw ? 0x26
                       : profile_is_bd(profile)       ? (spare_areas ? 0x30 : 0x31)
                                                      : 0x00;
  // No spares is preferred where the drive offers it; a drive that lists
  // formats with spares but none without cannot format so, and gets the
  // one it offers (write_mode.h then decides how such a disc is written).
  const auto lists = [&](uint8_t type) {
    return std::any_of(capacities.formattable.begin(), capacities.formattable.end(),
                       [type](const FormatCapacityDescriptor& d) { return d.type == type; });
  };
  if (format.format_type == 0x31 && !lists(0x31) && lists(0x30)) format.format_type = 0x30;
  format.blocks = format.format_type == 0x26 ? 0xFFFFFFFF : capacities.current_blocks;
  for (const auto& d : capacities.formattable)
    if (d.type == format.format_type) {
      format.blocks = d.blocks;
      // 31h's parameter is not a spare-area size; the default stays.
      if (format.format_type != 0x31) format.type_parameter = d.parameter;
      break;
    }
  return format;
}

Result<bool> Drive::needs_format(const DriveCapabilities& caps) {
  if (!caps.can_format()) return false;
  ASSIGN_OR_RETURN(FormatCapacities capacities, read_format_capacities());
  return capacities.current_descriptor_type == 1;  // 01b unformatted (10b formatted, 11b no medium)
}

Result<FormatDescriptor> Drive::format_for_recording(const DriveCapabilities& caps, bool spare_areas) {
  if (!caps.can_format())
    return Error(ErrorCode::kFailedPrecondition,
                 caps.medium_name() + " cannot be formatted (only BD-RE, DVD-RAM, DVD+RW)");
  ASSIGN_OR_RETURN(FormatCapacities capacities, read_format_capacities());
  FormatDescriptor format = recording_format(caps.current_profile, capacities, spare_areas);
  RETURN_IF_ERROR(format_unit(format));
  return format;
}

Result<bool> Drive::reserve_track_if_supported(uint32_t blocks) {
  Status reserved = reserve_track(blocks);
  if (reserved.ok()) return true;
  if (reserved.error().has_sense(5, 0x20)) return false;  // invalid command operation code
  return std::move(reserved).error();
}

Result<std::optional<uint32_t>> Drive::next_writable_address_at(uint32_t lba) {
  if (auto skipped = skipped_by_quirk(QuirkKind::kNwaNotReported, "READ TRACK INFORMATION")) return *skipped;
  ASSIGN_OR_RETURN(TrackInformation track, read_track_information(lba, TrackAddressType::kLba));
  if (!track.nwa_valid) return std::optional<uint32_t>();
  return std::optional<uint32_t>(track.next_writable_address);
}

Status Drive::close_for_finalize(const DriveCapabilities& caps, bool close_disc) {
  if (!caps.sequential()) return ok_status();
  // ILLEGAL REQUEST: already closed (or tgt, which closes everything on the
  // first CLOSE); what the disc ends up as is read back by the caller.
  const auto tolerated = [](const Status& s) { return s.ok() || (s.error().sense() && s.error().sense()->key == 5); };
  ASSIGN_OR_RETURN(DiscInformation disc, read_disc_information());
  if (disc.status == DiscStatus::kComplete) return ok_status();
  const uint16_t last_track = std::max<uint16_t>(disc.last_track_in_last_session, 1);
  for (uint16_t track = 1; track <= last_track; ++track) {
    Status closed = close_track_session(CloseFunction::kCloseTrack, track);
    if (!tolerated(closed)) return closed;
  }
  CloseFunction close = CloseFunction::kCloseSession;
  const uint16_t p = caps.current_profile;
  if (p == profile::kDvdRSequential || p == profile::kDvdRwSequential || p == 0x0015 || p == 0x0016) {
    // DVD-R/-RW have no finalize function: CLOSE SESSION finalizes the disc or
    // leaves it appendable as write parameters page 05's Multi-session field
    // says (00b no next session, 11b next session allowed; MMC.md §9).
    ASSIGN_OR_RETURN(ModePage05 page, mode_sense_write_parameters());
    page.multi_session = close_disc ? 0b00 : 0b11;
    RETURN_IF_ERROR(mode_select_write_parameters(page));
  } else if (close_disc) {
    close = caps.is_bd() ? CloseFunction::kFinalizeBdR : CloseFunction::kFinalizeDvdPlusR;
  }
  Status closed = close_track_session(close, 1);
  if (!tolerated(closed)) return closed;
  return ok_status();
}

// The start of session `session`'s first track. The last session's first
// track is in READ DISC INFORMATION; an earlier one is asked for by session
// number (MMC address type 10b) or, from a drive without it (tgt: 2/24/00),
// found by walking the tracks back from the last session's first.
Result<uint32_t> Drive::first_track_start(const DiscInformation& disc, uint16_t session, bool last_is_session) {
  if (last_is_session && disc.first_track_in_last_session > 0) {
    ASSIGN_OR_RETURN(TrackInformation first, read_track_information(disc.first_track_in_last_session));
    return first.start_lba;
  }
  Result<TrackInformation> by_session = read_track_information(session, TrackAddressType::kSessionNumber);
  if (by_session.ok()) return by_session->start_lba;
  std::optional<uint32_t> start;
  for (uint32_t track = disc.first_track_in_last_session; track-- > 1;) {
    ASSIGN_OR_RETURN(TrackInformation t, read_track_information(track));
    if (t.session_number < session) break;
    if (t.session_number == session) start = t.start_lba;
  }
  if (!start) return std::move(by_session).error();
  return *start;
}

Result<SessionInfo> Drive::read_sessions(const DriveCapabilities& caps) {
  if (!caps.sequential()) {
    return Error(ErrorCode::kFailedPrecondition, caps.medium_name() + " media have no sessions to append");
  }
  ASSIGN_OR_RETURN(DiscInformation disc, read_disc_information());
  SessionInfo info;
  info.status = disc.status;
  // Number of Sessions counts an empty or incomplete last session (MMC.md
  // §8.2); only a complete one has a volume to read.
  const bool last_complete =
      disc.status == DiscStatus::kComplete || disc.last_session_state == SessionState::kComplete;
  info.closed_sessions = disc.status == DiscStatus::kBlank ? 0
                         : last_complete                    ? disc.sessions
                                                            : static_cast<uint16_t>(disc.sessions - std::min<uint16_t>(disc.sessions, 1));
  info.open_session_in_use = !last_complete && disc.last_session_state != SessionState::kEmpty;
  if (info.closed_sessions > 0) {
    ASSIGN_OR_RETURN(info.last_closed_session_start, first_track_start(disc, info.closed_sessions, last_complete));
  }
  if (disc.status != DiscStatus::kComplete) {
    Result<TrackInformation> open = read_track_information(0xFF);
    if (open.ok() && open->nwa_valid) {
      info.next_session_start = open->start_lba;
      info.next_writable_address = open->next_writable_address;
      info.free_blocks = open->free_blocks;
    }
    // A session already begun (its metadata track reserved) starts at its
    // first track, not at the invisible one.
    if (info.open_session_in_use && info.next_session_start) {
      ASSIGN_OR_RETURN(TrackInformation first, read_track_information(disc.sessions, TrackAddressType::kSessionNumber));
      info.next_session_start = first.start_lba;
    }
  }
  return info;
}

CommandFailure classify_failure(const Error& error) {
  if (const auto& sense = error.sense()) {
    switch (sense->key) {
      case 0x2:
        if (sense->asc == 0x04 && sense->ascq != 0x02 && sense->ascq != 0x03) return CommandFailure::kTransientState;
        if (sense->asc == 0x3A) return CommandFailure::kMediumAbsent;
        return CommandFailure::kOther;
      case 0x3: case 0x4:
        return CommandFailure::kMedium;
      case 0x6:
        return CommandFailure::kTransientState;
      default:
        return CommandFailure::kOther;
    }
  }
  // No sense: BUSY status (run() makes it kUnavailable) or a command the
  // transport could not deliver or lost with its connection. A timeout is
  // not among them: the command may still be running in the drive.
  if (error.code() == ErrorCode::kUnavailable || error.code() == ErrorCode::kTransport)
    return CommandFailure::kTransientState;
  return CommandFailure::kOther;
}

Status Drive::wait_until_ready(Clock& clock, milliseconds budget, milliseconds interval) {
  const TimePoint deadline = clock.now() + budget;
  for (;;) {
    Status ready = test_unit_ready();
    if (ready.ok()) return ready;
    // Only the drive's own states are waited out here: a dropped transport
    // is the caller's to handle.
    const bool transient = ready.error().sense() && classify_failure(ready.error()) == CommandFailure::kTransientState;
    if (!transient) return ready;
    if (clock.now() + interval > deadline)
      return Error(ErrorCode::kTimeout, "TEST UNIT READY",
                   "still not ready after " + std::to_string(budget.count()) + " ms: " + ready.error().message());
    clock.sleep_for(interval);
  }
}

// --- mechanism ---

Status Drive::start_stop_unit(bool load_eject, bool start, bool immed) {
  RETURN_IF_ERROR(run("START STOP UNIT", request_for(mmc::start_stop_unit(load_eject, start, immed),
                                                     DataDirection::kNone, {}, kLoadTimeout)));
  return ok_status();
}

Status Drive::prevent_allow_medium_removal(bool prevent) {
  RETURN_IF_ERROR(run("PREVENT ALLOW MEDIUM REMOVAL",
                      request_for(mmc::prevent_allow_medium_removal(prevent), DataDirection::kNone, {})));
  return ok_status();
}

}  // namespace discrec::device
