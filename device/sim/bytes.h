// Big-endian field access for the emulator's CDB parsing and responses.
// Kept separate from device/mmc/ on purpose: the emulator is an independent
// implementation of the byte layouts the Drive code is tested against.
//
// Thread-safety: free functions on caller-owned memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace discrec::device::sim {

inline uint16_t be16(std::span<const uint8_t> b, size_t at) {
  return at + 2 <= b.size() ? static_cast<uint16_t>(b[at] << 8 | b[at + 1]) : 0;
}
inline uint32_t be24(std::span<const uint8_t> b, size_t at) {
  return at + 3 <= b.size() ? (uint32_t{b[at]} << 16 | uint32_t{b[at + 1]} << 8 | b[at + 2]) : 0;
}
inline uint32_t be32(std::span<const uint8_t> b, size_t at) {
  return at + 4 <= b.size()
             ? (uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3])
             : 0;
}
inline uint8_t byte_at(std::span<const uint8_t> b, size_t at) { return at < b.size() ? b[at] : 0; }

// A response under construction; grows as fields are written.
class ResponseBuilder {
 public:
  explicit ResponseBuilder(size_t size = 0) : bytes_(size, 0) {}
  void put8(size_t at, uint8_t v) { ensure(at + 1); bytes_[at] = v; }
  void put16(size_t at, uint32_t v) {
    ensure(at + 2);
    bytes_[at] = static_cast<uint8_t>(v >> 8);
    bytes_[at + 1] = static_cast<uint8_t>(v);
  }
  void put24(size_t at, uint32_t v) {
    ensure(at + 3);
    bytes_[at] = static_cast<uint8_t>(v >> 16);
    bytes_[at + 1] = static_cast<uint8_t>(v >> 8);
    bytes_[at + 2] = static_cast<uint8_t>(v);
  }
  void put32(size_t at, uint32_t v) {
    put16(at, v >> 16);
    put16(at + 2, v & 0xFFFF);
  }
  void append(std::span<const uint8_t> more) { bytes_.insert(bytes_.end(), more.begin(), more.end()); }
  size_t size() const { return bytes_.size(); }
  void resize(size_t n) { bytes_.resize(n, 0); }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  void ensure(size_t n) {
    if (bytes_.size() < n) bytes_.resize(n, 0);
  }
  std::vector<uint8_t> bytes_;
};

}  // namespace discrec::device::sim
