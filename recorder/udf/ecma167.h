// Byte-level building blocks of ECMA-167 3rd edition / OSTA UDF 2.01: little-endian
// fields, descriptor tags with their checksum and CRC-ITU, timestamps and OSTA CS0
// strings. Shared by the volume builder and the volume reader.
//
// Thread-safety: free functions on caller-owned buffers; reentrant.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace discrec::recorder::udf {

inline constexpr uint32_t kSectorSize = 2048;

// Descriptor tag identifiers (ECMA-167 3/7.2.1 and 4/7.2.1).
enum class TagId : uint16_t {
  kPrimaryVolume = 1,
  kAnchorVolumePointer = 2,
  kVolumePointer = 3,
  kImplementationUseVolume = 4,
  kPartition = 5,
  kLogicalVolume = 6,
  kUnallocatedSpace = 7,
  kTerminating = 8,
  kLogicalVolumeIntegrity = 9,
  kFileSet = 256,
  kFileIdentifier = 257,
  kAllocationExtent = 258,
  kFileEntry = 261,
  kExtendedFileEntry = 266,
};

// Allocation descriptor extent types (ECMA-167 4/14.14.1.1), the top two bits of
// an extent length.
enum class ExtentType : uint8_t {
  kRecorded = 0,               // allocated and recorded
  kAllocatedNotRecorded = 1,   // readers return zeros: our lost extents
  kNotAllocated = 2,           // a hole
  kNextAllocationExtent = 3,   // continues in an allocation extent descriptor
};

// UDF: an extent is at most 2^30 - 1 bytes and, except for a file's last extent,
// a whole number of blocks.
inline constexpr uint32_t kMaxExtentBytes = (1u << 30) - kSectorSize;

// Little-endian stores into a span; callers size the span (no bounds checks here
// beyond the span's own, so keep offsets constant).
void put16(std::span<uint8_t> b, size_t off, uint16_t v);
void put32(std::span<uint8_t> b, size_t off, uint32_t v);
void put64(std::span<uint8_t> b, size_t off, uint64_t v);
uint16_t get16(std::span<const uint8_t> b, size_t off);
uint32_t get32(std::span<const uint8_t> b, size_t off);
uint64_t get64(std::span<const uint8_t> b, size_t off);

// CRC-ITU-T (x^16 + x^12 + x^5 + 1, initial 0, not reflected): ECMA-167 1/7.2.6.
uint16_t crc_itu(std::span<const uint8_t> data);

// Fills in the 16-byte tag at the start of `descriptor`, whose body (bytes 16..end)
// is already written: identifier, version 3, serial 1, CRC over the body, location,
// and last the checksum.
void finish_tag(std::span<uint8_t> descriptor, TagId id, uint32_t location);

// Checks a tag read from disc: checksum, identifier, location and, when the CRC
// length fits in `descriptor`, the CRC. Names the problem in the Error.
Status check_tag(std::span<const uint8_t> descriptor, TagId expected, uint32_t location);

using TimePoint = std::chrono::system_clock::time_point;

// ECMA-167 1/7.3 timestamp in UTC (type 1, offset 0), microsecond precision.
void put_timestamp(std::span<uint8_t> b, size_t off, TimePoint t);
// Reads one back; a timestamp with an offset is converted to UTC. Out-of-range
// fields give an Error.
Result<TimePoint> get_timestamp(std::span<const uint8_t> b, size_t off);

// OSTA CS0 "compressed unicode" (UDF 2.1.1): compression id 8 when every code
// point fits in a byte, else 16 (UCS-2, big-endian). Input is UTF-8; invalid
// UTF-8 or characters outside the BMP give kInvalidArgument.
Result<std::vector<uint8_t>> encode_cs0(std::string_view utf8);
// The inverse, to UTF-8. Unknown compression ids give kMalformedResponse.
Result<std::string> decode_cs0(std::span<const uint8_t> cs0);

// A dstring field of `field_size` bytes (ECMA-167 1/7.2.12): CS0 bytes, zero
// padding, and the used length in the last byte. Text longer than the field is
// cut at a character boundary (these are labels, not names).
void put_dstring(std::span<uint8_t> b, size_t off, size_t field_size, std::string_view utf8);
Result<std::string> get_dstring(std::span<const uint8_t> b, size_t off, size_t field_size);

// charspec "OSTA Compressed Unicode" (UDF 2.1.2), 64 bytes.
void put_osta_charspec(std::span<uint8_t> b, size_t off);

// EntityID (regid, ECMA-167 1/7.4) with an identifier and an 8-byte suffix.
enum class RegidSuffix { kDomain, kUdf, kImplementation, kNone };
void put_regid(std::span<uint8_t> b, size_t off, std::string_view identifier, RegidSuffix suffix);
// Our implementation identifier.
inline constexpr std::string_view kImplementationId = "*discrec";
inline constexpr uint16_t kUdfRevision = 0x0201;

}  // namespace discrec::recorder::udf
