// Parsed MMC/SPC data: what the pure command functions in device/mmc/ return.
// Byte layouts are in shared/reference/MMC.md; field comments name the section.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace discrec::device {

// Well-known MMC profile numbers (MMC.md §4.5).
namespace profile {
inline constexpr uint16_t kNone = 0x0000;
inline constexpr uint16_t kCdRom = 0x0008;
inline constexpr uint16_t kCdR = 0x0009;
inline constexpr uint16_t kCdRw = 0x000A;
inline constexpr uint16_t kDvdRom = 0x0010;
inline constexpr uint16_t kDvdRSequential = 0x0011;
inline constexpr uint16_t kDvdRam = 0x0012;
inline constexpr uint16_t kDvdRwRestricted = 0x0013;
inline constexpr uint16_t kDvdRwSequential = 0x0014;
inline constexpr uint16_t kDvdPlusRw = 0x001A;
inline constexpr uint16_t kDvdPlusR = 0x001B;
inline constexpr uint16_t kDvdPlusRDl = 0x002B;
inline constexpr uint16_t kBdRom = 0x0040;
inline constexpr uint16_t kBdRSrm = 0x0041;
inline constexpr uint16_t kBdRRrm = 0x0042;
inline constexpr uint16_t kBdRe = 0x0043;
}  // namespace profile

// "DVD+R", "BD-RE", ... or "profile 0x1234".
std::string profile_name(uint16_t profile);
bool profile_is_bd(uint16_t profile);
bool profile_is_dvd(uint16_t profile);
// Write-once media written sequentially at the next writable address.
bool profile_is_sequential(uint16_t profile);

// How a recorder can lay a file system on a medium of a profile. Wider than
// profile_is_sequential(): BD-R RRM takes any block but each only once, so it
// is written like the sequential write-once media; DVD-RW restricted
// overwrite and DVD+RW DL are written anywhere, like the other rewritables.
enum class RecordingMode : uint8_t {
  kNone,       // CD, read-only, unknown or no medium: nothing to record onto
  kWriteOnce,  // DVD-R(W) sequential, DVD-R DL, DVD+R (DL), BD-R SRM/RRM
  kRewritable, // DVD-RAM, DVD-RW restricted overwrite, DVD+RW (DL), BD-RE
};
RecordingMode profile_recording_mode(uint16_t profile);

// Decoded sense data (MMC.md §1.2), fixed or descriptor format.
struct SenseData {
  uint8_t response_code = 0;  // 0x70/0x71 fixed, 0x72/0x73 descriptor
  bool deferred = false;      // 0x71/0x73: reports an earlier command's failure
  SenseCode code;
  std::optional<uint32_t> information;  // e.g. failing LBA, when VALID
  std::optional<uint16_t> progress;     // SKSV progress indication, 0..65535
};

struct InquiryData {
  uint8_t peripheral_device_type = 0;
  bool removable = false;
  std::string vendor;    // trimmed
  std::string product;   // trimmed
  std::string revision;  // trimmed
};

struct ProfileDescriptor {
  uint16_t number = 0;
  bool current = false;
};

struct FeatureDescriptor {
  uint16_t code = 0;
  uint8_t version = 0;
  bool persistent = false;
  bool current = false;
  std::vector<uint8_t> data;  // bytes after the 4-byte header
};

// Feature 0x0107 (MMC.md §4.7), every field.
struct RealTimeStreamingFeature {
  bool present = false;
  bool current = false;
  bool persistent = false;
  uint8_t version = 0;
  bool stream_writing = false;         // SW
  bool write_speed_in_get_perf = false;  // WSPD
  bool write_speed_in_mp2a = false;    // MP2A
  bool set_cd_speed = false;           // SCS
  bool read_buffer_capacity_block = false;  // RBCB
};

// Version/persistent/current of a typed feature; present=false when the
// drive did not list it.
struct FeatureState {
  bool present = false;
  bool current = false;
  bool persistent = false;
  uint8_t version = 0;
};

// 0x0001 Core (MMC.md §4.6).
struct CoreFeature : FeatureState {
  uint32_t physical_interface = 0;  // 1 SCSI, 2 ATAPI, 3/4/6 IEEE 1394, 7 serial ATAPI, 8 USB
  bool dbe = false;                 // device busy event
  bool inq2 = false;
};

