// The emulated drive's reports: identification, features, performance,
// mode pages, disc/track information and capacities.
#include <algorithm>
#include <functional>

#include "device/sim/bytes.h"
#include "device/sim/sense.h"
#include "device/sim/sim_drive.h"

namespace discrec::device::sim {
namespace {

void put_string(ResponseBuilder& r, size_t at, std::string_view s, size_t width) {
  for (size_t i = 0; i < width; ++i) r.put8(at + i, i < s.size() ? static_cast<uint8_t>(s[i]) : ' ');
}

std::vector<uint8_t> feature(uint16_t code, uint8_t version, bool persistent, bool current,
                             std::vector<uint8_t> data) {
  data.resize((data.size() + 3) / 4 * 4, 0);
  std::vector<uint8_t> d = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code),
                            static_cast<uint8_t>(version << 2 | (persistent ? 2 : 0) | (current ? 1 : 0)),
                            static_cast<uint8_t>(data.size())};
  d.insert(d.end(), data.begin(), data.end());
  return d;
}

std::vector<uint8_t> be32_bytes(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
          static_cast<uint8_t>(v)};
}

constexpr std::string_view kVendor = "DISCREC";
// A BD writer for BD media, a DVD writer for DVD media: what a person
// expects `discrec drive` to name next to the disc in it.
constexpr std::string_view kBdProduct = "SIM BD WRITER";
constexpr std::string_view kDvdProduct = "SIM DVD WRITER";
constexpr std::string_view kRevision = "1.0";

}  // namespace

void SimDrive::cmd_inquiry(Command& c) {
  bool evpd = c.cdb[1] & 0x01;
  uint8_t page = c.cdb[2];
  size_t alloc = be16(c.cdb, 3);
  ResponseBuilder r;
  if (!evpd) {
    if (page != 0) return c.fail(sense::kInvalidFieldInCdb);
    r.resize(36);
    r.put8(0, 0x05);  // CD/DVD/BD device
    r.put8(1, 0x80);  // removable
    r.put8(2, 0x05);  // SPC-3
    r.put8(3, 0x02);  // response data format
    r.put8(4, 31);
    put_string(r, 8, kVendor, 8);
    put_string(r, 16, media().bd ? kBdProduct : kDvdProduct, 16);
    put_string(r, 32, kRevision, 4);
  } else if (page == 0x00) {
    r.resize(6);
    r.put8(0, 0x05);
    r.put8(3, 2);
    r.put8(4, 0x00);
    r.put8(5, 0x80);
  } else if (page == 0x80) {
    const std::string& serial = serial_;
    r.put8(0, 0x05);
    r.put8(1, 0x80);
    r.put8(3, static_cast<uint8_t>(serial.size()));
    put_string(r, 4, serial, serial.size());
  } else {
    return c.fail(sense::kInvalidFieldInCdb);
  }
  c.respond(r.bytes(), alloc);
}

