// Changer: SMC-3 commands over a Transport (see changer.h).
#include "device/changer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "device/mmc/cdb.h"
#include "device/mmc/parse.h"
#include "device/mmc/sense.h"
#include "device/smc/cdb.h"
#include "device/smc/parse.h"
#include "device/smc/sense.h"

namespace discrec::device {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A robot move, or a scan of every barcode, takes minutes on a real library
// (mtx and the Linux ch driver allow the same order of magnitude).
constexpr milliseconds kShortTimeout = seconds(30);
constexpr milliseconds kStatusTimeout = seconds(300);
constexpr milliseconds kMoveTimeout = seconds(900);
constexpr milliseconds kInitializeTimeout = seconds(3600);

// First guess at a descriptor with a primary volume tag (tgt: 52 bytes);
// a longer report is read again at its announced length.
constexpr uint32_t kGuessDescriptorLength = 52;
// "Every element" (count 0xFFFF) must not mean a 3 MiB buffer up front.
constexpr uint32_t kFirstAllocationLimit = 64 * 1024;

CommandRequest request_for(const mmc::Cdb& cdb, DataDirection dir, std::span<uint8_t> data,
                           milliseconds timeout = kShortTimeout) {
  CommandRequest r;
  r.cdb = cdb.span();
  r.direction = dir;
  r.data = data;
  r.timeout = timeout;
  return r;
}

constexpr ElementType kTypes[] = {ElementType::kMediumTransport, ElementType::kStorage,
                                  ElementType::kImportExport, ElementType::kDataTransfer};

std::vector<ChangerElement>& list_for(ChangerInventory& inventory, ElementType type) {
  switch (type) {
    case ElementType::kMediumTransport: return inventory.transports;
    case ElementType::kImportExport: return inventory.import_export;
    case ElementType::kDataTransfer: return inventory.drives;
    default: return inventory.slots;
  }
}

}  // namespace

// --- ChangerInventory ---

const ChangerElement* ChangerInventory::find(uint16_t address) const {
  for (const auto* list : {&transports, &slots, &import_export, &drives})
    for (const auto& e : *list)
      if (e.address == address) return &e;
  return nullptr;
}

std::optional<uint16_t> ChangerInventory::first_transport() const {
  if (transports.empty()) return std::nullopt;
  return transports.front().address;
}

const ChangerElement* ChangerInventory::slot_with_tag(const std::string& tag) const {
  for (const auto& e : slots)
    if (e.full && e.volume_tag == tag) return &e;
  return nullptr;
}

// --- Changer ---

Changer::Changer(std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {}
Changer::~Changer() = default;

Result<std::unique_ptr<Changer>> Changer::open(const std::string& uri, const TransportOptions& options) {
  ASSIGN_OR_RETURN(auto transport, open_transport(uri, options));
  auto changer = std::make_unique<Changer>(std::move(transport));
  ASSIGN_OR_RETURN(InquiryData inquiry, changer->inquiry());
  Status is_changer = smc::require_medium_changer(inquiry);
  if (!is_changer.ok()) return Error(is_changer.error()).with_context(uri);
  return changer;
}

std::string Changer::describe() const {
  std::lock_guard lock(mutex_);
  return transport_->describe();
}

InquiryData Changer::identity() const {
  std::lock_guard lock(mutex_);
  return identity_;
}

Result<size_t> Changer::run_locked(const char* name, const std::string& what, const CommandRequest& request) {
  const std::string prefix = what.empty() ? "" : what + ": ";
  Result<CommandResult> executed = transport_->execute(request);
  if (!executed.ok()) {
    Error e = std::move(executed).error();
    return Error(e.code(), name, prefix + (e.command().empty() ? "" : e.command() + ": ") + e.message());
  }
  const CommandResult& r = *executed;
  if (r.status == kStatusCheckCondition) {
    if (r.sense_length == 0)
      return Error(ErrorCode::kCheckCondition, name, prefix + "CHECK CONDITION without sense data");
    Result<SenseData> sense = mmc::parse_sense(r.sense_bytes());
    if (!sense.ok())
      return Error(ErrorCode::kCheckCondition, name,
                   prefix + "CHECK CONDITION with unreadable sense: " + sense.error().message());
    std::string message = prefix + smc::describe_sense(sense->code);
    if (sense->deferred) message += " (deferred: an earlier command failed)";
    ErrorCode code = sense->code.key == 5 && sense->code.asc == 0x20 ? ErrorCode::kUnsupported
                                                                      : ErrorCode::kCheckCondition;
    return Error::scsi(code, name, sense->code, std::move(message));
  }
  if (r.status != kStatusGood) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "device answered status 0x%02X", r.status);
    return Error(ErrorCode::kUnavailable, name, prefix + buf);
  }
  size_t transferred = request.direction == DataDirection::kNone ? 0 : request.data.size();
  return transferred - std::min(transferred, r.residual);
}

Result<InquiryData> Changer::inquiry() {
  std::lock_guard lock(mutex_);
  std::vector<uint8_t> buf(96);
  ASSIGN_OR_RETURN(size_t n, run_locked("INQUIRY", "", request_for(mmc::inquiry(96), DataDirection::kIn, buf)));
  ASSIGN_OR_RETURN(InquiryData inquiry, mmc::parse_inquiry(std::span(buf).first(n)));
  identity_ = inquiry;
  return inquiry;
}

