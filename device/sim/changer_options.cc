#include "device/sim/changer_options.h"

#include <charconv>

namespace discrec::device::sim {
namespace {

Error bad(std::string_view key, std::string_view value, std::string_view why) {
  return Error(ErrorCode::kInvalidArgument,
               "sim-changer:// parameter " + std::string(key) + "=" + std::string(value) + ": " + std::string(why));
}

Result<uint32_t> parse_count(std::string_view key, std::string_view value, uint32_t min, uint32_t max) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || p != value.data() + value.size()) return bad(key, value, "not a number");
  if (v < min || v > max) return bad(key, value, "out of range " + std::to_string(min) + ".." + std::to_string(max));
  return v;
}

Status apply(SimChangerOptions& o, std::string_view key, std::string_view value) {
  if (key == "slots") {
    ASSIGN_OR_RETURN(uint32_t n, parse_count(key, value, 1, 1000));
    o.shape.slots = static_cast<uint16_t>(n);
  } else if (key == "drives") {
    ASSIGN_OR_RETURN(uint32_t n, parse_count(key, value, 1, 64));
    o.shape.drives = static_cast<uint16_t>(n);
  } else if (key == "import_export") {
    ASSIGN_OR_RETURN(uint32_t n, parse_count(key, value, 0, 16));
    o.shape.import_export = static_cast<uint16_t>(n);
  } else if (key == "discs") {
    ASSIGN_OR_RETURN(uint32_t n, parse_count(key, value, 0, 1000));
    o.shape.discs = static_cast<uint16_t>(n);
  } else if (key == "drive") {
    ASSIGN_OR_RETURN(uint32_t n, parse_count(key, value, 1, 64));
    o.drive = static_cast<uint16_t>(n);
  } else if (key == "move_ms") {
    ASSIGN_OR_RETURN(o.move_ms, parse_count(key, value, 0, 600000));
  } else if (key == "medium") {
    return bad(key, value, "a library drive holds whatever the library put in it");
  } else {
    // The medium and drive parameters of sim://, with its validation.
    RETURN_IF_ERROR(apply_sim_option(o.drive_options, key, value));
    if (key == "profile") o.shape.media = o.drive_options.media;
    if (key == "blocks") o.shape.blocks = o.drive_options.blocks;
    if (key == "formatted") o.shape.preformat = o.drive_options.preformat;
    if (key == "timing") o.timing = o.drive_options.timing;
  }
  return ok_status();
}

}  // namespace

Result<SimChangerOptions> parse_sim_changer_uri(std::string_view uri) {
  constexpr std::string_view kScheme = "sim-changer://";
  if (uri.substr(0, kScheme.size()) != kScheme)
    return Error(ErrorCode::kInvalidArgument, "not a sim-changer:// URI: " + std::string(uri));
  std::string_view rest = uri.substr(kScheme.size());
  size_t q = rest.find('?');
  std::string_view path = rest.substr(0, q);
  if (path.empty() || path.front() != '/')
    return Error(ErrorCode::kInvalidArgument,
                 "sim-changer:// needs an absolute library directory (sim-changer:///path/lib): " +
                     std::string(uri));
  // sim-changer:///C:/dir names a Windows path: drop the slash before the drive letter.
  if (path.size() >= 4 && path[2] == ':' && path[3] == '/' &&
      ((path[1] >= 'A' && path[1] <= 'Z') || (path[1] >= 'a' && path[1] <= 'z')))
    path.remove_prefix(1);
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  SimChangerOptions o;
  o.directory = std::string(path);
  if (q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    while (!query.empty()) {
      size_t amp = query.find('&');
      std::string_view item = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      if (item.empty()) continue;
      size_t eq = item.find('=');
      if (eq == std::string_view::npos) return bad(item, "", "expected key=value");
      RETURN_IF_ERROR(apply(o, item.substr(0, eq), item.substr(eq + 1)));
    }
  }
  if (o.shape.discs && o.shape.slots && *o.shape.discs > *o.shape.slots)
    return bad("discs", std::to_string(*o.shape.discs), "more discs than slots");
  return o;
}

}  // namespace discrec::device::sim