std::vector<std::vector<uint8_t>> SimDrive::features() const {
  const MediaProfile& m = media();
  bool present = medium_present_;
  bool seq = m.sequential;
  bool writable = present && (seq ? !disc_->finalized() : disc_->random_writable());
  std::vector<std::vector<uint8_t>> out;

  std::vector<uint8_t> profiles;
  static const uint16_t kProfiles[] = {0x0043, 0x0041, 0x0040, 0x001B, 0x001A, 0x0012, 0x0011, 0x0010};
  for (uint16_t p : kProfiles) {
    profiles.push_back(static_cast<uint8_t>(p >> 8));
    profiles.push_back(static_cast<uint8_t>(p));
    profiles.push_back(present && p == m.profile ? 0x01 : 0x00);
    profiles.push_back(0);
  }
  out.push_back(feature(0x0000, 0, true, true, profiles));
  out.push_back(feature(0x0001, 2, true, true, {0, 0, 0, 7, 0x01, 0, 0, 0}));  // serial ATAPI, DBE
  out.push_back(feature(0x0003, 2, true, true, {0x20 | 0x10 | 0x08 | 0x01}));  // tray, load, eject, lock
  uint8_t blocking = static_cast<uint8_t>(m.ecc_blocks);
  out.push_back(feature(0x0010, 0, false, present, {0, 0, 0x08, 0, 0, blocking, 0x01, 0}));
  out.push_back(feature(0x001F, 0, false, present && !m.bd, {}));
  {
    uint32_t last = disc_->user_capacity() ? disc_->user_capacity() - 1 : 0;
    auto d = be32_bytes(last);
    auto bs = be32_bytes(2048);
    d.insert(d.end(), bs.begin(), bs.end());
    d.insert(d.end(), {0, blocking, 0x01, 0});
    out.push_back(feature(0x0020, 1, false, writable && !seq, d));
  }
  bool incremental = m.profile == 0x0011 || m.profile == 0x0041;
  out.push_back(feature(0x0021, 1, false, writable && incremental, {0x00, 0x01, 0x01, 0x01, 0x10}));
  uint8_t fmt_flags = m.profile == 0x0043 ? 0x0F : 0x01;  // Cert, QCert, Expand, RENoSA on BD-RE
  out.push_back(feature(0x0023, 1, false, present && m.needs_format, {fmt_flags, 0, 0, 0, 0}));
  out.push_back(feature(0x0024, 1, false, present && disc_->defect_management(), {0x80}));
  out.push_back(feature(0x0026, 0, false, false, {}));
  out.push_back(feature(0x002A, 1, false, present && m.profile == 0x001A, {0x01, 0x00}));
  out.push_back(feature(0x002B, 0, false, present && m.profile == 0x001B, {uint8_t(writable ? 1 : 0)}));
  out.push_back(feature(0x002F, 2, false, writable && m.profile == 0x0011, {0x40}));
  std::vector<uint8_t> bd_classes(28, 0);
  bd_classes[4] = 0x00;
  bd_classes[5] = 0x0E;  // BD-RE class 0 versions 1-3
  bd_classes[13] = 0x0E;  // BD-R class 0
  bd_classes[21] = 0x0E;  // BD-ROM class 0
  out.push_back(feature(0x0040, 1, false, present && m.bd, bd_classes));
  std::vector<uint8_t> bd_write(20, 0);
  bd_write[0] = 0x01;  // SVNR
  bd_write[5] = 0x0E;
  bd_write[13] = 0x0E;
  out.push_back(feature(0x0041, 2, false, writable && m.bd, bd_write));
  out.push_back(feature(0x0100, 0, true, true, {}));
  // Real-Time Streaming: SW, WSPD, MP2A, SCS, RBCB.
  // streaming=off lists it but not as current (tgt's DVD+R); no-sw clears SW.
  const bool rt_current = present && options_.streaming != StreamingSupport::kNotCurrent;
  const uint8_t rt_flags = options_.streaming == StreamingSupport::kNoStreamWriting ? 0x1E : 0x1F;
  out.push_back(feature(0x0107, 3, false, rt_current, {rt_flags}));
  const std::string& serial = serial_;
  out.push_back(feature(0x0108, 0, true, true, std::vector<uint8_t>(serial.begin(), serial.end())));
  return out;
}

void SimDrive::cmd_get_configuration(Command& c) {
  uint8_t rt = c.cdb[1] & 0x03;
  uint16_t start = be16(c.cdb, 2);
  if (rt == 3) return c.fail(sense::kInvalidFieldInCdb);
  ResponseBuilder r(8);
  r.put16(6, medium_present_ ? media().profile : 0);
  for (const auto& f : features()) {
    uint16_t code = static_cast<uint16_t>(f[0] << 8 | f[1]);
    bool current = f[2] & 0x01;
    bool wanted = rt == 2 ? code == start : code >= start && (rt == 0 || current);
    if (wanted) r.append(f);
  }
  r.put32(0, static_cast<uint32_t>(r.size() - 4));
  c.respond(r.bytes(), be16(c.cdb, 7));
}

