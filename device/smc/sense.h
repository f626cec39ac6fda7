// Readable sense for medium changers: the SMC-3 additional sense codes
// (element full/empty, magazine, import/export) in front of the MMC/SPC
// table of device/mmc/sense.h. Decoding the sense bytes is mmc::parse_sense().
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "base/result.h"

namespace discrec::device::smc {

// "medium source element empty", or nullptr when neither table has the pair.
const char* asc_ascq_name(uint8_t asc, uint8_t ascq);
// "ILLEGAL REQUEST 5/3B/0E medium source element empty".
std::string describe_sense(const SenseCode& code);

}  // namespace discrec::device::smc
