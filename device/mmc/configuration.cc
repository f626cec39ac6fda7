// INQUIRY and GET CONFIGURATION parsers (MMC.md §3.3, §4).
#include <cstdio>

#include "device/mmc/bytes.h"
#include "device/mmc/parse.h"

namespace discrec::device::mmc {
namespace {

constexpr const char* kInquiry = "INQUIRY";
constexpr const char* kGetConfiguration = "GET CONFIGURATION";
// LBN rejects configuration data above this as implausible; a drive lists
// ~30 features of a few dozen bytes each.
constexpr uint32_t kMaxConfigurationLength = 65535;

std::string trimmed_ascii(ByteView v, size_t offset, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    uint8_t c = v.u8(offset + i);
    s.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : ' ');
  }
  size_t end = s.find_last_not_of(' ');
  size_t begin = s.find_first_not_of(' ');
  return begin == std::string::npos ? std::string() : s.substr(begin, end - begin + 1);
}

std::string feature_label(uint16_t code) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "feature 0x%04X", code);
  return buf;
}

void set_state(FeatureState& s, const FeatureDescriptor& f) {
  s.present = true;
  s.current = f.current;
  s.persistent = f.persistent;
  s.version = f.version;
}

// Feature data must hold `n` bytes past the 4-byte header.
Status need(const FeatureDescriptor& f, size_t n) {
  if (f.data.size() < n)
    return malformed(kGetConfiguration, feature_label(f.code) + " too short: " +
                                            std::to_string(f.data.size()) + " data bytes, need " +
                                            std::to_string(n));
  return ok_status();
}

// Decodes the typed view of one feature into `c`. Offsets below are
// descriptor offsets minus 4 (the header).
Status decode_feature(const FeatureDescriptor& f, Configuration& c) {
  ByteView d(f.data);
  switch (f.code) {
    case 0x0000: {
      if (f.data.size() % 4 != 0)
        return malformed(kGetConfiguration, "profile list length not a multiple of 4");
      for (size_t i = 0; i + 4 <= f.data.size(); i += 4)
        c.profiles.push_back(ProfileDescriptor{d.be16(i), d.bit(i + 2, 0)});
      return ok_status();
    }
    case 0x0001:
      RETURN_IF_ERROR(need(f, 4));
      set_state(c.core, f);
      c.core.physical_interface = d.be32(0);
      // Version 0 Core has only the interface field; DBE/INQ2 came later.
      c.core.dbe = d.bit(4, 0);
      c.core.inq2 = d.bit(4, 1);
      return ok_status();
    case 0x0003:
      RETURN_IF_ERROR(need(f, 1));
      set_state(c.removable_medium, f);
      c.removable_medium.loading_mechanism = d.u8(0) >> 5;
      c.removable_medium.load = d.bit(0, 4);
      c.removable_medium.eject = d.bit(0, 3);
      c.removable_medium.prevent_jumper = d.bit(0, 2);
      c.removable_medium.dbml = d.bit(0, 1);
      c.removable_medium.lock = d.bit(0, 0);
      return ok_status();
    case 0x0010:
      RETURN_IF_ERROR(need(f, 7));
      set_state(c.random_readable, f);
      c.random_readable.block_size = d.be32(0);
      c.random_readable.blocking = d.be16(4);
      c.random_readable.page_present = d.bit(6, 0);
      return ok_status();
    case 0x0020:
      RETURN_IF_ERROR(need(f, 11));
      set_state(c.random_writable, f);
      c.random_writable.last_lba = d.be32(0);
      c.random_writable.block_size = d.be32(4);
      c.random_writable.blocking = d.be16(8);
      c.random_writable.page_present = d.bit(10, 0);
      return ok_status();
    case 0x0021: {
      RETURN_IF_ERROR(need(f, 4));
      auto& x = c.incremental_streaming;
      set_state(x, f);
      x.data_block_types = d.be16(0);
      x.trio = d.bit(2, 2);
      x.arsv = d.bit(2, 1);
      x.buf = d.bit(2, 0);
      size_t n = d.u8(3);
      RETURN_IF_ERROR(need(f, 4 + n));
      x.link_sizes.assign(f.data.begin() + 4, f.data.begin() + 4 + static_cast<std::ptrdiff_t>(n));
      return ok_status();
    }
    case 0x0023:
      set_state(c.formattable, f);
      // Version 0 carries no data on some drives; the bits are simply absent.
      c.formattable.cert = d.bit(0, 0);
      c.formattable.qcert = d.bit(0, 1);
      c.formattable.expand = d.bit(0, 2);
      c.formattable.renosa = d.bit(0, 3);
      c.formattable.frf = d.bit(1, 7);
      c.formattable.rrm = d.bit(4, 0);
      return ok_status();
    case 0x0024:
      set_state(c.defect_management, f);
      c.defect_management.ssa = d.bit(0, 7);
      return ok_status();
    case 0x0026:
      set_state(c.restricted_overwrite, f);
      return ok_status();
    case 0x002F:
      RETURN_IF_ERROR(need(f, 1));
      set_state(c.dvd_r_write, f);
      c.dvd_r_write.buf = d.bit(0, 6);
      c.dvd_r_write.rdl = d.bit(0, 3);
      c.dvd_r_write.test_write = d.bit(0, 2);
      c.dvd_r_write.dvd_rw = d.bit(0, 1);
      return ok_status();
    case 0x0040:
      RETURN_IF_ERROR(need(f, 28));
      set_state(c.bd_read, f);
      for (int i = 0; i < 4; ++i) {
        c.bd_read.bd_re_class[i] = d.be16(4 + 2 * i);
        c.bd_read.bd_r_class[i] = d.be16(12 + 2 * i);
        c.bd_read.bd_rom_class[i] = d.be16(20 + 2 * i);
      }
      return ok_status();
    case 0x0041:
      RETURN_IF_ERROR(need(f, 20));
      set_state(c.bd_write, f);
      c.bd_write.svnr = d.bit(0, 0);
      for (int i = 0; i < 4; ++i) {
        c.bd_write.bd_re_class[i] = d.be16(4 + 2 * i);
        c.bd_write.bd_r_class[i] = d.be16(12 + 2 * i);
      }
      return ok_status();
    case 0x0100:
      set_state(c.power_management, f);
      return ok_status();
    case 0x0107: {
      auto& rt = c.rt_streaming;
      rt.present = true;
      rt.current = f.current;
      rt.persistent = f.persistent;
      rt.version = f.version;
      // Version 0 of the feature has no data byte: all capability bits unset
      // (Windows cdrom.sys reads byte 4 only when Additional Length >= 1).
      rt.stream_writing = d.bit(0, 0);
      rt.write_speed_in_get_perf = d.bit(0, 1);
      rt.write_speed_in_mp2a = d.bit(0, 2);
      rt.set_cd_speed = d.bit(0, 3);
      rt.read_buffer_capacity_block = d.bit(0, 4);
      return ok_status();
    }
    default:
      return ok_status();
  }
}

}  // namespace

