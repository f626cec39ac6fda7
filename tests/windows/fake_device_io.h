// A scripted stand-in for Cdrom.sys behind the DeviceIo seam. Every call is
// recorded with the raw bytes of its input buffer, so tests compare I/O
// control codes and structure layouts byte for byte against MMC.md §15
// rather than against the structs the code under test uses.
//
// Thread-safety: not thread-safe (tests drive it from one thread).
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "device/windows/device_io.h"

namespace discrec::device::windows::testing {

struct Call {
  enum Kind { kControl, kRead, kWrite } kind = kControl;
  NativeHandle handle = nullptr;
  uint32_t code = 0;               // kControl
  std::vector<uint8_t> in;         // kControl input bytes; kWrite data
  uint32_t out_size = 0;           // kControl output size; kRead size
  uint64_t offset = 0;             // kRead / kWrite
  const void* data = nullptr;      // kRead / kWrite buffer address
};

// Answers one call: may fill `out` (kControl), the read buffer (kRead), set
// *returned / *done, and returns the Win32 error (0 = success).
using Responder = std::function<uint32_t(const Call& call, void* out, uint32_t* returned)>;

class FakeDeviceIo final : public DeviceIo {
 public:
  std::vector<Call> calls;
  std::vector<NativeHandle> closed;
  std::deque<Responder> responders;  // consumed in order; success with 0 bytes when empty

  void respond(Responder r) { responders.push_back(std::move(r)); }
  void respond_error(uint32_t win32_error) {
    respond([win32_error](const Call&, void*, uint32_t*) { return win32_error; });
  }
  // Success, copying `bytes` into the output buffer (truncated to its size).
  void respond_bytes(std::vector<uint8_t> bytes) {
    respond([bytes](const Call& c, void* out, uint32_t* returned) {
      uint32_t n = static_cast<uint32_t>(std::min<size_t>(bytes.size(), c.out_size));
      if (n) std::memcpy(out, bytes.data(), n);
      *returned = n;
      return 0u;
    });
  }

  uint32_t control(NativeHandle handle, uint32_t code, const void* in, uint32_t in_size, void* out,
                   uint32_t out_size, uint32_t* returned) override {
    Call c;
    c.kind = Call::kControl;
    c.handle = handle;
    c.code = code;
    if (in_size) c.in.assign(static_cast<const uint8_t*>(in), static_cast<const uint8_t*>(in) + in_size);
    c.out_size = out_size;
    calls.push_back(c);
    return answer(calls.back(), out, returned);
  }
  uint32_t read_at(NativeHandle handle, uint64_t offset, void* data, uint32_t size, uint32_t* done) override {
    Call c;
    c.kind = Call::kRead;
    c.handle = handle;
    c.offset = offset;
    c.out_size = size;
    c.data = data;
    calls.push_back(c);
    *done = size;  // default: a full read
    return answer(calls.back(), data, done);
  }
  uint32_t write_at(NativeHandle handle, uint64_t offset, const void* data, uint32_t size,
                    uint32_t* done) override {
    Call c;
    c.kind = Call::kWrite;
    c.handle = handle;
    c.offset = offset;
    c.data = data;
    c.in.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
    calls.push_back(c);
    *done = size;
    return answer(calls.back(), nullptr, done);
  }
  void close(NativeHandle handle) override { closed.push_back(handle); }

 private:
  uint32_t answer(const Call& c, void* out, uint32_t* returned) {
    if (c.kind == Call::kControl) *returned = 0;
    if (responders.empty()) return 0;
    Responder r = std::move(responders.front());
    responders.pop_front();
    return r(c, out, returned);
  }
};

// Little-endian helpers for expected byte images.
inline void le32(std::vector<uint8_t>& v, uint32_t x) {
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
}
inline void le16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x));
  v.push_back(static_cast<uint8_t>(x >> 8));
}
inline uint32_t get_le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
inline uint64_t get_le64(const uint8_t* p) { return get_le32(p) | uint64_t{get_le32(p + 4)} << 32; }

}  // namespace discrec::device::windows::testing
