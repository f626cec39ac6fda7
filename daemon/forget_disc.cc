#include "daemon/forget_disc.h"

#include <cstdio>
#include <string>

#include "daemon/admin_command_line.h"
#include "daemon/config.h"
#include "daemon/names.h"
#include "recorder/journal/journal_file.h"

namespace discrec::daemon {

int run_forget_disc(int argc, char** argv) {
  std::string state_dir = kDefaultStateDirectory;
  std::string drive;
  CLI::App app("Discards the crash journal of a drive whose disc is gone (journal-DRIVE.bin becomes .done).",
               "discrecd forget-disc");
  app.set_help_flag("-h,--help", "print this help");
  app.footer(kAdminExitCodes);
  app.add_option("DRIVE", drive, "the drive's name in the configuration (bd0)")->required();
  app.add_option("--state-dir", state_dir, "the daemon's state directory (default /var/lib/discrecd)")
      ->type_name("DIR");
  if (auto exit_code = parse_admin_command_line(app, argc, argv)) return *exit_code;
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
