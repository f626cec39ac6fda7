// Feeds arbitrary text to the drive quirks parser (device/drive_quirks.cc)
// and checks what the daemon relies on:
//   - a refusal names the file and a line ("fuzz:<n>: ...");
//   - every parsed entry has quirks, each with a reason and its line;
//   - a drive whose INQUIRY strings fit an entry's patterns gets every quirk that entry names, each kind once.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "device/drive_quirks.h"

namespace {

// A field the pattern matches: a prefix gets a letter after it (a prefix
// may end in a blank, which INQUIRY's trimmed fields never do).
std::string field_for(const std::string& pattern) {
  return !pattern.empty() && pattern.back() == '*' ? pattern.substr(0, pattern.size() - 1) + "Z" : pattern;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using discrec::device::QuirkTable;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = QuirkTable::parse(text, "fuzz");
  if (!table.ok()) {
    const std::string& message = table.error().message();
    if (message.rfind("fuzz:", 0) != 0 || message.size() < 7 || message[5] < '1' || message[5] > '9')
      __builtin_trap();
    return 0;
  }
  for (const auto& entry : table->entries()) {
    if (entry.quirks.empty()) __builtin_trap();
    for (const auto& q : entry.quirks)
      if (q.reason.empty() || q.source.rfind("fuzz:", 0) != 0) __builtin_trap();
    const auto found = table->lookup(field_for(entry.vendor), field_for(entry.product), field_for(entry.revision));
    for (const auto& q : entry.quirks) {
      int n = 0;
      for (const auto& f : found) n += f.kind == q.kind;
      if (n != 1) __builtin_trap();
    }
  }
  return 0;
}
