// Parsed SMC-3 (SCSI Media Changer, T10/1730-D) data: what the pure command
// functions in device/smc/ return. Field comments name the SMC-3 clause.
//
// Thread-safety: value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace discrec::device {

// SPC peripheral device type of a medium changer.
inline constexpr uint8_t kPeripheralMediumChanger = 0x08;

// Element type codes (SMC-3 6.10, table "Element type code").
enum class ElementType : uint8_t {
  kAll = 0,              // only in a READ ELEMENT STATUS request
  kMediumTransport = 1,  // the picker / robot arm
  kStorage = 2,          // a slot
  kImportExport = 3,     // a mail slot (I/E, "MAP")
  kDataTransfer = 4,     // a drive
};

// "medium transport", "storage", "import/export", "data transfer".
const char* element_type_name(ElementType type);

// One element descriptor of READ ELEMENT STATUS (SMC-3 6.11.3-6.11.6).
struct ChangerElement {
  ElementType type = ElementType::kStorage;
  uint16_t address = 0;
  bool full = false;    // holds a medium
  bool except = false;  // abnormal state; asc/ascq say why
  // The element can be reached by the medium transport (storage, I/E, data
  // transfer only; transports report false). Some changers (tgt) never set it.
  bool access = false;
  uint8_t asc = 0;
  uint8_t ascq = 0;
  // SValid: where the medium here last came from (a slot address).
  std::optional<uint16_t> source_address;
  // Primary volume tag (the barcode), trailing blanks and NULs cut; empty
  // without PVolTag or without a label.
  std::string volume_tag;
  // Import/export only: ImpExp, the medium was put in by an operator (not
  // by the transport).
  bool imported = false;
};

// READ ELEMENT STATUS data (SMC-3 6.11.1): the elements of every element
// status page, in the order the changer sent them.
struct ElementStatusReport {
  uint16_t first_address = 0;  // first element address reported
  std::vector<ChangerElement> elements;
};

// First address and number of elements of one type.
struct ElementRange {
  uint16_t first = 0;
  uint16_t count = 0;
  bool contains(uint16_t address) const { return address >= first && address - first < count; }
};

// MODE SENSE page 0x1D, Element Address Assignment (SMC-3 7.3.3).
struct ElementAddressAssignment {
  ElementRange medium_transport;
  ElementRange storage;
  ElementRange import_export;
  ElementRange data_transfer;
  const ElementRange& range(ElementType type) const;
};

}  // namespace discrec::device
