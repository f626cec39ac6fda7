#include "recorder/udf/ecma167.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace discrec::recorder::udf {

void put16(std::span<uint8_t> b, size_t off, uint16_t v) {
  b[off] = v & 0xFF;
  b[off + 1] = v >> 8;
}
void put32(std::span<uint8_t> b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = (v >> (8 * i)) & 0xFF;
}
void put64(std::span<uint8_t> b, size_t off, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[off + i] = (v >> (8 * i)) & 0xFF;
}
uint16_t get16(std::span<const uint8_t> b, size_t off) {
  return static_cast<uint16_t>(b[off] | (b[off + 1] << 8));
}
uint32_t get32(std::span<const uint8_t> b, size_t off) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | b[off + i];
  return v;
}
uint64_t get64(std::span<const uint8_t> b, size_t off) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[off + i];
  return v;
}

namespace {
constexpr std::array<uint16_t, 256> make_crc_table() {
  std::array<uint16_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint16_t c = static_cast<uint16_t>(i << 8);
    for (int k = 0; k < 8; ++k) c = (c & 0x8000) ? static_cast<uint16_t>((c << 1) ^ 0x1021) : static_cast<uint16_t>(c << 1);
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

uint8_t tag_checksum(std::span<const uint8_t> tag) {
  uint8_t sum = 0;
  for (int i = 0; i < 16; ++i) {
    if (i != 4) sum = static_cast<uint8_t>(sum + tag[i]);
  }
  return sum;
}

// Howard Hinnant's civil-from-days and days-from-civil: exact for any year we
// can store in an int16.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}
}  // namespace

uint16_t crc_itu(std::span<const uint8_t> data) {
  uint16_t crc = 0;
  for (uint8_t byte : data) crc = static_cast<uint16_t>((crc << 8) ^ kCrcTable[((crc >> 8) ^ byte) & 0xFF]);
  return crc;
}

void finish_tag(std::span<uint8_t> d, TagId id, uint32_t location) {
  put16(d, 0, static_cast<uint16_t>(id));
  put16(d, 2, 3);  // descriptor version 3: NSR03 (ECMA-167 3rd edition)
  d[5] = 0;
  put16(d, 6, 1);  // tag serial number
  const size_t body = d.size() - 16;
  put16(d, 8, crc_itu(d.subspan(16, body)));
  put16(d, 10, static_cast<uint16_t>(body));
  put32(d, 12, location);
  d[4] = tag_checksum(d);
}

Status check_tag(std::span<const uint8_t> d, TagId expected, uint32_t location) {
  const auto where = [&] { return " at block " + std::to_string(location); };
  if (d.size() < 16) return Error(ErrorCode::kMalformedResponse, "UDF descriptor truncated" + where());
  if (d[4] != tag_checksum(d)) return Error(ErrorCode::kMalformedResponse, "UDF tag checksum wrong" + where());
  const uint16_t id = get16(d, 0);
  if (id != static_cast<uint16_t>(expected)) {
    return Error(ErrorCode::kMalformedResponse, "UDF descriptor " + std::to_string(id) + " where " +
                                                    std::to_string(static_cast<uint16_t>(expected)) +
                                                    " was expected" + where());
  }
  const uint16_t version = get16(d, 2);
  if (version != 2 && version != 3) {
    return Error(ErrorCode::kMalformedResponse, "UDF descriptor version " + std::to_string(version) + where());
  }
  if (get32(d, 12) != location) {
    return Error(ErrorCode::kMalformedResponse,
                 "UDF tag location " + std::to_string(get32(d, 12)) + " does not match" + where());
  }
  const size_t crc_length = get16(d, 10);
  if (crc_length > d.size() - 16) {
    return Error(ErrorCode::kMalformedResponse, "UDF descriptor CRC length exceeds the descriptor" + where());
  }
  if (crc_itu(d.subspan(16, crc_length)) != get16(d, 8)) {
    return Error(ErrorCode::kMalformedResponse, "UDF descriptor CRC wrong" + where());
  }
  return ok_status();
}

void put_timestamp(std::span<uint8_t> b, size_t off, TimePoint t) {
  using namespace std::chrono;
  const int64_t us = duration_cast<microseconds>(t.time_since_epoch()).count();
  int64_t days = us / 86'400'000'000;
  int64_t rem = us % 86'400'000'000;
  if (rem < 0) {
    rem += 86'400'000'000;
    --days;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  put16(b, off, 0x1000);  // type 1 (local time), offset 0: UTC
  put16(b, off + 2, static_cast<uint16_t>(std::clamp<int64_t>(y, 1, 9999)));
  b[off + 4] = static_cast<uint8_t>(m);
  b[off + 5] = static_cast<uint8_t>(d);
  const int64_t secs = rem / 1'000'000;
  const int64_t sub = rem % 1'000'000;
  b[off + 6] = static_cast<uint8_t>(secs / 3600);
  b[off + 7] = static_cast<uint8_t>(secs / 60 % 60);
  b[off + 8] = static_cast<uint8_t>(secs % 60);
  b[off + 9] = static_cast<uint8_t>(sub / 10'000);
  b[off + 10] = static_cast<uint8_t>(sub / 100 % 100);
  b[off + 11] = static_cast<uint8_t>(sub % 100);
}

Result<TimePoint> get_timestamp(std::span<const uint8_t> b, size_t off) {
  using namespace std::chrono;
  const uint16_t type_tz = get16(b, off);
  int16_t offset = static_cast<int16_t>(type_tz << 4) >> 4;  // 12-bit signed minutes
  if (offset == -2047) offset = 0;                           // "not specified"
  const int16_t year = static_cast<int16_t>(get16(b, off + 2));
  const unsigned mon = b[off + 4], day = b[off + 5], hour = b[off + 6], min = b[off + 7], sec = b[off + 8];
  const unsigned cs = b[off + 9], hus = b[off + 10], us = b[off + 11];
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 || cs > 99 ||
      hus > 99 || us > 99 || offset < -1440 || offset > 1440) {
    return Error(ErrorCode::kMalformedResponse, "UDF timestamp out of range");
  }
  const int64_t days = days_from_civil(year, mon, day);
  const int64_t total_us = ((days * 86400 + hour * 3600 + min * 60 + sec - offset * 60) * 1'000'000) +
                           cs * 10'000 + hus * 100 + us;
  // system_clock counts nanoseconds here: about 1678..2262 fit.
  constexpr int64_t kLimit = duration_cast<microseconds>(system_clock::duration::max()).count() - 1;
  if (total_us > kLimit || total_us < -kLimit) return Error(ErrorCode::kMalformedResponse, "UDF timestamp out of range");
  return TimePoint(duration_cast<system_clock::duration>(microseconds(total_us)));
}

namespace {
// Decodes UTF-8 into code points; false on invalid input.
bool utf8_to_code_points(std::string_view s, std::vector<uint32_t>& out) {
  for (size_t i = 0; i < s.size();) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    const int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    if (n < 0 || static_cast<size_t>(n) >= s.size() - i) return false;
    uint32_t cp = n == 0 ? c : c & (0x3F >> n);
    for (int k = 1; k <= n; ++k) {
      const uint8_t cc = static_cast<uint8_t>(s[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    out.push_back(cp);
    i += n + 1;
  }
  return true;
}

void append_utf8(std::string& s, uint32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
}
}  // namespace

Result<std::vector<uint8_t>> encode_cs0(std::string_view utf8) {
  std::vector<uint32_t> cps;
  if (!utf8_to_code_points(utf8, cps)) return Error(ErrorCode::kInvalidArgument, "name is not valid UTF-8");
  const bool wide = std::any_of(cps.begin(), cps.end(), [](uint32_t c) { return c > 0xFF; });
  std::vector<uint8_t> out;
  out.push_back(wide ? 16 : 8);
  for (uint32_t c : cps) {
    if (c > 0xFFFF) return Error(ErrorCode::kInvalidArgument, "UDF 2.01 names hold only BMP characters");
    if (wide) out.push_back(static_cast<uint8_t>(c >> 8));
    out.push_back(static_cast<uint8_t>(c & 0xFF));
  }
  return out;
}

Result<std::string> decode_cs0(std::span<const uint8_t> cs0) {
  if (cs0.empty()) return std::string();
  const uint8_t id = cs0[0];
  std::string out;
  if (id == 8 || id == 254) {
    for (size_t i = 1; i < cs0.size(); ++i) append_utf8(out, cs0[i]);
  } else if (id == 16 || id == 255) {
    if ((cs0.size() - 1) % 2 != 0) return Error(ErrorCode::kMalformedResponse, "odd-length 16-bit CS0 string");
    for (size_t i = 1; i + 1 < cs0.size(); i += 2) append_utf8(out, (cs0[i] << 8) | cs0[i + 1]);
  } else {
    return Error(ErrorCode::kMalformedResponse, "unknown CS0 compression id " + std::to_string(id));
  }
  return out;
}

void put_dstring(std::span<uint8_t> b, size_t off, size_t field_size, std::string_view utf8) {
  std::fill_n(b.begin() + off, field_size, 0);
  // Cut the UTF-8 text until its encoding fits (field_size - 1 bytes of CS0).
  std::string_view text = utf8;
  while (!text.empty()) {
    auto enc = encode_cs0(text);
    if (enc.ok() && enc->size() <= field_size - 1) {
      std::copy(enc->begin(), enc->end(), b.begin() + off);
      b[off + field_size - 1] = static_cast<uint8_t>(enc->size());
      return;
    }
    // Drop the last UTF-8 character (or one byte of invalid text).
    size_t cut = text.size() - 1;
    while (cut > 0 && (static_cast<uint8_t>(text[cut]) >> 6) == 2) --cut;
    text = text.substr(0, cut);
  }
}

Result<std::string> get_dstring(std::span<const uint8_t> b, size_t off, size_t field_size) {
  const size_t used = b[off + field_size - 1];
  if (used == 0) return std::string();
  if (used > field_size - 1) return Error(ErrorCode::kMalformedResponse, "dstring length exceeds its field");
  return decode_cs0(b.subspan(off, used));
}

void put_osta_charspec(std::span<uint8_t> b, size_t off) {
  static constexpr std::string_view kName = "OSTA Compressed Unicode";
  std::fill_n(b.begin() + off, 64, 0);
  b[off] = 0;  // CS0
  std::copy(kName.begin(), kName.end(), b.begin() + off + 1);
}

void put_regid(std::span<uint8_t> b, size_t off, std::string_view identifier, RegidSuffix suffix) {
  std::fill_n(b.begin() + off, 32, 0);
  std::copy_n(identifier.begin(), std::min<size_t>(identifier.size(), 23), b.begin() + off + 1);
  const size_t s = off + 24;
  switch (suffix) {
    case RegidSuffix::kDomain:  // UDF 2.1.5.3: revision, domain flags
    case RegidSuffix::kUdf:     // revision, OS class, OS identifier
      put16(b, s, kUdfRevision);
      if (suffix == RegidSuffix::kUdf) {
        b[s + 2] = 4;  // OS class: UNIX
        b[s + 3] = 5;  // OS identifier: Linux
      }
      break;
    case RegidSuffix::kImplementation:
      b[s] = 4;
      b[s + 1] = 5;
      break;
    case RegidSuffix::kNone:
      break;
  }
}

}  // namespace discrec::recorder::udf
