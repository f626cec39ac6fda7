// CDB builders for the SMC-3 commands discrec sends to a medium changer.
// Pure functions: no I/O. INQUIRY, TEST UNIT READY and PREVENT ALLOW MEDIUM
// REMOVAL are SPC commands and come from device/mmc/cdb.h.
//
// Thread-safety: pure functions over value types.
#pragma once

#include <cstdint>

#include "device/mmc/cdb.h"
#include "device/smc/types.h"

namespace discrec::device::smc {

using mmc::Cdb;

namespace opcode {
inline constexpr uint8_t kInitializeElementStatus = 0x07;
inline constexpr uint8_t kModeSense6 = 0x1A;
inline constexpr uint8_t kMoveMedium = 0xA5;
inline constexpr uint8_t kReadElementStatus = 0xB8;
}  // namespace opcode

// Mode page Element Address Assignment (SMC-3 7.3.3).
inline constexpr uint8_t kElementAddressAssignmentPage = 0x1D;

// Human name of an SMC opcode, falling back to mmc::command_name().
const char* command_name(uint8_t opcode);

// READ ELEMENT STATUS (SMC-3 6.10): `count` elements of `type` from
// `first_address`, VolTag asks for the volume tags; allocation_length is
// 24 bits (larger values are clamped).
Cdb read_element_status(ElementType type, uint16_t first_address, uint16_t count, bool volume_tag,
                        uint32_t allocation_length);
// MOVE MEDIUM (SMC-3 6.6) with `transport` as the medium transport element.
Cdb move_medium(uint16_t transport, uint16_t source, uint16_t destination, bool invert = false);
// INITIALIZE ELEMENT STATUS (SMC-3 6.2): re-inventory every element.
Cdb initialize_element_status();
// MODE SENSE(6) with DBD=1: mandatory on changers, where MODE SENSE(10) is not.
Cdb mode_sense6(uint8_t page_code, uint8_t allocation_length);

}  // namespace discrec::device::smc
