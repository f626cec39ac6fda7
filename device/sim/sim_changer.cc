#include "device/sim/sim_changer.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "device/sim/bytes.h"
#include "device/sim/library.h"
#include "device/sim/sense.h"
#include "device/sim/sim_drive.h"
#include "device/sim/sim_transport.h"

namespace discrec::device::sim {
namespace {

constexpr std::string_view kVendor = "DISCREC";
constexpr std::string_view kProduct = "SIM CHANGER";
constexpr std::string_view kRevision = "1.0";
// INITIALIZE ELEMENT STATUS: the picker scans each element's barcode.
constexpr Nanos kScanPerElement = std::chrono::milliseconds(100);

size_t cdb_length(uint8_t op) {
  if (op < 0x20) return 6;
  if (op < 0x60) return 10;
  if (op >= 0xA0 && op < 0xC0) return 12;
  return 0;
}

void put_string(ResponseBuilder& r, size_t at, std::string_view s, size_t width) {
  for (size_t i = 0; i < width; ++i) r.put8(at + i, i < s.size() ? static_cast<uint8_t>(s[i]) : ' ');
}

std::string hex(uint8_t op) {
  const char* digits = "0123456789ABCDEF";
  return std::string{digits[op >> 4], digits[op & 15]};
}

}  // namespace

struct SimChanger::Command {
  const CommandRequest& request;
  std::span<const uint8_t> cdb;
  TimePoint now;
  TimePoint complete_at;
  CommandResult result;
  std::optional<Error> error;  // a failure of the emulator itself (library files)

