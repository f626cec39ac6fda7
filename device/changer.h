// Changer: a SCSI medium changer (SMC-3 jukebox) over one Transport.
//
// The same transports as a Drive (sg://, iscsi://, sim-changer:// ...); the
// drives the changer loads are opened separately as Drives. Every method
// builds a CDB with the pure functions in device/smc/, turns CHECK CONDITION
// into an Error naming the command, the elements and the decoded sense
// (SMC names first: "ILLEGAL REQUEST 5/3B/0E medium source element empty"),
// and parses the response. It never logs.
//
// Thread-safety: thread-safe. Commands are serialised by an internal mutex;
// a MOVE MEDIUM holds it for as long as the robot takes.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "device/mmc/types.h"
#include "device/smc/types.h"
#include "device/transport.h"

namespace discrec::device {

// Every element of a changer, by type, in address order as the changer
// reported them.
struct ChangerInventory {
  std::vector<ChangerElement> transports;
  std::vector<ChangerElement> slots;
  std::vector<ChangerElement> import_export;
  std::vector<ChangerElement> drives;

  // The element at `address`, of whatever type; nullptr if none.
  const ChangerElement* find(uint16_t address) const;
  // The address a MOVE MEDIUM names as its transport: the first medium
  // transport element (nullopt if the changer reported none).
  std::optional<uint16_t> first_transport() const;
  // Full slot whose volume tag is `tag`; nullptr if none.
  const ChangerElement* slot_with_tag(const std::string& tag) const;
};

class Changer {
 public:
  explicit Changer(std::unique_ptr<Transport> transport);
  ~Changer();
  Changer(const Changer&) = delete;
  Changer& operator=(const Changer&) = delete;

  // Opens the transport named by `uri` and checks with INQUIRY that it is a
  // medium changer (peripheral device type 8; otherwise kUnsupported).
  static Result<std::unique_ptr<Changer>> open(const std::string& uri,
                                               const TransportOptions& options = {});

  std::string describe() const;
  // INQUIRY as open() read it (vendor, product, revision); empty when the
  // Changer was built from a transport and inquiry() was not called.
  InquiryData identity() const;

  Result<InquiryData> inquiry();
  Status test_unit_ready();
  // MODE SENSE(6) page 0x1D, read once and kept.
  Result<ElementAddressAssignment> element_addresses();
  // READ ELEMENT STATUS with volume tags, one request per element type over
  // the ranges of element_addresses() (every element at once when the
  // changer has no page 0x1D). A changer that refuses VolTag (5/24/00) is
  // asked again without, and from then on (volume tags stay empty).
  Result<ChangerInventory> read_element_status();
  // INITIALIZE ELEMENT STATUS: the changer re-scans every element.
  Status initialize_element_status();
  // MOVE MEDIUM from `source` to `destination` with medium transport
  // `transport`. Destination full is 5/3B/0D, source empty 5/3B/0E.
  Status move_medium(uint16_t transport, uint16_t source, uint16_t destination);
  // PREVENT ALLOW MEDIUM REMOVAL: locks or unlocks the import/export
  // elements (the jukebox's door) against an operator.
  Status prevent_removal(bool prevent);

 private:
  // REQUIRES: mutex_ held.
  Result<size_t> run_locked(const char* command, const std::string& what, const CommandRequest& request);
  Result<ElementAddressAssignment> element_addresses_locked();
  Result<ElementStatusReport> read_pages_locked(ElementType type, uint16_t first, uint16_t count);
  // "storage element 1024", "data transfer element 1", "element 7".
  std::string element_name_locked(uint16_t address) const;

  mutable std::mutex mutex_;
  std::unique_ptr<Transport> transport_;            // guarded by mutex_
  InquiryData identity_;                            // guarded by mutex_
  std::optional<ElementAddressAssignment> addresses_;  // guarded by mutex_
  bool volume_tags_ = true;                         // guarded by mutex_
};

}  // namespace discrec::device
