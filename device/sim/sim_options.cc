#include "device/sim/sim_options.h"

#include <charconv>
#include <cmath>

namespace discrec::device::sim {
namespace {

Error bad(std::string_view key, std::string_view value, std::string_view why) {
  return Error(ErrorCode::kInvalidArgument,
               "sim:// parameter " + std::string(key) + "=" + std::string(value) + ": " + std::string(why));
}

Result<uint64_t> parse_uint(std::string_view key, std::string_view value, uint64_t min, uint64_t max) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || p != value.data() + value.size()) return bad(key, value, "not a number");
  if (v < min || v > max) return bad(key, value, "out of range");
  return v;
}

Result<bool> parse_bool(std::string_view key, std::string_view value) {
  if (value == "on" || value == "1" || value == "true" || value == "yes") return true;
  if (value == "off" || value == "0" || value == "false" || value == "no") return false;
  return bad(key, value, "expected on or off");
}

// "4" or "2.4" -> tenths of x.
Result<uint16_t> parse_speed(std::string_view key, std::string_view value) {
  size_t dot = value.find('.');
  std::string_view whole = value.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : value.substr(dot + 1);
  if (frac.size() > 1) return bad(key, value, "at most one decimal");
  ASSIGN_OR_RETURN(uint64_t w, parse_uint(key, whole, 0, 100));
  uint64_t f = 0;
  if (!frac.empty()) {
    ASSIGN_OR_RETURN(f, parse_uint(key, frac, 0, 9));
  }
  uint64_t x10 = w * 10 + f;
  if (x10 == 0) return bad(key, value, "speed must be positive");
  return static_cast<uint16_t>(x10);
}

}  // namespace

Status apply_sim_option(SimOptions& o, std::string_view key, std::string_view value) {
  if (key == "profile") {
    o.media = find_media(value);
    if (!o.media) return bad(key, value, "unknown profile (dvd+r, dvd-r, dvd+rw, dvd-ram, bd-r, bd-re)");
  } else if (key == "speed") {
    ASSIGN_OR_RETURN(o.speed_x10, parse_speed(key, value));
  } else if (key == "timing") {
    ASSIGN_OR_RETURN(o.timing, parse_bool(key, value));
  } else if (key == "faults") {
    if (value.empty()) return bad(key, value, "empty path");
    o.faults_path = std::string(value);
  } else if (key == "buffer") {
    ASSIGN_OR_RETURN(uint64_t kib, parse_uint(key, value, 64, 1 << 20));
    o.buffer_bytes = kib * 1024;
  } else if (key == "blocks") {
    ASSIGN_OR_RETURN(uint64_t b, parse_uint(key, value, 1024, 0x7FFFFFFF));
    o.blocks = static_cast<uint32_t>(b);
  } else if (key == "host_mbps") {
    ASSIGN_OR_RETURN(uint64_t m, parse_uint(key, value, 1, 100000));
    o.host_bytes_per_second = m * 1'000'000;
  } else if (key == "seek_ms") {
    ASSIGN_OR_RETURN(uint64_t v, parse_uint(key, value, 0, 60000));
    o.seek_ms = static_cast<uint32_t>(v);
  } else if (key == "opc_ms") {
    ASSIGN_OR_RETURN(uint64_t v, parse_uint(key, value, 0, 600000));
    o.opc_ms = static_cast<uint32_t>(v);
  } else if (key == "powercut") {
    ASSIGN_OR_RETURN(o.powercut, parse_bool(key, value));
  } else if (key == "formatted") {
    if (value == "spares") o.preformat = Preformat::kWithSpares;
    else if (value == "nospares") o.preformat = Preformat::kWithoutSpares;
    else if (value == "no") o.preformat = Preformat::kNone;
    else return bad(key, value, "expected spares, nospares or no");
  } else if (key == "rate_divisor") {
    ASSIGN_OR_RETURN(uint64_t n, parse_uint(key, value, 1, 100000));
    o.rate_divisor = static_cast<uint32_t>(n);
  } else if (key == "streaming") {
    if (value == "on") o.streaming = StreamingSupport::kCurrent;
    else if (value == "off") o.streaming = StreamingSupport::kNotCurrent;
    else if (value == "no-sw") o.streaming = StreamingSupport::kNoStreamWriting;
    else return bad(key, value, "expected on, off or no-sw");
  } else if (key == "medium") {
    if (value == "absent") o.start_empty = true;
    else if (value == "present") o.start_empty = false;
    else return bad(key, value, "expected present or absent");
  } else {
    return bad(key, value, "unknown parameter");
  }
  return ok_status();
}

Result<SimOptions> parse_sim_uri(std::string_view uri) {
  constexpr std::string_view kScheme = "sim://";
  if (uri.substr(0, kScheme.size()) != kScheme)
    return Error(ErrorCode::kInvalidArgument, "not a sim:// URI: " + std::string(uri));
  std::string_view rest = uri.substr(kScheme.size());
  size_t q = rest.find('?');
  std::string_view path = rest.substr(0, q);
  if (path.empty() || path.front() != '/' || path.back() == '/')
    return Error(ErrorCode::kInvalidArgument,
                 "sim:// needs an absolute image path (sim:///path/disc.img): " + std::string(uri));
  // sim:///C:/dir/disc.img names a Windows path: drop the slash before the drive letter.
  if (path.size() >= 4 && path[2] == ':' && path[3] == '/' &&
      ((path[1] >= 'A' && path[1] <= 'Z') || (path[1] >= 'a' && path[1] <= 'z')))
    path.remove_prefix(1);
  SimOptions o;
  o.image_path = std::string(path);
  if (q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    while (!query.empty()) {
      size_t amp = query.find('&');
      std::string_view item = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      if (item.empty()) continue;
      size_t eq = item.find('=');
      if (eq == std::string_view::npos) return bad(item, "", "expected key=value");
      RETURN_IF_ERROR(apply_sim_option(o, item.substr(0, eq), item.substr(eq + 1)));
    }
  }
  return o;
}

}  // namespace discrec::device::sim
