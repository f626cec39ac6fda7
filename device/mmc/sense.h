// SCSI sense data: decoding (fixed 0x70/0x71 and descriptor 0x72/0x73
// formats, MMC.md §1.2) and readable names for sense keys and the ASC/ASCQ
// values that matter for recording (MMC.md §1.3, §1.4).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "device/mmc/types.h"

namespace discrec::device::mmc {

// Decodes sense bytes. Errors (kMalformedResponse): empty data, an unknown
// response code, or too few bytes for the key/ASC/ASCQ.
Result<SenseData> parse_sense(std::span<const uint8_t> sense);

// "MEDIUM ERROR", "ILLEGAL REQUEST", ... ("sense key 0xN" never happens: 4 bits).
const char* sense_key_name(uint8_t key);
// "write error - loss of streaming", or nullptr when the pair is not in our table.
const char* asc_ascq_name(uint8_t asc, uint8_t ascq);
// "MEDIUM ERROR 3/0C/00 write error" — the readable form used in Error messages.
std::string describe_sense(const SenseCode& code);

}  // namespace discrec::device::mmc
