// The media the emulated drive can hold: one table row per profile with the
// numbers a real drive reports for it (capacity, ECC unit, speeds).
//
// Thread-safety: immutable data.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace discrec::device::sim {

struct MediaProfile {
  std::string_view name;      // URI spelling: "bd-re"
  std::string_view label;     // "BD-RE"
  uint16_t profile = 0;       // MMC profile number (MMC.md §4.5)
  bool bd = false;
  bool sequential = false;    // write-once, written at the next writable address
  bool erasable = false;
  // Random-writable media that answer 5/30/10 until FORMAT UNIT.
  bool needs_format = false;
  // Formatting with spare areas turns on defect management (verify after write).
  bool has_spare_areas = false;
  uint32_t capacity_blocks = 0;  // user blocks without spare areas
  uint32_t spare_blocks = 0;     // default spare area, taken off the capacity
  uint32_t ecc_blocks = 16;      // 16 (32 KiB) on DVD, 32 (64 KiB) on BD
  uint64_t one_x_bytes_per_second = 0;
  // Supported write speeds in tenths of "x", ascending (24 = 2.4x).
  std::vector<uint16_t> write_speeds_x10;
  uint16_t read_speed_x10 = 0;
  uint32_t seek_ms = 0;          // one random access
  uint32_t opc_ms = 0;           // one power calibration
};

inline constexpr uint64_t kDvdOneX = 1385000;
inline constexpr uint64_t kBdOneX = 4495625;

// All emulated media, in the order a drive lists their profiles.
const std::vector<MediaProfile>& all_media();
// By URI name ("dvd+r", "bd-re", ...); null if unknown.
const MediaProfile* find_media(std::string_view name);

inline uint64_t speed_bytes_per_second(const MediaProfile& m, uint16_t x10) {
  return m.one_x_bytes_per_second * x10 / 10;
}
// MMC speed fields are kB/s with 1 kB = 1000 bytes, rounded down.
inline uint32_t speed_kbps(const MediaProfile& m, uint16_t x10) {
  return static_cast<uint32_t>(speed_bytes_per_second(m, x10) / 1000);
}
// The supported write speed (x10) nearest to `kbps`.
uint16_t nearest_write_speed(const MediaProfile& m, uint64_t kbps);
// Spare area for a disc of `capacity` blocks: the profile's ratio, whole ECC units.
uint32_t spare_blocks_for(const MediaProfile& m, uint32_t capacity);

}  // namespace discrec::device::sim
