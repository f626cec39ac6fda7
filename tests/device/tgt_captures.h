// Responses captured from tgt 1.0.85 (the independent MMC emulation in
// shared/mmc-target) with `mmc_iscsi_probe raw <CDB> in:N`, blank DVD+R.
// The CDB that produced each is noted.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace discrec::device::testdata {

// Hex string (no spaces) to bytes.
inline std::vector<uint8_t> from_hex(std::string_view hex) {
  auto nibble = [](char c) -> uint8_t {
    return static_cast<uint8_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  };
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  return out;
}

// CDB 120000002400
inline constexpr std::string_view kInquiry =
    "058005123d000002535447545f44564444564431303120202020202020202020"
    "30303130";
// CDB 46000000000000010000
inline constexpr std::string_view kConfigurationAll =
    "000000700000001b0000030800100000001b0100000103040000000200020304"
    "000000000003030429000000001000080000080000100100001d0000001f0000"
    "002b010401000000010003000105030001070c041f0000000108030800000000"
    "00000000010a010c4644430053444300544f4300";
// CDB 46020107000000001000
inline constexpr std::string_view kConfiguration0107 =
    "0000000c0000001b01070c041f000000";
// CDB ac0000000000000000010300
inline constexpr std::string_view kPerformanceWriteSpeed =
    "0000001400000000010000000023053f00000cfc00000cfc";
// CDB ac1400000000000000010000
inline constexpr std::string_view kPerformanceNominalWrite =
    "000000140200000000000000000015a40023053f000015a4";
// CDB ac1000000000000000010000
inline constexpr std::string_view kPerformanceNominalRead =
    "000000140000000000000000000015a40023053f000015a4";
// CDB 51000000000000002200
inline constexpr std::string_view kDiscInformation =
    "0020000101010110000000000000000000000000002305400000000000000000"
    "0000";
// CDB 52010000000100003000
inline constexpr std::string_view kTrackInformation =
    "0026010100074101000000000000000000230540000000100023054000000000"
    "0000000000040d0e0000000000000000";
// CDB 5c000000000000000c00
inline constexpr std::string_view kBufferCapacity =
    "000a00000080000000400000";
// CDB 5c010000000000000c00
inline constexpr std::string_view kBufferCapacityBlocks =
    "000a00000000100000000800";
// CDB 5a080500000000004000
inline constexpr std::string_view kModeSense05 =
    "003a000000000000053262050810000000000000001000960000000000000000"
    "00000000000000000000000000000000000000000000000000000000";
// CDB 25000000000000000000
inline constexpr std::string_view kReadCapacity =
    "0000000000000800";
// After writing and CLOSE TRACK: tgt turns the disc into DVD-ROM, where 0x0107
// is current. CDB 46000000000000010000.
inline constexpr std::string_view kConfigurationClosedDvdRom =
    "00000070000000100000030800100100001b0000000103040000000200020304"
    "000000000003030429000000001001080000080000100100001d0000001f0100"
    "002b000401000000010003000105030001070d041f0000000108030800000000"
    "00000000010a000c4644430053444300544f4300";
// READ DISC INFORMATION on the closed disc: complete session, complete disc.
inline constexpr std::string_view kDiscInformationClosed =
    "00200e0101010100000000000000000000000000000000000000000000000000"
    "0000";
// Autosense of READ(12) on the blank disc: 5/21/00, fixed format.
inline constexpr std::string_view kSenseLbaOutOfRange = "700005000000000a0000000021000000000000";

}  // namespace discrec::device::testdata
