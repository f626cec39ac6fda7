// READ ELEMENT STATUS data (SMC-3 6.11) and the Element Address Assignment
// mode page (SMC-3 7.3.3).
#include <algorithm>
#include <cstdio>
#include <string>

#include "device/mmc/bytes.h"
#include "device/smc/cdb.h"
#include "device/smc/parse.h"

namespace discrec::device {

const char* element_type_name(ElementType type) {
  switch (type) {
    case ElementType::kAll: return "any";
    case ElementType::kMediumTransport: return "medium transport";
    case ElementType::kStorage: return "storage";
    case ElementType::kImportExport: return "import/export";
    case ElementType::kDataTransfer: return "data transfer";
  }
  return "unknown";
}

const ElementRange& ElementAddressAssignment::range(ElementType type) const {
  static const ElementRange kNone;
  switch (type) {
    case ElementType::kMediumTransport: return medium_transport;
    case ElementType::kStorage: return storage;
    case ElementType::kImportExport: return import_export;
    case ElementType::kDataTransfer: return data_transfer;
    case ElementType::kAll: break;
  }
  return kNone;
}

}  // namespace discrec::device

namespace discrec::device::smc {
namespace {

using mmc::ByteView;
using mmc::malformed;
using mmc::require;

constexpr const char* kReadElementStatus = "READ ELEMENT STATUS";
constexpr const char* kModeSense = "MODE SENSE(6)";

constexpr size_t kHeaderLength = 8;       // element status data header
constexpr size_t kPageHeaderLength = 8;   // element status page header
constexpr size_t kFixedDescriptor = 12;   // address .. source storage element address
constexpr size_t kVolumeTagLength = 36;   // 32-byte identifier, reserved, sequence number

// Volume tags are left-aligned ASCII padded with blanks; tgt pads its last
// byte with a NUL.
std::string volume_tag(const ByteView& d, size_t offset) {
  std::string tag;
  for (size_t i = 0; i < 32; ++i) tag.push_back(static_cast<char>(d.u8(offset + i)));
  while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\0')) tag.pop_back();
  return tag;
}

ChangerElement parse_descriptor(const ByteView& d, ElementType type, bool primary_tag) {
  ChangerElement e;
  e.type = type;
  e.address = d.be16(0);
  e.full = d.bit(2, 0);
  e.imported = type == ElementType::kImportExport && d.bit(2, 1);
  e.except = d.bit(2, 2);
  e.access = type != ElementType::kMediumTransport && d.bit(2, 3);
  e.asc = d.u8(4);
  e.ascq = d.u8(5);
  if (d.bit(9, 7)) e.source_address = d.be16(10);
  if (primary_tag) e.volume_tag = volume_tag(d, kFixedDescriptor);
  return e;
}

}  // namespace

Result<uint32_t> element_status_total_length(std::span<const uint8_t> data) {
  ByteView v(data);
  RETURN_IF_ERROR(require(v, kHeaderLength, kReadElementStatus));
  return static_cast<uint32_t>(kHeaderLength + v.be24(5));
}

Result<ElementStatusReport> parse_element_status(std::span<const uint8_t> data) {
  ByteView v(data);
  RETURN_IF_ERROR(require(v, kHeaderLength, kReadElementStatus));
  ElementStatusReport report;
  report.first_address = v.be16(0);
  const size_t available = v.be16(2);
  const size_t end = kHeaderLength + size_t{v.be24(5)};   // as announced
  const size_t present = std::min(end, v.size());
  const auto truncated = [&] {
    return malformed(kReadElementStatus, "report truncated: " + std::to_string(end) +
                                             " bytes announced, " + std::to_string(v.size()) + " present");
  };
  size_t pos = kHeaderLength;
  while (pos < end) {
    const std::string at = " (page at byte " + std::to_string(pos) + ")";
    if (end - pos < kPageHeaderLength)
      return malformed(kReadElementStatus, std::to_string(end - pos) +
                                               " bytes after the last page, too few for a page header" + at);
    if (present - pos < kPageHeaderLength) return truncated();
    const uint8_t code = v.u8(pos) & 0x0F;
    if (code < 1 || code > 4)
      return malformed(kReadElementStatus, "element type code " + std::to_string(code) + at);
    const auto type = static_cast<ElementType>(code);
    const bool primary_tag = v.bit(pos + 1, 7);
    const bool alternate_tag = v.bit(pos + 1, 6);
    const size_t descriptor_length = v.be16(pos + 2);
    const size_t byte_count = v.be24(pos + 5);
    pos += kPageHeaderLength;
    if (byte_count > end - pos)
      return malformed(kReadElementStatus, "page of " + std::to_string(byte_count) +
                                               " descriptor bytes overruns the report (" +
                                               std::to_string(end - pos) + " left)" + at);
    if (byte_count == 0) continue;  // an element type the changer has none of
    const size_t needed = kFixedDescriptor + (primary_tag ? kVolumeTagLength : 0) +
                          (alternate_tag ? kVolumeTagLength : 0);
    if (descriptor_length < needed)
      return malformed(kReadElementStatus, "descriptor length " + std::to_string(descriptor_length) +
                                               " < " + std::to_string(needed) + at);
    if (byte_count % descriptor_length != 0)
      return malformed(kReadElementStatus, "descriptor bytes " + std::to_string(byte_count) +
                                               " are not a whole number of " +
                                               std::to_string(descriptor_length) + "-byte descriptors" + at);
    // The bytes read from a descriptor: through the primary tag's identifier.
    const size_t read = kFixedDescriptor + (primary_tag ? 32 : 0);
    for (size_t d = pos; d < pos + byte_count; d += descriptor_length) {
      // tgt announces 8 bytes more than it sends, cutting the end of the
      // report's last descriptor (past the tag identifier): accepted there
      // only, and only while the fields read here are present.
      const bool whole = d + descriptor_length <= present;
      const bool last = d + descriptor_length == end;
      if (!whole && (!last || d + read > present)) return truncated();
      report.elements.push_back(parse_descriptor(v.sub(d, descriptor_length), type, primary_tag));
    }
    pos += byte_count;
  }
  if (report.elements.size() != available)
    return malformed(kReadElementStatus, "header counts " + std::to_string(available) +
                                             " elements, the pages hold " +
                                             std::to_string(report.elements.size()));
  return report;
}

Result<ElementAddressAssignment> parse_element_address_assignment(std::span<const uint8_t> data) {
  ByteView v(data);
  RETURN_IF_ERROR(require(v, 4, kModeSense));
  // Mode data length excludes itself.
  const size_t end = std::min(size_t{v.u8(0)} + 1, v.size());
  const size_t page = 4 + size_t{v.u8(3)};  // block descriptors, if sent despite DBD
  if (page + 2 > end)
    return malformed(kModeSense, "no page after the header (block descriptors " +
                                     std::to_string(v.u8(3)) + " bytes, data " + std::to_string(end) + ")");
  if ((v.u8(page) & 0x3F) != kElementAddressAssignmentPage) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "expected page 0x1D, got 0x%02X", v.u8(page) & 0x3F);
    return malformed(kModeSense, buf);
  }
  const size_t page_length = v.u8(page + 1);
  // Bytes 2..17 hold the four (first, count) pairs.
  if (page_length < 16)
    return malformed(kModeSense, "page 0x1D length " + std::to_string(page_length) + " < 16");
  if (page + 2 + page_length > end)
    return malformed(kModeSense, "page 0x1D truncated: " + std::to_string(page_length + 2) +
                                     " bytes announced, " + std::to_string(end - page) + " present");
  ByteView p = v.sub(page, page_length + 2);
  ElementAddressAssignment a;
  a.medium_transport = {p.be16(2), p.be16(4)};
  a.storage = {p.be16(6), p.be16(8)};
  a.import_export = {p.be16(10), p.be16(12)};
  a.data_transfer = {p.be16(14), p.be16(16)};
  return a;
}

Status require_medium_changer(const InquiryData& inquiry) {
  if (inquiry.peripheral_device_type == kPeripheralMediumChanger) return ok_status();
  return Error(ErrorCode::kUnsupported, "INQUIRY",
               "peripheral device type " + std::to_string(inquiry.peripheral_device_type) + " of " +
                   inquiry.vendor + " " + inquiry.product + " is not a medium changer (8)");
}

}  // namespace discrec::device::smc
