// What a configuration reload (SIGHUP) changes, key by key, and whether the
// running daemon can take each change or needs a restart for it. The daemon
// (serve.cc) applies the first kind and logs a warning for the second:
// no change is ever ignored without a word.
//
// Thread-safety: pure functions over values.
#pragma once

#include <string>
#include <vector>

#include "daemon/config.h"

namespace discrec::daemon {

struct ConfigChange {
  enum class Kind {
    kLive,     // applied at once (limits the server checks on every call)
    kDrive,    // a drive added, removed or changed: serve.cc decides per drive
    kRestart,  // takes effect at the next start; `why` says what holds it
  };
  Kind kind = Kind::kRestart;
  std::string key;     // "limits.max_calls", "drives.bd0.uri"
  std::string before;  // as text, for the log ("" for a drive added)
  std::string after;   // ("" for a drive removed)
  std::string why;     // kRestart: why it cannot be applied now
};

// The changes from `running` to `loaded`, in a stable order (the file's
// sections, then drives). `started` is what the daemon was started with:
// what it sized at start bounds what can be raised live. Secrets are never
// in the text: TCP token and key settings are file names, and their
// contents are not compared.
std::vector<ConfigChange> diff_config(const Config& running, const Config& loaded, const Config& started);

}  // namespace discrec::daemon