Result<InquiryData> parse_inquiry(std::span<const uint8_t> data) {
  ByteView v(data);
  RETURN_IF_ERROR(require(v, 36, kInquiry));
  // Additional length counts bytes after byte 4; the identification strings
  // end at byte 35, so it must cover at least 31.
  if (v.u8(4) < 31)
    return malformed(kInquiry, "additional length " + std::to_string(v.u8(4)) + " < 31");
  InquiryData out;
  out.peripheral_device_type = v.u8(0) & 0x1F;
  out.removable = v.bit(1, 7);
  out.vendor = trimmed_ascii(v, 8, 8);
  out.product = trimmed_ascii(v, 16, 16);
  out.revision = trimmed_ascii(v, 32, 4);
  return out;
}

Result<uint32_t> configuration_total_length(std::span<const uint8_t> data) {
  ByteView v(data);
  RETURN_IF_ERROR(require(v, 8, kGetConfiguration));
  uint32_t length = v.be32(0);
  if (length < 4 || length > kMaxConfigurationLength)
    return malformed(kGetConfiguration, "implausible data length " + std::to_string(length));
  return length + 4;
}

Result<Configuration> parse_configuration(std::span<const uint8_t> data) {
  ASSIGN_OR_RETURN(uint32_t total, configuration_total_length(data));
  if (total > data.size())
    return malformed(kGetConfiguration, "truncated: data length says " + std::to_string(total) +
                                            " bytes, got " + std::to_string(data.size()));
  ByteView v(data.first(total));
  Configuration c;
  c.current_profile = v.be16(6);
  size_t pos = 8;
  int previous_code = -1;
  while (pos < total) {
    if (!v.has(pos, 4))
      return malformed(kGetConfiguration, "feature header cut at byte " + std::to_string(pos));
    FeatureDescriptor f;
    f.code = v.be16(pos);
    uint8_t flags = v.u8(pos + 2);
    f.version = (flags >> 2) & 0x0F;
    f.persistent = flags & 0x02;
    f.current = flags & 0x01;
    size_t len = v.u8(pos + 3);
    if (!v.has(pos + 4, len))
      return malformed(kGetConfiguration, feature_label(f.code) + " runs past the end (" +
                                              std::to_string(len) + " bytes at " +
                                              std::to_string(pos + 4) + " of " +
                                              std::to_string(total) + ")");
    auto bytes = v.sub(pos + 4, len).span();
    f.data.assign(bytes.begin(), bytes.end());
    pos += 4 + len;
    if (static_cast<int>(f.code) <= previous_code)
      return malformed(kGetConfiguration, feature_label(f.code) + " out of ascending order");
    previous_code = f.code;
    RETURN_IF_ERROR(decode_feature(f, c));
    c.features.push_back(std::move(f));
  }
  return c;
}

}  // namespace discrec::device::mmc