void SimDrive::cmd_get_performance(Command& c) {
  const MediaProfile& m = media();
  uint8_t type = c.cdb[10];
  uint16_t max = be16(c.cdb, 8);
  uint32_t end_lba = (disc_->user_capacity() ? disc_->user_capacity() : disc_->capacity()) - 1;
  ResponseBuilder r(8);
  if (type == 0x03) {
    std::vector<uint16_t> speeds(m.write_speeds_x10.rbegin(), m.write_speeds_x10.rend());
    uint32_t n = 0;
    for (uint16_t x10 : speeds) {
      if (n >= max) break;
      size_t at = 8 + 16 * n++;
      r.put8(at, 0x00);  // CLV, not exact
      r.put32(at + 4, end_lba);
      r.put32(at + 8, speed_kbps(m, m.read_speed_x10));
      r.put32(at + 12, speed_kbps(m, x10));
    }
    r.put32(0, static_cast<uint32_t>(4 + 16 * speeds.size()));
  } else if (type == 0x00) {
    uint8_t data_type = c.cdb[1] & 0x1F;
    if (((data_type >> 3) & 0x03) != 0x02) return c.fail(sense::kInvalidFieldInCdb);
    bool write = data_type & 0x04;
    uint8_t except = data_type & 0x03;
    if (except == 3) return c.fail(sense::kInvalidFieldInCdb);
    r.put8(4, static_cast<uint8_t>((write ? 2 : 0) | (except == 2 ? 1 : 0)));
    if (except == 2) {
      r.put32(0, 4);  // no exceptions
    } else {
      uint32_t kbps = write ? speed_kbps(m, write_speed_x10_) : speed_kbps(m, m.read_speed_x10);
      if (max > 0) {
        r.put32(8, 0);
        r.put32(12, kbps);
        r.put32(16, end_lba);
        r.put32(20, kbps);
      }
      r.put32(0, 4 + 16);
    }
  } else {
    return c.fail(sense::kInvalidFieldInCdb);
  }
  c.respond(r.bytes(), c.request.data.size());
}

std::vector<uint8_t> SimDrive::page_05() const {
  std::vector<uint8_t> p(52, 0);
  p[0] = 0x05;
  p[1] = 0x32;
  p[2] = 0x40;  // BUFE, write type 0 (incremental)
  p[3] = 0x05;  // multi-session 00b, track mode 5
  p[4] = 0x08;  // mode 1
  p[5] = 0x10;  // link size 16
  p[15] = 150;  // audio pause length
  return p;
}

std::vector<uint8_t> SimDrive::page_2a() const {
  const MediaProfile& m = media();
  const auto& speeds = m.write_speeds_x10;
  ResponseBuilder p(32 + 4 * speeds.size());
  p.put8(0, 0x2A);
  p.put8(1, static_cast<uint8_t>(p.size() - 2));
  p.put8(2, 0x38);  // reads DVD-RAM, DVD-R, DVD-ROM
  p.put8(3, 0x30);  // writes DVD-RAM, DVD-R
  p.put8(4, 0xC0);  // BUF, multi-session
  p.put8(6, static_cast<uint8_t>(0x20 | 0x08 | (prevent_removal_ ? 0x02 : 0) | 0x01));
  uint32_t max_read = std::min<uint32_t>(speed_kbps(m, m.read_speed_x10), 0xFFFF);
  uint32_t max_write = std::min<uint32_t>(speed_kbps(m, speeds.back()), 0xFFFF);
  uint32_t cur_write = std::min<uint32_t>(speed_kbps(m, write_speed_x10_), 0xFFFF);
  p.put16(8, max_read);
  p.put16(12, static_cast<uint32_t>(std::min<uint64_t>(options_.buffer_bytes / 1024, 0xFFFF)));
  p.put16(14, max_read);
  p.put16(18, max_write);
  p.put16(20, cur_write);
  p.put16(28, cur_write);
  p.put16(30, static_cast<uint32_t>(speeds.size()));
  for (size_t i = 0; i < speeds.size(); ++i) {
    uint16_t x10 = speeds[speeds.size() - 1 - i];
    p.put16(32 + 4 * i + 2, std::min<uint32_t>(speed_kbps(m, x10), 0xFFFF));
  }
  return p.bytes();
}

void SimDrive::cmd_mode_sense(Command& c) {
  uint8_t pc = c.cdb[2] >> 6;
  uint8_t page = c.cdb[2] & 0x3F;
  if (c.cdb[3] != 0) return c.fail(sense::kInvalidFieldInCdb);
  if (pc == 3) return c.fail(sense::kSavingNotSupported);
  auto changeable = [](std::vector<uint8_t> p, bool page5) {
    std::fill(p.begin() + 2, p.end(), uint8_t{0});
    if (page5) {
      p[2] = 0x7F;
      p[3] = 0xFF;
      p[4] = 0x0F;
      p[5] = 0xFF;
      std::fill(p.begin() + 10, p.begin() + 14, uint8_t{0xFF});
    }
    return p;
  };
  std::vector<uint8_t> pages;
  auto add = [&](uint8_t code) {
    std::vector<uint8_t> p = code == 0x05 ? (pc == 2 ? page_05() : page05_) : page_2a();
    if (pc == 1) p = changeable(p, code == 0x05);
    pages.insert(pages.end(), p.begin(), p.end());
  };
  if (page == 0x05 || page == 0x3F) add(0x05);
  if (page == 0x2A || page == 0x3F) add(0x2A);
  if (pages.empty()) return c.fail(sense::kInvalidFieldInCdb);
  ResponseBuilder r(8);
  r.append(pages);
  r.put16(0, static_cast<uint32_t>(r.size() - 2));
  c.respond(r.bytes(), be16(c.cdb, 7));
}

