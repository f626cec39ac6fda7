// Profile names and classes (MMC.md §4.5).
#include <cstdio>

#include "device/mmc/types.h"

namespace discrec::device {

std::string profile_name(uint16_t p) {
  switch (p) {
    case 0x0000: return "none";
    case 0x0008: return "CD-ROM";
    case 0x0009: return "CD-R";
    case 0x000A: return "CD-RW";
    case 0x0010: return "DVD-ROM";
    case 0x0011: return "DVD-R";
    case 0x0012: return "DVD-RAM";
    case 0x0013: return "DVD-RW restricted overwrite";
    case 0x0014: return "DVD-RW sequential";
    case 0x0015: return "DVD-R DL sequential";
    case 0x0016: return "DVD-R DL layer jump";
    case 0x0017: return "DVD-RW DL";
    case 0x0018: return "DVD-Download";
    case 0x001A: return "DVD+RW";
    case 0x001B: return "DVD+R";
    case 0x002A: return "DVD+RW DL";
    case 0x002B: return "DVD+R DL";
    case 0x0040: return "BD-ROM";
    case 0x0041: return "BD-R SRM";
    case 0x0042: return "BD-R RRM";
    case 0x0043: return "BD-RE";
    case 0x0050: return "HD DVD-ROM";
    case 0x0051: return "HD DVD-R";
    case 0x0052: return "HD DVD-RAM";
    case 0x0053: return "HD DVD-RW";
    case 0x0058: return "HD DVD-R DL";
    case 0x005A: return "HD DVD-RW DL";
    case 0xFFFF: return "non-conforming";
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "profile 0x%04X", p);
  return buf;
}

bool profile_is_bd(uint16_t p) { return p >= 0x0040 && p <= 0x004F; }

bool profile_is_dvd(uint16_t p) { return p >= 0x0010 && p <= 0x002F; }

bool profile_is_sequential(uint16_t p) {
  switch (p) {
    case profile::kCdR:
    case profile::kDvdRSequential:
    case profile::kDvdRwSequential:
    case 0x0015:  // DVD-R DL sequential
    case 0x0016:  // DVD-R DL layer jump
    case profile::kDvdPlusR:
    case profile::kDvdPlusRDl:
    case profile::kBdRSrm:
      return true;
    default:
      return false;
  }
}

RecordingMode profile_recording_mode(uint16_t p) {
  switch (p) {
    case profile::kDvdPlusR:
    case profile::kDvdPlusRDl:
    case profile::kDvdRSequential:
    case profile::kDvdRwSequential:
    case 0x0015:  // DVD-R DL sequential
    case profile::kBdRSrm:
    case profile::kBdRRrm:
      return RecordingMode::kWriteOnce;
    case profile::kDvdRam:
    case profile::kDvdRwRestricted:
    case profile::kDvdPlusRw:
    case 0x002A:  // DVD+RW DL
    case profile::kBdRe:
      return RecordingMode::kRewritable;
    default:
      return RecordingMode::kNone;
  }
}

}  // namespace discrec::device
