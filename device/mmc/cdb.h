// CDB builders for every MMC/SPC command discrec sends. Pure functions: no
// I/O, no allocation. Byte layouts: shared/reference/MMC.md (section noted).
//
// Thread-safety: pure functions over value types.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "device/mmc/types.h"

namespace discrec::device::mmc {

// A command descriptor block of 6, 10 or 12 bytes.
struct Cdb {
  std::array<uint8_t, 16> bytes{};
  uint8_t length = 0;
  std::span<const uint8_t> span() const { return {bytes.data(), length}; }
  uint8_t opcode() const { return bytes[0]; }
};

namespace opcode {
inline constexpr uint8_t kTestUnitReady = 0x00;
inline constexpr uint8_t kRequestSense = 0x03;
inline constexpr uint8_t kFormatUnit = 0x04;
inline constexpr uint8_t kInquiry = 0x12;
inline constexpr uint8_t kStartStopUnit = 0x1B;
inline constexpr uint8_t kPreventAllowMediumRemoval = 0x1E;
inline constexpr uint8_t kReadFormatCapacities = 0x23;
inline constexpr uint8_t kReadCapacity = 0x25;
inline constexpr uint8_t kSynchronizeCache = 0x35;
inline constexpr uint8_t kGetConfiguration = 0x46;
inline constexpr uint8_t kGetEventStatusNotification = 0x4A;
inline constexpr uint8_t kReadDiscInformation = 0x51;
inline constexpr uint8_t kReadTrackInformation = 0x52;
inline constexpr uint8_t kReserveTrack = 0x53;
inline constexpr uint8_t kSendOpcInformation = 0x54;
inline constexpr uint8_t kModeSelect10 = 0x55;
inline constexpr uint8_t kModeSense10 = 0x5A;
inline constexpr uint8_t kCloseTrackSession = 0x5B;
inline constexpr uint8_t kReadBufferCapacity = 0x5C;
inline constexpr uint8_t kRead12 = 0xA8;
inline constexpr uint8_t kWrite12 = 0xAA;
inline constexpr uint8_t kGetPerformance = 0xAC;
inline constexpr uint8_t kSetStreaming = 0xB6;
inline constexpr uint8_t kSetCdSpeed = 0xBB;
}  // namespace opcode

// Human name of an opcode for error messages: "WRITE(12)", or "opcode 0xNN".
const char* command_name(uint8_t opcode);

// GET CONFIGURATION request types (RT field, MMC.md §4.1).
enum class ConfigurationRequest : uint8_t { kAll = 0, kCurrent = 1, kOne = 2 };

// GET PERFORMANCE type 0x00 exception selector (MMC.md §5.1).
enum class PerformanceExcept : uint8_t { kNominal = 0, kEntireList = 1, kExceptionsOnly = 2 };

// Mode page control for MODE SENSE(10) (MMC.md §9.1).
enum class PageControl : uint8_t { kCurrent = 0, kChangeable = 1, kDefault = 2, kSaved = 3 };

Cdb test_unit_ready();
Cdb request_sense(uint8_t allocation_length = 18, bool descriptor_format = false);
Cdb inquiry(uint16_t allocation_length = 96);
Cdb get_configuration(ConfigurationRequest rt, uint16_t starting_feature, uint16_t allocation_length);
// Type 0x00; Tolerance is always 10b, the only defined value (MMC.md §5.1).
Cdb get_performance_nominal(bool write, PerformanceExcept except, uint32_t start_lba,
                            uint16_t max_descriptors);
// Type 0x03 write speed descriptors.
Cdb get_performance_write_speed(uint16_t max_descriptors);
// SET STREAMING type 0x00 with a 28-byte performance descriptor.
Cdb set_streaming(uint16_t parameter_length = 28);
// SET CD SPEED; 0xFFFF = maximum. rotation: 0 CLV, 1 CAV.
Cdb set_cd_speed(uint16_t read_kbps, uint16_t write_kbps, uint8_t rotation = 0);
Cdb send_opc_information(bool do_opc, bool exclude_layer0 = false, bool exclude_layer1 = false,
                         uint16_t parameter_length = 0);
Cdb read_disc_information(uint16_t allocation_length = 34);
Cdb read_track_information(TrackAddressType type, uint32_t number, uint16_t allocation_length = 48);
Cdb reserve_track(uint32_t blocks);
// function: the 3-bit Close Function (MMC.md §8.5).
Cdb close_track_session(uint8_t function, uint16_t number, bool immed);
Cdb synchronize_cache(bool immed, uint32_t lba = 0, uint16_t blocks = 0);
Cdb read_buffer_capacity(bool block, uint16_t allocation_length = 12);
Cdb start_stop_unit(bool load_eject, bool start, bool immed, uint8_t power_condition = 0);
Cdb prevent_allow_medium_removal(bool prevent);
// Polled GESN; class_request is the notification class bitmap (0x10 = media).
Cdb get_event_status_notification(uint8_t class_request, uint16_t allocation_length = 8);
Cdb mode_sense10(uint8_t page_code, PageControl pc, uint16_t allocation_length, bool dbd = true,
                 uint8_t subpage = 0);
// PF=1, SP=0.
Cdb mode_select10(uint16_t parameter_length);
// Format code 001b with FmtData=1 (a 12-byte parameter list follows).
Cdb format_unit(bool cmplist = false);
Cdb read_format_capacities(uint16_t allocation_length = 252);
Cdb read_capacity();
// READ(12)/WRITE(12); blocks = transfer length; streaming sets byte 10 bit 7.
Cdb read12(uint32_t lba, uint32_t blocks, bool streaming, bool fua = false);
Cdb write12(uint32_t lba, uint32_t blocks, bool streaming, bool fua = false);

// --- parameter lists sent with Dir OUT ---

// SET STREAMING performance descriptor, 28 bytes (MMC.md §6.2).
std::array<uint8_t, 28> streaming_performance_descriptor(const StreamingPerformance& p);
// FORMAT UNIT parameter list: 4-byte header + one 8-byte descriptor (MMC.md §10.1).
std::array<uint8_t, 12> format_unit_parameters(const FormatDescriptor& d, bool immed);

}  // namespace discrec::device::mmc