Status Changer::test_unit_ready() {
  std::lock_guard lock(mutex_);
  RETURN_IF_ERROR(run_locked("TEST UNIT READY", "", request_for(mmc::test_unit_ready(), DataDirection::kNone, {})));
  return ok_status();
}

Result<ElementAddressAssignment> Changer::element_addresses() {
  std::lock_guard lock(mutex_);
  return element_addresses_locked();
}

Result<ElementAddressAssignment> Changer::element_addresses_locked() {
  if (addresses_) return *addresses_;
  std::vector<uint8_t> buf(255);
  auto cdb = smc::mode_sense6(smc::kElementAddressAssignmentPage, 255);
  ASSIGN_OR_RETURN(size_t n, run_locked("MODE SENSE(6)", "page 0x1D element address assignment",
                                        request_for(cdb, DataDirection::kIn, buf)));
  ASSIGN_OR_RETURN(ElementAddressAssignment a, smc::parse_element_address_assignment(std::span(buf).first(n)));
  addresses_ = a;
  return a;
}

std::string Changer::element_name_locked(uint16_t address) const {
  std::string number = std::to_string(address);
  if (addresses_)
    for (ElementType type : kTypes)
      if (addresses_->range(type).contains(address))
        return std::string(element_type_name(type)) + " element " + number;
  return "element " + number;
}

Result<ElementStatusReport> Changer::read_pages_locked(ElementType type, uint16_t first, uint16_t count) {
  const std::string what = std::string(element_type_name(type)) + " elements from " + std::to_string(first);
  uint32_t allocation = std::min<uint32_t>(16 + uint32_t{count} * kGuessDescriptorLength, kFirstAllocationLimit);
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::vector<uint8_t> buf(allocation);
    auto cdb = smc::read_element_status(type, first, count, volume_tags_, allocation);
    Result<size_t> n = run_locked("READ ELEMENT STATUS", what,
                                  request_for(cdb, DataDirection::kIn, buf, kStatusTimeout));
    if (!n.ok() && volume_tags_ && n.error().has_sense(5, 0x24)) {
      // No volume tag support: ask as the Linux ch driver does, without.
      volume_tags_ = false;
      continue;
    }
    if (!n.ok()) return std::move(n).error();
    std::span<const uint8_t> got = std::span(buf).first(*n);
    ASSIGN_OR_RETURN(uint32_t total, smc::element_status_total_length(got));
    if (total > *n && *n == allocation && total <= 0xFFFFFF) {
      allocation = total;  // the allocation cut the report: ask for all of it
      continue;
    }
    Result<ElementStatusReport> report = smc::parse_element_status(got);
    if (!report.ok()) return Error(report.error()).with_context(what);
    return report;
  }
  return Error(ErrorCode::kMalformedResponse, "READ ELEMENT STATUS",
               what + ": the report kept growing between requests");
}

Result<ChangerInventory> Changer::read_element_status() {
  std::lock_guard lock(mutex_);
  ChangerInventory inventory;
  Result<ElementAddressAssignment> addresses = element_addresses_locked();
  if (!addresses.ok()) {
    // No page 0x1D: every element in one report.
    if (addresses.error().code() != ErrorCode::kUnsupported &&
        addresses.error().code() != ErrorCode::kCheckCondition)
      return std::move(addresses).error();
    ASSIGN_OR_RETURN(ElementStatusReport report, read_pages_locked(ElementType::kAll, 0, 0xFFFF));
    for (const auto& e : report.elements) list_for(inventory, e.type).push_back(e);
    return inventory;
  }
  for (ElementType type : kTypes) {
    const ElementRange& range = addresses->range(type);
    if (range.count == 0) continue;
    ASSIGN_OR_RETURN(ElementStatusReport report, read_pages_locked(type, range.first, range.count));
    for (const auto& e : report.elements) {
      if (e.type != type)
        return Error(ErrorCode::kMalformedResponse, "READ ELEMENT STATUS",
                     std::string("asked for ") + element_type_name(type) + " elements, got " +
                         element_type_name(e.type) + " element " + std::to_string(e.address));
      list_for(inventory, type).push_back(e);
    }
  }
  return inventory;
}

Status Changer::initialize_element_status() {
  std::lock_guard lock(mutex_);
  RETURN_IF_ERROR(run_locked("INITIALIZE ELEMENT STATUS", "",
                             request_for(smc::initialize_element_status(), DataDirection::kNone, {},
                                         kInitializeTimeout)));
  return ok_status();
}

Status Changer::move_medium(uint16_t transport, uint16_t source, uint16_t destination) {
  std::lock_guard lock(mutex_);
  // The element types name the elements in an error; without page 0x1D
  // they are "element N".
  if (!addresses_) (void)element_addresses_locked();
  const std::string what = "from " + element_name_locked(source) + " to " + element_name_locked(destination) +
                           " by " + element_name_locked(transport);
  RETURN_IF_ERROR(run_locked("MOVE MEDIUM", what,
                             request_for(smc::move_medium(transport, source, destination),
                                         DataDirection::kNone, {}, kMoveTimeout)));
  return ok_status();
}

Status Changer::prevent_removal(bool prevent) {
  std::lock_guard lock(mutex_);
  RETURN_IF_ERROR(run_locked("PREVENT ALLOW MEDIUM REMOVAL", prevent ? "prevent" : "allow",
                             request_for(mmc::prevent_allow_medium_removal(prevent), DataDirection::kNone, {})));
  return ok_status();
}

}  // namespace discrec::device