void SimDrive::cmd_mode_select(Command& c) {
  if (!(c.cdb[1] & 0x10) || (c.cdb[1] & 0x01)) return c.fail(sense::kInvalidFieldInCdb);
  uint16_t length = be16(c.cdb, 7);
  if (length == 0) return;
  auto data = c.data_out();
  if (data.size() < length || length < 10) return c.fail(sense::kParameterListLength);
  data = data.first(length);
  size_t at = 8 + be16(data, 6);
  if (at + 2 > data.size()) return c.fail(sense::kParameterListLength);
  uint8_t code = data[at] & 0x3F;
  size_t page_len = size_t{data[at + 1]} + 2;
  if (at + page_len > data.size()) return c.fail(sense::kParameterListLength);
  if (code != 0x05 || page_len < 16) return c.fail(sense::kInvalidFieldInParameters);
  uint8_t write_type = data[at + 2] & 0x0F;
  if (write_type > 2) return c.fail(sense::kInvalidFieldInParameters);
  for (size_t i = 2; i < std::min(page_len, page05_.size()); ++i) page05_[i] = data[at + i];
}

void SimDrive::cmd_read_disc_information(Command& c) {
  if (c.cdb[1] & 0x07) return c.fail(sense::kInvalidFieldInCdb);
  const MediaProfile& m = media();
  ResponseBuilder r(34);
  r.put16(0, 32);
  uint8_t status = 0, session_state = 0;
  uint16_t sessions = 1, first_last = 1, last_last = 1;
  uint32_t lead_in = 0, lead_out = disc_->user_capacity();
  if (m.sequential) {
    const auto& tracks = disc_->tracks();
    bool finalized = disc_->finalized();
    sessions = static_cast<uint16_t>(disc_->closed_sessions() + (finalized ? 0 : 1));
    bool open_has_data = false;
    first_last = UINT16_MAX;
    last_last = 0;
    for (const auto& t : tracks) {
      if (t.session != sessions) continue;
      first_last = std::min(first_last, t.number);
      last_last = std::max(last_last, t.number);
      if (!finalized && (t.reserved || !t.blank())) open_has_data = true;
    }
    if (last_last == 0) first_last = last_last = tracks.empty() ? 1 : tracks.back().number;
    status = finalized ? 2 : disc_->blank() ? 0 : 1;
    session_state = finalized ? 3 : open_has_data ? 1 : 0;
    for (const auto& t : tracks)
      if (t.number == first_last) lead_in = t.start;
    if (finalized) lead_in = lead_out = 0xFFFFFFFF;
  } else if (disc_->formatted()) {
    // Random-writable media have no closed state: DVD-RAM/BD-RE say
    // "others", a formatted DVD+RW is complete with its background format done.
    status = m.profile == 0x001A ? 2 : 3;
    session_state = 3;
    if (m.profile == 0x001A) r.put8(7, 0x03);
  }
  r.put8(2, static_cast<uint8_t>((m.erasable ? 0x10 : 0) | session_state << 2 | status));
  r.put8(3, 1);
  r.put8(4, static_cast<uint8_t>(sessions));
  r.put8(5, static_cast<uint8_t>(first_last));
  r.put8(6, static_cast<uint8_t>(last_last));
  r.put8(7, static_cast<uint8_t>(byte_at(r.bytes(), 7) | 0x20));  // URU
  r.put8(9, static_cast<uint8_t>(sessions >> 8));
  r.put8(10, static_cast<uint8_t>(first_last >> 8));
  r.put8(11, static_cast<uint8_t>(last_last >> 8));
  r.put32(16, lead_in);
  r.put32(20, lead_out);
  c.respond(r.bytes(), be16(c.cdb, 7));
}

