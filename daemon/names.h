// Resource names of the discrec.v1 API: "drives/{drive}" and
// "drives/{drive}/recordings/{recording}". Parsing is strict: ids are short
// names (letters, digits, '-', '_'), never paths, so a hostile client cannot
// smuggle a device path through a name.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace discrec::daemon {

inline constexpr size_t kMaxIdLength = 63;

bool valid_id(std::string_view id);
std::string drive_name(std::string_view drive_id);
std::string recording_name(std::string_view drive_id, std::string_view recording_id);

// "drives/bd0" -> "bd0". `allow_wildcard` accepts "drives/-" (returns "").
Result<std::string> parse_drive_name(std::string_view name, bool allow_wildcard = false);

struct RecordingName {
  std::string drive_id;
  std::string recording_id;
};
Result<RecordingName> parse_recording_name(std::string_view name);

}  // namespace discrec::daemon
