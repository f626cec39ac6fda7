#include "device/sim/media.h"

#include <cstdlib>

namespace discrec::device::sim {

const std::vector<MediaProfile>& all_media() {
  // Capacities: single-layer 4.7 GB DVD and 25 GB BD as drives report them
  // (READ TRACK INFORMATION free blocks on blank media; READ FORMAT
  // CAPACITIES for BD-RE 12219392 without / 11826176 with default spares and
  // DVD-RAM 2295104 / 2236704).
  static const std::vector<MediaProfile> media = {
      {"bd-re", "BD-RE", 0x0043, true, false, true, true, true, 12219392, 393216, 32, kBdOneX,
       {10, 20, 40}, 80, 150, 1500},
      {"bd-r", "BD-R", 0x0041, true, true, false, false, false, 12219392, 0, 32, kBdOneX,
       {20, 40, 60, 120}, 80, 150, 1500},
      {"dvd-ram", "DVD-RAM", 0x0012, false, false, true, true, true, 2295104, 58400, 16, kDvdOneX,
       {20, 30, 50}, 50, 100, 1000},
      {"dvd+r", "DVD+R", 0x001B, false, true, false, false, false, 2295104, 0, 16, kDvdOneX,
       {24, 40, 80, 160}, 160, 100, 1000},
      {"dvd+rw", "DVD+RW", 0x001A, false, false, true, true, false, 2295104, 0, 16, kDvdOneX,
       {24, 40, 80}, 160, 100, 1000},
      {"dvd-r", "DVD-R", 0x0011, false, true, false, false, false, 2298496, 0, 16, kDvdOneX,
       {20, 40, 80, 160}, 160, 100, 1000},
  };
  return media;
}

const MediaProfile* find_media(std::string_view name) {
  for (const auto& m : all_media())
    if (m.name == name) return &m;
  return nullptr;
}

uint16_t nearest_write_speed(const MediaProfile& m, uint64_t kbps) {
  uint16_t best = m.write_speeds_x10.front();
  uint64_t best_diff = UINT64_MAX;
  for (uint16_t x10 : m.write_speeds_x10) {
    uint64_t k = speed_kbps(m, x10);
    uint64_t diff = k > kbps ? k - kbps : kbps - k;
    if (diff < best_diff) {
      best = x10;
      best_diff = diff;
    }
  }
  return best;
}

uint32_t spare_blocks_for(const MediaProfile& m, uint32_t capacity) {
  if (m.spare_blocks == 0) return 0;
  uint64_t spare = uint64_t{capacity} * m.spare_blocks / m.capacity_blocks;
  spare = (spare + m.ecc_blocks - 1) / m.ecc_blocks * m.ecc_blocks;
  if (spare >= capacity) spare = 0;
  return static_cast<uint32_t>(spare);
}

}  // namespace discrec::device::sim
