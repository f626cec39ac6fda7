// CRC-32C (Castagnoli) of recorded data: the per-ECC-unit checksum that
// verify and the crash journal compare. It runs on the writer thread for
// every byte written, so it uses the CPU's CRC32 instruction where there is
// one (SSE4.2: ~8 bytes per cycle, several times zlib's CRC-32) and
// slicing-by-8 tables otherwise. Both give the same value.
//
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <span>

namespace discrec::recorder {

uint32_t crc32c(std::span<const uint8_t> data);
// The portable version, exposed so tests can check the fast path against it.
uint32_t crc32c_portable(std::span<const uint8_t> data);

}  // namespace discrec::recorder
