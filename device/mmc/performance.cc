// GET PERFORMANCE parsers (MMC.md §5.2-§5.4).
#include "device/mmc/bytes.h"
#include "device/mmc/parse.h"

namespace discrec::device::mmc {
namespace {

constexpr const char* kGetPerformance = "GET PERFORMANCE";
constexpr size_t kDescriptorSize = 16;

// The descriptor bytes present: min(announced, returned) after the 8-byte
// header, in whole descriptors.
Result<ByteView> descriptor_area(std::span<const uint8_t> data) {
  ByteView v(data);
  RETURN_IF_ERROR(require(v, 8, kGetPerformance));
  uint32_t length = v.be32(0);  // bytes after the length field
  if (length < 4)
    return malformed(kGetPerformance, "data length " + std::to_string(length) + " < 4");
  if ((length - 4) % kDescriptorSize != 0)
    return malformed(kGetPerformance,
                     "data length " + std::to_string(length) + " is not header + 16-byte descriptors");
  size_t announced = length - 4;
  size_t returned = v.size() - 8;
  size_t usable = std::min(announced, returned);
  // Announced descriptors may be cut off by our allocation length; only
  // whole ones count. Returned bytes beyond the announced ones are padding.
  usable -= usable % kDescriptorSize;
  return v.sub(8, usable);
}

}  // namespace

Result<std::vector<WriteSpeedDescriptor>> parse_write_speed_descriptors(std::span<const uint8_t> data) {
  ASSIGN_OR_RETURN(ByteView area, descriptor_area(data));
  std::vector<WriteSpeedDescriptor> out;
  for (size_t p = 0; p + kDescriptorSize <= area.size(); p += kDescriptorSize) {
    WriteSpeedDescriptor d;
    d.wrc = (area.u8(p) >> 3) & 0x03;
    d.exact = area.bit(p, 1);
    d.mrw = area.bit(p, 0);
    d.end_lba = area.be32(p + 4);
    d.read_kbps = area.be32(p + 8);
    d.write_kbps = area.be32(p + 12);
    out.push_back(d);
  }
  return out;
}

Result<std::vector<PerformanceDescriptor>> parse_performance_descriptors(std::span<const uint8_t> data) {
  ASSIGN_OR_RETURN(ByteView area, descriptor_area(data));
  std::vector<PerformanceDescriptor> out;
  for (size_t p = 0; p + kDescriptorSize <= area.size(); p += kDescriptorSize) {
    PerformanceDescriptor d;
    d.start_lba = area.be32(p);
    d.start_kbps = area.be32(p + 4);
    d.end_lba = area.be32(p + 8);
    d.end_kbps = area.be32(p + 12);
    if (d.end_lba < d.start_lba)
      return malformed(kGetPerformance, "descriptor ends before it starts");
    out.push_back(d);
  }
  return out;
}

}  // namespace discrec::device::mmc
