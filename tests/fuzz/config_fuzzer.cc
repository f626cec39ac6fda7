// Feeds arbitrary bytes to the config reader, the override parser and the
// resource-name parsers: every input gives a Config or a clear Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemon/config.h"
#include "daemon/names.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto config = discrec::daemon::parse_config(text, "fuzz.toml");
  if (!config.ok() && config.error().message().empty()) __builtin_trap();
  discrec::daemon::Config c = discrec::daemon::default_config("/tmp");
  (void)discrec::daemon::apply_override(c, text);
  (void)discrec::daemon::parse_drive_name(text);
  (void)discrec::daemon::parse_recording_name(text);
  return 0;
}