// 0x0003 Removable Medium.
struct RemovableMediumFeature : FeatureState {
  uint8_t loading_mechanism = 0;  // 0 caddy/slot, 1 tray, 2 pop-up, 4/5 changer
  bool load = false;
  bool eject = false;
  bool prevent_jumper = false;
  bool dbml = false;  // byte 4 bit 1 (linux/cdrom.h name)
  bool lock = false;
};

// 0x0010 Random Readable.
struct RandomReadableFeature : FeatureState {
  uint32_t block_size = 0;
  uint16_t blocking = 0;  // DVD: 16
  bool page_present = false;
};

// 0x0020 Random Writable.
struct RandomWritableFeature : FeatureState {
  uint32_t last_lba = 0;
  uint32_t block_size = 0;
  uint16_t blocking = 0;
  bool page_present = false;
};

// 0x0021 Incremental Streaming Writable.
struct IncrementalStreamingFeature : FeatureState {
  uint16_t data_block_types = 0;
  bool trio = false;
  bool arsv = false;
  bool buf = false;
  std::vector<uint8_t> link_sizes;
};

// 0x0023 Formattable.
struct FormattableFeature : FeatureState {
  bool cert = false;
  bool qcert = false;
  bool expand = false;
  bool renosa = false;  // BD-RE format without spare areas
  bool frf = false;
  bool rrm = false;     // BD-R random recording mode
};

// 0x0024 Hardware Defect Management.
struct DefectManagementFeature : FeatureState {
  bool ssa = false;
};

// 0x0026 Restricted Overwrite (no feature-specific bits beyond the header).
struct RestrictedOverwriteFeature : FeatureState {};

// 0x002F DVD-R/-RW Write.
struct DvdRWriteFeature : FeatureState {
  bool buf = false;
  bool rdl = false;
  bool test_write = false;
  bool dvd_rw = false;
};

// 0x0040 BD Read / 0x0041 BD Write: class bitmaps, 4 classes per media kind.
struct BdReadFeature : FeatureState {
  uint16_t bd_re_class[4] = {};
  uint16_t bd_r_class[4] = {};
  uint16_t bd_rom_class[4] = {};
};
struct BdWriteFeature : FeatureState {
  bool svnr = false;  // verify-not-required supported
  uint16_t bd_re_class[4] = {};
  uint16_t bd_r_class[4] = {};
};

// 0x0100 Power Management (header only).
struct PowerManagementFeature : FeatureState {};

// GET CONFIGURATION, parsed (MMC.md §4).
struct Configuration {
  uint16_t current_profile = 0;
  std::vector<ProfileDescriptor> profiles;       // feature 0x0000
  std::vector<FeatureDescriptor> features;       // all, raw
  RealTimeStreamingFeature rt_streaming;         // feature 0x0107
  CoreFeature core;                              // 0x0001
  RemovableMediumFeature removable_medium;       // 0x0003
  RandomReadableFeature random_readable;         // 0x0010
  RandomWritableFeature random_writable;         // 0x0020
  IncrementalStreamingFeature incremental_streaming;  // 0x0021
  FormattableFeature formattable;                // 0x0023
  DefectManagementFeature defect_management;     // 0x0024
  RestrictedOverwriteFeature restricted_overwrite;  // 0x0026
  DvdRWriteFeature dvd_r_write;                  // 0x002F
  BdReadFeature bd_read;                         // 0x0040
  BdWriteFeature bd_write;                       // 0x0041
  PowerManagementFeature power_management;       // 0x0100
  const FeatureDescriptor* find(uint16_t code) const {
    for (const auto& f : features)
      if (f.code == code) return &f;
    return nullptr;
  }
};

// GET PERFORMANCE type 0x03 descriptor (MMC.md §5.4).
struct WriteSpeedDescriptor {
  uint8_t wrc = 0;
  bool exact = false;
  bool mrw = false;
  uint32_t end_lba = 0;
  uint32_t read_kbps = 0;   // kB/s = 1000 B/s
  uint32_t write_kbps = 0;
};

// GET PERFORMANCE type 0x00 nominal descriptor (MMC.md §5.3).
struct PerformanceDescriptor {
  uint32_t start_lba = 0;
  uint32_t start_kbps = 0;
  uint32_t end_lba = 0;
  uint32_t end_kbps = 0;
};