  void fail(SenseCode code) {
    result.status = kStatusCheckCondition;
    result.sense.fill(0);
    result.sense[0] = 0x70;
    result.sense[2] = code.key & 0x0F;
    result.sense[7] = 10;
    result.sense[12] = code.asc;
    result.sense[13] = code.ascq;
    result.sense_length = 18;
    result.residual = request.data.size();
  }
  // Data-in: sends min(bytes, allocation length, buffer) and sets the residual.
  void respond(const std::vector<uint8_t>& bytes, size_t allocation_length) {
    size_t n = std::min({bytes.size(), allocation_length, request.data.size()});
    if (request.direction != DataDirection::kIn) n = 0;
    if (n) std::memcpy(request.data.data(), bytes.data(), n);
    result.residual = request.data.size() - n;
  }
};

Result<std::unique_ptr<Transport>> open_sim_changer_transport(std::string_view uri, const TransportOptions& options) {
  ASSIGN_OR_RETURN(SimChangerOptions parsed, parse_sim_changer_uri(uri));
  if (parsed.drive != 0) {
    ASSIGN_OR_RETURN(auto drive, SimDrive::open(uri, options));
    return std::unique_ptr<Transport>(std::move(drive));
  }
  ASSIGN_OR_RETURN(auto changer, SimChanger::open(uri, options));
  return std::unique_ptr<Transport>(std::move(changer));
}

Result<std::unique_ptr<SimChanger>> SimChanger::open(std::string_view uri, const TransportOptions& options) {
  ASSIGN_OR_RETURN(SimChangerOptions parsed, parse_sim_changer_uri(uri));
  if (parsed.drive != 0)
    return Error(ErrorCode::kInvalidArgument,
                 "sim-changer:// URI with drive=" + std::to_string(parsed.drive) + " names a drive, not the changer");
  ASSIGN_OR_RETURN(auto library, Library::attach(parsed.directory, parsed.shape));
  RETURN_IF_ERROR(library->attach_changer());
  std::unique_ptr<SimChanger> c(new SimChanger());
  c->uri_ = std::string(uri);
  c->options_ = std::move(parsed);
  c->clock_ = options.clock ? options.clock : &SteadyClock::instance();
  c->library_ = std::move(library);
  return c;
}

SimChanger::~SimChanger() {
  if (library_) library_->detach_changer();
}

Result<CommandResult> SimChanger::execute(const CommandRequest& request) {
  if (request.cdb.empty()) return Error(ErrorCode::kInvalidArgument, "sim-changer: empty CDB");
  std::unique_lock lock(mutex_);
  Command c{request, request.cdb, clock_->now(), {}, {}, std::nullopt};
  c.complete_at = c.now;
  ++commands_;
  run(c);
  lock.unlock();
  // The command's effects are in place; now let its time pass (a move
  // outliving its timeout is what the host sees as a timeout).
  TimePoint deadline = c.now + std::chrono::duration_cast<Nanos>(request.timeout);
  if (c.complete_at > deadline) {
    clock_->sleep_until(deadline);
    return Error(ErrorCode::kTimeout, "",
                 "sim-changer: command 0x" + hex(request.cdb[0]) + " did not complete within " +
                     std::to_string(request.timeout.count()) + " ms");
  }
  clock_->sleep_until(c.complete_at);
  if (c.error) return std::move(*c.error);
  return c.result;
}

void SimChanger::run(Command& c) {
  uint8_t op = c.cdb[0];
  size_t need = cdb_length(op);
  if (need == 0) return c.fail(sense::kInvalidOpcode);
  if (c.cdb.size() < need) return c.fail(sense::kInvalidFieldInCdb);
  // INQUIRY and REQUEST SENSE never report a unit attention (SPC).
  if (op != 0x12 && op != 0x03 && unit_attention_) {
    SenseCode code = *unit_attention_;
    unit_attention_.reset();
    return c.fail(code);
  }
  switch (op) {
    case 0x00: return;  // TEST UNIT READY: always ready
    case 0x03: return cmd_request_sense(c);
    case 0x07: return cmd_initialize_element_status(c);
    case 0x12: return cmd_inquiry(c);
    case 0x1A: return cmd_mode_sense(c, false);
    case 0x1E: return cmd_prevent_allow(c);
    case 0x5A: return cmd_mode_sense(c, true);
    case 0xA5: return cmd_move_medium(c);
    case 0xB8: return cmd_read_element_status(c);
    default: return c.fail(sense::kInvalidOpcode);
  }
}

void SimChanger::cmd_inquiry(Command& c) {
  bool evpd = c.cdb[1] & 0x01;
  uint8_t page = c.cdb[2];
  ResponseBuilder r;
  if (!evpd) {
    if (page != 0) return c.fail(sense::kInvalidFieldInCdb);
    r.resize(36);
    r.put8(0, 0x08);  // medium changer
    r.put8(1, 0x80);  // removable media
    r.put8(2, 0x05);  // SPC-3
    r.put8(3, 0x02);  // response data format
    r.put8(4, 31);
    put_string(r, 8, kVendor, 8);
    put_string(r, 16, kProduct, 16);
    put_string(r, 32, kRevision, 4);
  } else if (page == 0x00) {
    r.resize(6);
    r.put8(0, 0x08);
    r.put8(3, 2);
    r.put8(4, 0x00);
    r.put8(5, 0x80);
  } else if (page == 0x80) {
    std::string serial = "SIMC" + std::to_string(std::hash<std::string>{}(library_->directory()) % 100000000);
    r.put8(0, 0x08);
    r.put8(1, 0x80);
    r.put8(3, static_cast<uint8_t>(serial.size()));
    put_string(r, 4, serial, serial.size());
  } else {
    return c.fail(sense::kInvalidFieldInCdb);
  }
  c.respond(r.bytes(), be16(c.cdb, 3));
}

void SimChanger::cmd_request_sense(Command& c) {
  // Autosense delivered every error; REQUEST SENSE reports a pending unit
  // attention (and clears it), else no sense.
  std::vector<uint8_t> sense(18, 0);
  sense[0] = 0x70;
  sense[7] = 10;
  if (unit_attention_) {
    sense[2] = unit_attention_->key;
    sense[12] = unit_attention_->asc;
    sense[13] = unit_attention_->ascq;
    unit_attention_.reset();
  }
  c.respond(sense, c.cdb[4]);
}

void SimChanger::cmd_prevent_allow(Command& c) {
  uint8_t prevent = c.cdb[4] & 0x03;
  if (prevent > 1) return c.fail(sense::kInvalidFieldInCdb);
  prevent_removal_ = prevent == 1;
}

std::vector<uint8_t> SimChanger::mode_page(uint8_t code, uint8_t pc) const {
  ResponseBuilder p;
  bool changeable = pc == 1;  // nothing can be changed: all zeros
  switch (code) {
    case 0x1D: {  // element address assignment
      p.resize(20);
      p.put8(0, 0x1D);
      p.put8(1, 18);
      if (changeable) break;
      p.put16(2, kTransportAddress);
      p.put16(4, 1);
      p.put16(6, kFirstSlotAddress);
      p.put16(8, library_->slots());
      p.put16(10, kFirstImportExportAddress);
      p.put16(12, library_->import_export());
      p.put16(14, kFirstDriveAddress);
      p.put16(16, library_->drives());
      break;
    }
    case 0x1E:  // transport geometry: one picker, no rotation
      p.resize(4);
      p.put8(0, 0x1E);
      p.put8(1, 2);
      break;
    case 0x1F: {  // device capabilities
      p.resize(20);
      p.put8(0, 0x1F);
      p.put8(1, 18);
      if (changeable) break;
      // Discs rest in slots, import/export and drives, not in the picker;
      // a MOVE MEDIUM goes from any of them to any of them. No EXCHANGE.
      p.put8(2, 0x0E);
      p.put8(5, 0x0E);
      p.put8(6, 0x0E);
      p.put8(7, 0x0E);
      break;
    }
    default:
      break;
  }
  return p.bytes();
}

void SimChanger::cmd_mode_sense(Command& c, bool ten) {
  uint8_t pc = c.cdb[2] >> 6;
  uint8_t page = c.cdb[2] & 0x3F;
  if (pc == 3) return c.fail(sense::kSavingNotSupported);
  if (c.cdb[3] != 0) return c.fail(sense::kInvalidFieldInCdb);  // no subpages
  std::vector<uint8_t> pages;
  for (uint8_t code : {uint8_t{0x1D}, uint8_t{0x1E}, uint8_t{0x1F}}) {
    if (page != code && page != 0x3F) continue;
    auto p = mode_page(code, pc);
    pages.insert(pages.end(), p.begin(), p.end());
  }
  if (pages.empty()) return c.fail(sense::kInvalidFieldInCdb);
  // No block descriptors (DBD or not: a changer has no blocks).
  ResponseBuilder r(ten ? 8 : 4);
  r.append(pages);
  if (ten) {
    r.put16(0, static_cast<uint32_t>(r.size() - 2));
    c.respond(r.bytes(), be16(c.cdb, 7));
  } else {
    r.put8(0, static_cast<uint8_t>(std::min<size_t>(r.size() - 1, 0xFF)));
    c.respond(r.bytes(), c.cdb[4]);
  }
}

void SimChanger::cmd_read_element_status(Command& c) {
  bool voltag = c.cdb[1] & 0x10;
  uint8_t type_code = c.cdb[1] & 0x0F;
  uint16_t start = be16(c.cdb, 2);
  uint16_t count = be16(c.cdb, 4);
  bool dvcid = c.cdb[6] & 0x01;
  size_t alloc = be24(c.cdb, 7);
  if (type_code > 4) return c.fail(sense::kInvalidFieldInCdb);
  std::vector<ElementStatus> matching;
  for (auto& e : library_->elements()) {
    if (type_code != 0 && static_cast<uint8_t>(e.type) != type_code) continue;
    if (e.address >= start) matching.push_back(std::move(e));
  }
  // A starting address beyond every element of the type reports nothing
  // there is: SMC's invalid element address.
  if (matching.empty()) return c.fail(sense::kInvalidElementAddress);
  if (matching.size() > count) matching.resize(count);

  // Descriptor length per type: 12 bytes, the primary volume tag (36) with
  // VolTag, then the identification header (4) and, for drives with DVCID,
  // their serial number (32, space-padded).
  constexpr size_t kIdentifier = 32;
  auto descriptor_length = [&](ElementType t) {
    return 12 + (voltag ? 36 : 0) + 4 + (dvcid && t == ElementType::kDataTransfer ? kIdentifier : 0);
  };
  ResponseBuilder r(8);
  size_t page_at = 0;
  std::optional<ElementType> page_type;
  for (const auto& e : matching) {
    if (!page_type || *page_type != e.type) {
      // A new element status page whenever the type changes.
      page_type = e.type;
      page_at = r.size();
      r.resize(page_at + 8);
      r.put8(page_at, static_cast<uint8_t>(e.type));
      r.put8(page_at + 1, voltag ? 0x80 : 0x00);  // PVolTag
      r.put16(page_at + 2, static_cast<uint32_t>(descriptor_length(e.type)));
    }
    size_t at = r.size();
    r.resize(at + descriptor_length(e.type));
    r.put16(at, e.address);
    uint8_t flags = e.full ? 0x01 : 0x00;
    switch (e.type) {
      case ElementType::kImportExport:
        // InEnab, ExEnab, Access; ImpExp when the operator put it there.
        flags |= 0x20 | 0x10 | 0x08 | (e.imported ? 0x02 : 0x00);
        break;
      case ElementType::kStorage:
      case ElementType::kDataTransfer:
        flags |= 0x08;  // Access
        break;
      default:
        break;
    }
    if (e.exception) {
      flags = static_cast<uint8_t>((flags & ~0x08) | 0x04);  // Except; no Access
      r.put8(at + 4, e.exception->asc);
      r.put8(at + 5, e.exception->ascq);
    }
    r.put8(at + 2, flags);
    if (e.full) r.put8(at + 9, 0x01);  // medium type: data medium
    if (e.full && e.source != 0) {
      r.put8(at + 9, static_cast<uint8_t>(r.bytes()[at + 9] | 0x80));  // SValid
      r.put16(at + 10, e.source);
    }
    size_t next = at + 12;
    if (voltag) {
      if (e.full) put_string(r, next, e.volume_tag, 32);
      next += 36;  // tag (32), reserved (2), volume sequence number (2)
    }
    if (dvcid && e.type == ElementType::kDataTransfer) {
      r.put8(next, 0x02);  // code set: ASCII
      r.put8(next + 1, 0x00);  // identifier type: vendor specific (the serial number)
      r.put8(next + 3, kIdentifier);
      uint16_t drive = static_cast<uint16_t>(e.address - kFirstDriveAddress + 1);
      put_string(r, next + 4, library_->drive_serial(drive), kIdentifier);
    }
    uint32_t page_bytes = static_cast<uint32_t>(r.size() - page_at - 8);
    r.put24(page_at + 5, page_bytes);
  }
  r.put16(0, matching.empty() ? 0 : matching.front().address);  // none when 0 elements were asked for
  r.put16(2, static_cast<uint32_t>(matching.size()));
  // The whole report's size, whatever the allocation length lets through.
  r.put24(5, static_cast<uint32_t>(r.size() - 8));
  c.respond(r.bytes(), alloc);
}

void SimChanger::cmd_move_medium(Command& c) {
  uint16_t transport = be16(c.cdb, 2);
  uint16_t from = be16(c.cdb, 4);
  uint16_t to = be16(c.cdb, 6);
  if (c.cdb[10] & 0x01) return c.fail(sense::kInvalidFieldInCdb);  // Invert: discs are one-sided here
  if (transport != 0 && transport != kTransportAddress) return c.fail(sense::kInvalidElementAddress);
  // The picker does one move at a time, and takes a disc from a drive once
  // the drive has let go of it.
  TimePoint done = c.now;
  auto moved = library_->move(from, to, c.now, transport_free_at_,
                              std::chrono::milliseconds(options_.move_time_ms()), &done);
  if (!moved.ok()) {
    c.error = std::move(moved).error();
    return;
  }
  if (*moved) return c.fail(**moved);
  c.complete_at = done;
  transport_free_at_ = done;
  if (from != to) ++moves_;
}

void SimChanger::cmd_initialize_element_status(Command& c) {
  // Everything is known already; the scan only takes its time.
  if (!options_.timing) return;
  size_t elements = size_t{library_->slots()} + library_->drives() + library_->import_export();
  TimePoint start = std::max(c.now, transport_free_at_);
  c.complete_at = start + kScanPerElement * static_cast<int64_t>(elements);
  transport_free_at_ = c.complete_at;
}

Result<std::string> SimChanger::import_blank_disc(uint16_t address) {
  std::lock_guard lock(mutex_);
  if (prevent_removal_)
    return Error(ErrorCode::kFailedPrecondition, "the import/export door of " + uri_ + " is locked");
  ASSIGN_OR_RETURN(std::string tag, library_->import_blank(address));
  unit_attention_ = sense::kImportExportAccessed;
  return tag;
}

Result<std::string> SimChanger::take_out(uint16_t address) {
  std::lock_guard lock(mutex_);
  if (prevent_removal_)
    return Error(ErrorCode::kFailedPrecondition, "the import/export door of " + uri_ + " is locked");
  ASSIGN_OR_RETURN(std::string path, library_->take_out(address));
  unit_attention_ = sense::kImportExportAccessed;
  return path;
}

SimChanger::Snapshot SimChanger::snapshot() {
  std::lock_guard lock(mutex_);
  return Snapshot{commands_, moves_, prevent_removal_, transport_free_at_};
}

}  // namespace discrec::device::sim
