// Response parsers for the SMC-3 commands in cdb.h. Pure functions: each
// takes the bytes the changer returned and returns the parsed value, or
// kMalformedResponse when the data is too short, truncated, or its length
// and count fields do not add up. They never read outside the span.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>

#include "device/mmc/types.h"
#include "device/smc/types.h"

namespace discrec::device::smc {

// READ ELEMENT STATUS data (SMC-3 6.11). The whole report must be present
// (re-issue with element_status_total_length() when it is not); every page
// must lie inside it, with a descriptor length that holds the fixed fields
// (and the volume tag when PVolTag is set) and a byte count that is a whole
// number of descriptors; the header's element count must match. One
// leniency, for tgt (which announces 8 bytes more than it sends): the
// report's last descriptor may end early if the fields read here (through
// the primary volume tag's 32-byte identifier) are present.
Result<ElementStatusReport> parse_element_status(std::span<const uint8_t> data);
// Bytes the whole report takes (header + byte count of report available),
// from a response of at least 8 bytes.
Result<uint32_t> element_status_total_length(std::span<const uint8_t> data);

// MODE SENSE(6) data holding page 0x1D (SMC-3 7.3.3).
Result<ElementAddressAssignment> parse_element_address_assignment(std::span<const uint8_t> data);

// kUnsupported unless INQUIRY says peripheral device type 8 (medium changer).
Status require_medium_changer(const InquiryData& inquiry);

}  // namespace discrec::device::smc
