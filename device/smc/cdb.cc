#include "device/smc/cdb.h"

#include <algorithm>

#include "device/mmc/bytes.h"

namespace discrec::device::smc {

using mmc::put_be16;
using mmc::put_be24;

const char* command_name(uint8_t op) {
  switch (op) {
    case opcode::kInitializeElementStatus: return "INITIALIZE ELEMENT STATUS";
    case opcode::kModeSense6: return "MODE SENSE(6)";
    case opcode::kMoveMedium: return "MOVE MEDIUM";
    case opcode::kReadElementStatus: return "READ ELEMENT STATUS";
  }
  return mmc::command_name(op);
}

Cdb read_element_status(ElementType type, uint16_t first_address, uint16_t count, bool volume_tag,
                        uint32_t allocation_length) {
  Cdb c;
  c.length = 12;
  c.bytes[0] = opcode::kReadElementStatus;
  c.bytes[1] = static_cast<uint8_t>((volume_tag ? 0x10 : 0) | (static_cast<uint8_t>(type) & 0x0F));
  put_be16(&c.bytes[2], first_address);
  put_be16(&c.bytes[4], count);
  // Byte 6: CURDATA=0 (the changer may move to find out), DVCID=0.
  put_be24(&c.bytes[7], std::min<uint32_t>(allocation_length, 0xFFFFFF));
  return c;
}

Cdb move_medium(uint16_t transport, uint16_t source, uint16_t destination, bool invert) {
  Cdb c;
  c.length = 12;
  c.bytes[0] = opcode::kMoveMedium;
  put_be16(&c.bytes[2], transport);
  put_be16(&c.bytes[4], source);
  put_be16(&c.bytes[6], destination);
  c.bytes[10] = invert ? 0x01 : 0x00;
  return c;
}

Cdb initialize_element_status() {
  Cdb c;
  c.length = 6;
  c.bytes[0] = opcode::kInitializeElementStatus;
  return c;
}

Cdb mode_sense6(uint8_t page_code, uint8_t allocation_length) {
  Cdb c;
  c.length = 6;
  c.bytes[0] = opcode::kModeSense6;
  c.bytes[1] = 0x08;  // DBD: no block descriptors
  c.bytes[2] = page_code & 0x3F;  // PC=00b, current values
  c.bytes[4] = allocation_length;
  return c;
}

}  // namespace discrec::device::smc