// SET STREAMING performance descriptor (MMC.md §6.2).
struct StreamingPerformance {
  uint8_t wrc = 0;
  bool restore_defaults = false;  // RDD
  bool exact = false;
  bool random_access = false;
  uint32_t start_lba = 0;
  uint32_t end_lba = 0;
  uint32_t read_size_kb = 0;
  uint32_t read_time_ms = 1000;
  uint32_t write_size_kb = 0;
  uint32_t write_time_ms = 1000;
};

enum class DiscStatus : uint8_t { kBlank = 0, kAppendable = 1, kComplete = 2, kOther = 3 };
enum class SessionState : uint8_t { kEmpty = 0, kIncomplete = 1, kReserved = 2, kComplete = 3 };

// READ DISC INFORMATION (MMC.md §8.2).
struct DiscInformation {
  bool erasable = false;
  SessionState last_session_state = SessionState::kEmpty;
  DiscStatus status = DiscStatus::kBlank;
  uint16_t first_track = 1;
  uint16_t sessions = 0;
  uint16_t first_track_in_last_session = 0;
  uint16_t last_track_in_last_session = 0;
  bool disc_id_valid = false;
  bool unrestricted_use = false;
  uint8_t bg_format_status = 0;
  uint8_t disc_type = 0;
  uint32_t disc_id = 0;
  uint32_t last_session_lead_in = 0;
  uint32_t last_possible_lead_out = 0;
  uint8_t opc_entries = 0;
};

enum class TrackAddressType : uint8_t { kLba = 0, kTrackNumber = 1, kSessionNumber = 2 };

// READ TRACK INFORMATION (MMC.md §8.3).
struct TrackInformation {
  uint16_t track_number = 0;
  uint16_t session_number = 0;
  bool damage = false;
  bool copy = false;
  uint8_t track_mode = 0;
  bool reserved_track = false;
  bool blank = false;
  bool packet = false;
  bool fixed_packet = false;
  uint8_t data_mode = 0;
  bool lra_valid = false;
  bool nwa_valid = false;
  uint32_t start_lba = 0;
  uint32_t next_writable_address = 0;
  uint32_t free_blocks = 0;
  uint32_t fixed_packet_size = 0;
  uint32_t track_size = 0;
  uint32_t last_recorded_address = 0;
};

// READ BUFFER CAPACITY (MMC.md §8.7).
struct BufferCapacity {
  bool in_blocks = false;
  uint32_t length = 0;     // bytes (0 when in_blocks)
  uint32_t available = 0;  // bytes, or blocks when in_blocks
};

// READ CAPACITY(10).
struct ReadCapacity {
  uint32_t last_lba = 0;
  uint32_t block_length = 0;
};

struct FormatCapacityDescriptor {
  uint32_t blocks = 0;
  uint8_t type = 0;       // format type (bits 7-2) for formattable descriptors
  uint32_t parameter = 0; // TDP / block length
};

// READ FORMAT CAPACITIES (MMC.md §10.2).
struct FormatCapacities {
  // Current/maximum: descriptor type 1 unformatted, 2 formatted, 3 no medium.
  uint32_t current_blocks = 0;
  uint8_t current_descriptor_type = 0;
  uint32_t current_block_length = 0;
  std::vector<FormatCapacityDescriptor> formattable;
};

// FORMAT UNIT format descriptor (MMC.md §10.1).
struct FormatDescriptor {
  uint32_t blocks = 0;
  uint8_t format_type = 0;  // 0x00 full, 0x30 BD-RE with spares, 0x31 without, 0x26 DVD+RW
  uint8_t sub_type = 0;
  uint32_t type_parameter = 0x800;
};

// GET EVENT STATUS NOTIFICATION, media class (MMC.md §8.9).
struct EventStatus {
  bool no_event_available = false;
  uint8_t notification_class = 0;
  uint8_t supported_classes = 0;
  uint8_t media_event = 0;  // 0 none, 1 eject request, 2 new media, 3 removal, 4 changed
  bool media_present = false;
  bool tray_open = false;
};

// Mode page 0x05, write parameters (MMC.md §9.2): the fields a recorder sets.
struct ModePage05 {
  bool buffer_underrun_free = false;  // BUFE
  bool link_size_valid = false;
  bool test_write = false;
  uint8_t write_type = 0;
  uint8_t multi_session = 0;
  bool fixed_packet = false;
  uint8_t track_mode = 0;
  uint8_t data_block_type = 8;
  uint8_t link_size = 0;
  uint32_t packet_size = 0;
  std::vector<uint8_t> raw;  // the whole page as read, so MODE SELECT can echo unknown fields
};

}  // namespace discrec::device
