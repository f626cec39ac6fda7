// Big-endian field access for SCSI data, bounds-checked.
//
// Every parser reads through ByteView, so a short or lying response can only
// produce an error, never an out-of-bounds read. Builders write with put_be*.
//
// Thread-safety: value types over caller-owned memory.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"

namespace discrec::device::mmc {

inline void put_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void put_be24(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 16);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v);
}
inline void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// A read-only window on response bytes. Accessors require the caller to have
// checked has(offset, n) (directly or via require()); they assert nothing and
// return 0 past the end, so a missed check is a wrong value, not a crash.
class ByteView {
 public:
  ByteView() = default;
  explicit ByteView(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t size() const { return bytes_.size(); }
  bool has(size_t offset, size_t n) const { return offset <= bytes_.size() && n <= bytes_.size() - offset; }

  uint8_t u8(size_t o) const { return has(o, 1) ? bytes_[o] : 0; }
  uint16_t be16(size_t o) const {
    return has(o, 2) ? static_cast<uint16_t>(bytes_[o] << 8 | bytes_[o + 1]) : 0;
  }
  uint32_t be24(size_t o) const {
    return has(o, 3) ? (uint32_t{bytes_[o]} << 16 | uint32_t{bytes_[o + 1]} << 8 | bytes_[o + 2]) : 0;
  }
  uint32_t be32(size_t o) const {
    return has(o, 4) ? (uint32_t{bytes_[o]} << 24 | uint32_t{bytes_[o + 1]} << 16 |
                        uint32_t{bytes_[o + 2]} << 8 | bytes_[o + 3])
                     : 0;
  }
  bool bit(size_t o, int b) const { return (u8(o) >> b) & 1; }
  // Sub-view [offset, offset+n), clamped to the data.
  ByteView sub(size_t offset, size_t n) const {
    if (offset > bytes_.size()) return ByteView{};
    return ByteView{bytes_.subspan(offset, std::min(n, bytes_.size() - offset))};
  }
  std::span<const uint8_t> span() const { return bytes_; }

 private:
  std::span<const uint8_t> bytes_;
};

// kMalformedResponse naming the command, e.g. "READ DISC INFORMATION: ...".
inline Error malformed(const char* command, std::string what) {
  return Error(ErrorCode::kMalformedResponse, command, std::move(what));
}

// Ensures `n` bytes are present from the start.
inline Status require(const ByteView& v, size_t n, const char* command) {
  if (v.size() < n)
    return malformed(command, "response too short: " + std::to_string(v.size()) + " bytes, need " +
                                  std::to_string(n));
  return ok_status();
}

}  // namespace discrec::device::mmc
