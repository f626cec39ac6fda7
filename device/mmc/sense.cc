#include "device/mmc/sense.h"

#include <cstdio>

#include "device/mmc/bytes.h"

namespace discrec::device::mmc {
namespace {

constexpr const char* kCommand = "sense data";

struct AscEntry {
  uint8_t asc;
  uint8_t ascq;
  const char* name;
};

// MMC.md §1.4. ASCQ 0xFF marks "any qualifier" for an ASC whose
// qualifiers we do not name one by one.
constexpr AscEntry kAscTable[] = {
    {0x00, 0x00, "no additional sense information"},
    {0x00, 0x16, "operation in progress"},
    {0x02, 0x00, "no seek complete"},
    {0x04, 0x00, "logical unit not ready, cause not reportable"},
    {0x04, 0x01, "logical unit is in process of becoming ready"},
    {0x04, 0x02, "logical unit not ready, initializing command required"},
    {0x04, 0x03, "logical unit not ready, manual intervention required"},
    {0x04, 0x04, "logical unit not ready, format in progress"},
    {0x04, 0x07, "logical unit not ready, operation in progress"},
    {0x04, 0x08, "logical unit not ready, long write in progress"},
    {0x08, 0x00, "logical unit communication failure"},
    {0x08, 0x01, "logical unit communication time-out"},
    {0x08, 0x02, "logical unit communication parity error"},
    {0x08, 0x03, "logical unit communication CRC error"},
    {0x09, 0x00, "track following error"},
    {0x09, 0x01, "tracking servo failure"},
    {0x09, 0x02, "focus servo failure"},
    {0x09, 0x03, "spindle servo failure"},
    {0x09, 0x04, "head select fault"},
    {0x0C, 0x00, "write error"},
    {0x0C, 0x07, "write error - recovery needed"},
    {0x0C, 0x08, "write error - recovery failed"},
    {0x0C, 0x09, "write error - loss of streaming"},
    {0x0C, 0x0A, "write error - padding blocks added"},
    {0x0C, 0x0F, "defects in error window"},
    {0x11, 0x00, "unrecovered read error"},
    {0x11, 0x01, "read retries exhausted"},
    {0x11, 0x05, "L-EC uncorrectable error"},
    {0x11, 0x06, "CIRC unrecovered error"},
    {0x15, 0x00, "random positioning error"},
    {0x15, 0x01, "mechanical positioning error"},
    {0x1A, 0x00, "parameter list length error"},
    {0x20, 0x00, "invalid command operation code"},
    {0x21, 0x00, "logical block address out of range"},
    {0x21, 0x02, "invalid address for write"},
    {0x21, 0x03, "invalid write crossing layer jump"},
    {0x24, 0x00, "invalid field in CDB"},
    {0x26, 0x00, "invalid field in parameter list"},
    {0x26, 0x01, "parameter not supported"},
    {0x26, 0x02, "parameter value invalid"},
    {0x27, 0x00, "write protected"},
    {0x28, 0x00, "not ready to ready change, medium may have changed"},
    {0x28, 0x02, "format-layer may have changed"},
    {0x29, 0x00, "power on, reset, or bus device reset occurred"},
    {0x29, 0x01, "power on occurred"},
    {0x29, 0x02, "SCSI bus reset occurred"},
    {0x29, 0x03, "bus device reset function occurred"},
    {0x29, 0x04, "device internal reset"},
    {0x2A, 0x01, "mode parameters changed"},
    {0x2C, 0x00, "command sequence error"},
    {0x2E, 0x00, "insufficient time for operation"},
    {0x30, 0x00, "incompatible medium installed"},
    {0x30, 0x01, "cannot read medium - unknown format"},
    {0x30, 0x02, "cannot read medium - incompatible format"},
    {0x30, 0x04, "cannot write medium - unknown format"},
    {0x30, 0x05, "cannot write medium - incompatible format"},
    {0x30, 0x06, "cannot format medium - incompatible medium"},
    {0x30, 0x08, "cannot write - application code mismatch"},
    {0x30, 0x09, "current session not fixated for append"},
    {0x30, 0x10, "medium not formatted"},
    {0x31, 0x00, "medium format corrupted"},
    {0x31, 0x01, "format command failed"},
    {0x3A, 0x00, "medium not present"},
    {0x3A, 0x01, "medium not present - tray closed"},
    {0x3A, 0x02, "medium not present - tray open"},
    {0x3E, 0x01, "logical unit failure"},
    {0x3E, 0x02, "timeout on logical unit"},
    {0x44, 0x00, "internal target failure"},
    {0x53, 0x00, "media load or eject failed"},
    {0x53, 0x02, "medium removal prevented"},
    {0x57, 0x00, "unable to recover table-of-contents"},
    {0x63, 0x00, "end of user area encountered on this track"},
    {0x63, 0x01, "packet does not fit in available space"},
    {0x64, 0x00, "illegal mode for this track"},
    {0x64, 0x01, "invalid packet size"},
    {0x72, 0x00, "session fixation error"},
    {0x72, 0x01, "session fixation error writing lead-in"},
    {0x72, 0x02, "session fixation error writing lead-out"},
    {0x72, 0x03, "session fixation error - incomplete track in session"},
    {0x72, 0x04, "empty or partially written reserved track"},
    {0x72, 0x05, "no more track reservations allowed"},
    {0x73, 0x00, "CD control error"},
    {0x73, 0x01, "power calibration area almost full"},
    {0x73, 0x02, "power calibration area is full"},
    {0x73, 0x03, "power calibration area error"},
    {0x73, 0xFF, "power calibration error"},
};

}  // namespace

Result<SenseData> parse_sense(std::span<const uint8_t> bytes) {
  ByteView s(bytes);
  RETURN_IF_ERROR(require(s, 1, kCommand));
  SenseData out;
  out.response_code = s.u8(0) & 0x7F;
  switch (out.response_code) {
    case 0x70:
    case 0x71: {
      // Byte 7 (additional length) may be smaller than 6 on old devices; the
      // ASC/ASCQ are only meaningful when the bytes were actually sent.
      RETURN_IF_ERROR(require(s, 3, kCommand));
      out.code.key = s.u8(2) & 0x0F;
      size_t available = s.size();
      if (s.has(7, 1)) available = std::min<size_t>(available, 8 + size_t{s.u8(7)});
      if (available >= 14) {
        out.code.asc = s.u8(12);
        out.code.ascq = s.u8(13);
      } else if (out.code.key != 0) {
        return malformed(kCommand, "fixed-format sense without ASC/ASCQ (" +
                                       std::to_string(available) + " bytes)");
      }
      if (s.bit(0, 7) && available >= 7) out.information = s.be32(3);
      // SKSV with NOT READY / NO SENSE carries a progress indication.
      if (available >= 18 && s.bit(15, 7) && (out.code.key == 0 || out.code.key == 2))
        out.progress = s.be16(16);
      break;
    }
    case 0x72:
    case 0x73: {
      RETURN_IF_ERROR(require(s, 4, kCommand));
      out.code.key = s.u8(1) & 0x0F;
      out.code.asc = s.u8(2);
      out.code.ascq = s.u8(3);
      size_t end = s.size();
      if (s.has(7, 1)) end = std::min<size_t>(end, 8 + size_t{s.u8(7)});
      // Walk the descriptors; a descriptor running past the end stops the walk
      // (the key/ASC/ASCQ above are already valid).
      size_t pos = 8;
      while (pos + 2 <= end) {
        uint8_t type = s.u8(pos);
        size_t len = s.u8(pos + 1);
        if (pos + 2 + len > end) break;
        if (type == 0x00 && len >= 10 && s.bit(pos + 2, 7)) {
          // Information descriptor: 8-byte field; keep the low 32 bits (LBAs here fit).
          out.information = s.be32(pos + 8);
        } else if (type == 0x02 && len >= 6 && s.bit(pos + 4, 7) &&
                   (out.code.key == 0 || out.code.key == 2)) {
          out.progress = s.be16(pos + 5);
        }
        pos += 2 + len;
      }
      break;
    }
    default: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "unknown sense response code 0x%02X", out.response_code);
      return malformed(kCommand, buf);
    }
  }
  out.deferred = out.response_code == 0x71 || out.response_code == 0x73;
  return out;
}

const char* sense_key_name(uint8_t key) {
  static constexpr const char* kNames[16] = {
      "NO SENSE",        "RECOVERED ERROR", "NOT READY",      "MEDIUM ERROR",
      "HARDWARE ERROR",  "ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT",
      "BLANK CHECK",     "VENDOR SPECIFIC", "COPY ABORTED",   "ABORTED COMMAND",
      "EQUAL",           "VOLUME OVERFLOW", "MISCOMPARE",     "RESERVED"};
  return kNames[key & 0x0F];
}

const char* asc_ascq_name(uint8_t asc, uint8_t ascq) {
  const char* any = nullptr;
  for (const auto& e : kAscTable) {
    if (e.asc != asc) continue;
    if (e.ascq == ascq) return e.name;
    if (e.ascq == 0xFF) any = e.name;
  }
  return any;
}

std::string describe_sense(const SenseCode& code) {
  char buf[160];
  const char* name = asc_ascq_name(code.asc, code.ascq);
  std::snprintf(buf, sizeof buf, "%s %X/%02X/%02X %s", sense_key_name(code.key), code.key,
                code.asc, code.ascq, name ? name : "(unlisted ASC/ASCQ)");
  return buf;
}

}  // namespace discrec::device::mmc
