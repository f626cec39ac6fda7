#include "daemon/names.h"

#include <cctype>

namespace discrec::daemon {
namespace {

std::string shown(std::string_view s) {
  // Never echo a huge or binary string back into an error message.
  std::string out;
  for (char c : s.substr(0, 64)) out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  if (s.size() > 64) out += "...";
  return out;
}

}  // namespace

bool valid_id(std::string_view id) {
  // Starts with a letter or digit, so "-" stays free for "all drives".
  if (id.empty() || id.size() > kMaxIdLength || !std::isalnum(static_cast<unsigned char>(id[0]))) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

std::string drive_name(std::string_view drive_id) { return "drives/" + std::string(drive_id); }

std::string recording_name(std::string_view drive_id, std::string_view recording_id) {
  return drive_name(drive_id) + "/recordings/" + std::string(recording_id);
}

Result<std::string> parse_drive_name(std::string_view name, bool allow_wildcard) {
  constexpr std::string_view kPrefix = "drives/";
  if (name.substr(0, kPrefix.size()) != kPrefix)
    return Error(ErrorCode::kInvalidArgument, "drive name '" + shown(name) + "' must look like drives/{drive}");
  std::string_view id = name.substr(kPrefix.size());
  if (allow_wildcard && id == "-") return std::string();
  if (!valid_id(id))
    return Error(ErrorCode::kInvalidArgument,
                 "drive id '" + shown(id) + "' is not a configured drive name (letters, digits, '-', '_')");
  return std::string(id);
}

Result<RecordingName> parse_recording_name(std::string_view name) {
  constexpr std::string_view kMiddle = "/recordings/";
  auto pos = name.find(kMiddle);
  if (pos == std::string_view::npos)
    return Error(ErrorCode::kInvalidArgument,
                 "recording name '" + shown(name) + "' must look like drives/{drive}/recordings/{recording}");
  ASSIGN_OR_RETURN(std::string drive, parse_drive_name(name.substr(0, pos)));
  std::string_view id = name.substr(pos + kMiddle.size());
  if (!valid_id(id))
    return Error(ErrorCode::kInvalidArgument, "recording id '" + shown(id) + "' is not valid (letters, digits, '-', '_')");
  return RecordingName{std::move(drive), std::string(id)};
}

}  // namespace discrec::daemon