void SimDrive::cmd_read_track_information(Command& c) {
  uint8_t type = c.cdb[1] & 0x03;
  uint32_t value = be32(c.cdb, 2);
  const MediaProfile& m = media();
  Track t;
  bool found = false;
  if (!m.sequential) {
    uint32_t cap = disc_->user_capacity();
    found = (type == 1 && (value == 1 || value == 0xFF)) || (type == 2 && value == 1) || (type == 0 && value < cap);
    t.start = 0;
    t.end = cap;
    t.next = 0;
  } else {
    for (const auto& track : disc_->tracks()) {
      bool match = (type == 0 && value >= track.start && value < track.end) ||
                   (type == 1 && value == 0xFF && track.invisible()) ||
                   (type == 1 && value == track.number) || (type == 2 && value == track.session);
      if (match && !found) {
        t = track;
        found = true;
      }
    }
  }
  if (!found || type == 3) return c.fail(sense::kInvalidFieldInCdb);
  bool writable = m.sequential ? t.writable() && !disc_->finalized() : disc_->random_writable();
  bool blank = m.sequential ? t.blank() && !t.closed : !disc_->formatted();
  ResponseBuilder r(48);
  r.put16(0, 46);
  r.put8(2, static_cast<uint8_t>(t.number));
  r.put8(3, static_cast<uint8_t>(t.session));
  r.put8(5, 0x07);
  r.put8(6, static_cast<uint8_t>((t.reserved ? 0x80 : 0) | (blank ? 0x40 : 0) | 0x01));
  r.put8(7, static_cast<uint8_t>((m.sequential && !blank ? 0x02 : 0) | (writable ? 0x01 : 0)));
  r.put32(8, t.start);
  r.put32(12, writable ? t.next : 0);
  r.put32(16, writable ? t.end - t.next : 0);
  r.put32(20, m.ecc_blocks);
  r.put32(24, t.end - t.start);
  r.put32(28, m.sequential && !blank ? t.next - 1 : 0);
  r.put8(32, static_cast<uint8_t>(t.number >> 8));
  r.put8(33, static_cast<uint8_t>(t.session >> 8));
  c.respond(r.bytes(), be16(c.cdb, 7));
}

void SimDrive::cmd_read_buffer_capacity(Command& c) {
  bool blocks = c.cdb[1] & 0x01;
  uint64_t size = options_.buffer_bytes;
  uint64_t free = size - std::min(size, timing_->buffer_fill(c.now));
  ResponseBuilder r(12);
  r.put16(0, 10);
  if (blocks) {
    r.put8(3, 0x01);
    r.put32(8, static_cast<uint32_t>(free / kBlockSize));
  } else {
    r.put32(4, static_cast<uint32_t>(size));
    r.put32(8, static_cast<uint32_t>(free));
  }
  c.respond(r.bytes(), be16(c.cdb, 7));
}

void SimDrive::cmd_read_capacity(Command& c) {
  uint32_t end = disc_->recorded_end();
  ResponseBuilder r(8);
  r.put32(0, end ? end - 1 : 0);
  r.put32(4, kBlockSize);
  c.respond(r.bytes(), 8);
}

void SimDrive::cmd_read_format_capacities(Command& c) {
  ResponseBuilder r(12);
  auto descriptors = disc_->format_descriptors();
  if (!medium_present_) {
    r.put32(4, disc_->capacity());
    r.put8(8, 0x03);
  } else if (disc_->formatted() || media().sequential) {
    r.put32(4, disc_->user_capacity());
    r.put8(8, 0x02);
  } else {
    r.put32(4, descriptors.empty() ? disc_->capacity() : descriptors.front().second);
    r.put8(8, 0x01);
  }
  r.put24(9, kBlockSize);
  if (medium_present_) {
    for (const auto& [type, blocks] : descriptors) {
      size_t at = r.size();
      r.put32(at, blocks);
      r.put8(at + 4, static_cast<uint8_t>(type << 2));
      r.put24(at + 5, type == 0x26 ? 0 : kBlockSize);
    }
  }
  r.put8(3, static_cast<uint8_t>(r.size() - 4));
  c.respond(r.bytes(), be16(c.cdb, 7));
}

}  // namespace discrec::device::sim
