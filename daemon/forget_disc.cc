#include "daemon/forget_disc.h"

#include <cstdio>
#include <string>

#include "daemon/names.h"
#include "recorder/journal/journal_file.h"

namespace discrec::daemon {

int run_forget_disc(int argc, char** argv) {
  std::string state_dir = "/var/lib/discrecd";
  std::string drive;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--state-dir" && i + 1 < argc) state_dir = argv[++i];
    else if (drive.empty() && a.rfind("--", 0) != 0) drive = a;
    else {
      std::fprintf(stderr, "usage: discrecd forget-disc [--state-dir DIR] DRIVE\n");
      return 2;
    }
  }
  if (!valid_id(drive)) {
    std::fprintf(stderr, "discrecd forget-disc: '%s' is not a drive name\n", drive.c_str());
    return 2;
  }
  std::string path = state_dir + "/journal-" + drive + ".bin";
  auto state = recorder::journal::load_journal(path);
  if (!state.ok() && state.error().code() == ErrorCode::kNotFound) {
    std::printf("no journal for drive %s in %s: nothing to forget\n", drive.c_str(), state_dir.c_str());
    return 0;
  }
  if (state.ok())
    std::printf("forgetting an unfinished disc with %zu recording(s)\n", state->recordings.size());
  auto retired = recorder::journal::retire_journal(path);
  if (!retired.ok()) {
    std::fprintf(stderr, "discrecd forget-disc: %s\n", retired.error().to_string().c_str());
    return 1;
  }
  std::printf("moved %s to %s.done\n", path.c_str(), path.c_str());
  return 0;
}

}  // namespace discrec::daemon
