// Responses of tgt's SCSI media changer emulation (tgt 1.0.85, usr/smc.c),
// captured over iSCSI from the fixture of tgt_changer_fixture.sh: medium
// transport 16, storage 1024..1026, import/export 32, data transfer 1.
// tgt sends 8 bytes less than its header announces (it counts one 8-byte
// header where the report has two, data and page), so each READ ELEMENT
// STATUS report below ends 8 bytes into the tail of its last descriptor.
#pragma once

#include <string_view>

#include "tests/device/tgt_captures.h"

namespace discrec::device::testdata {

// INQUIRY 120000006000 (vendor STK, product L700 as the fixture names them).
inline constexpr std::string_view kChangerInquiry =
    "088005123d00000253544b20202020204c373030202020202020202020202020"
    "3030313000000000000000000000000000000000000000000000048009600300"
    "0000";
// MODE SENSE(6) 1a081d00ff00: page 0x1D, transport 16 x1, storage 1024 x3,
// import/export 32 x1, data transfer 1 x1.
inline constexpr std::string_view kElementAddressAssignment =
    "170000001d12001000010400000300200001000100010000";
// READ ELEMENT STATUS b81204000003000000c80000 (storage, VolTag) after DISC0002
// moved from 1025 to the drive: 1024 full "DISC0001", 1025 and 1026 empty.
inline constexpr std::string_view kStorageStatus =
    "04000003000000a4028000340000009c04000100000000000000000044495343"
    "3030303120202020202020202020202020202020202020202020202000000000"
    "0000000004010000000000000000000020202020202020202020202020202020"
    "2020202020202020202020202020202000000000000000000402000000000000"
    "0000000020202020202020202020202020202020202020202020202020202020"
    "20202020";
// READ ELEMENT STATUS b81400010001000000c80000 (data transfer): drive 1 full,
// SValid, source 1025, "DISC0002".
inline constexpr std::string_view kDriveStatus =
    "040200010000003c048000340000003400010100000000000080040144495343"
    "30303032202020202020202020202020202020202020202020202020";
// READ ELEMENT STATUS b81100100001000000c80000 (medium transport 16, empty).
inline constexpr std::string_view kTransportStatus =
    "040200010000003c018000340000003400100000000000000000000020202020"
    "20202020202020202020202020202020202020202020202020202020";
// Sense of MOVE MEDIUM a50000100402000100000000 from the empty slot 1026.
inline constexpr std::string_view kMoveSourceEmptySense =
    "700005000000000a000000003b0e00000000";

}  // namespace discrec::device::testdata
