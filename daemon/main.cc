// discrecd: the discrec recording daemon.
//   discrecd serve [--config FILE] [--state-dir DIR] [--socket PATH] [--set key=value]...
//   discrecd probe <URI> [--json] [--write-mode MODE] [--quirks FILE]
//   discrecd forget-disc --state-dir DIR DRIVE
//   discrecd service install|uninstall|start|stop|run [serve options]   (Windows SCM)
//   discrecd --version | --help     (exit codes: 0 ok, 1 failed, 2 bad usage)
#include <cstdio>
#include <cstring>

#include "daemon/forget_disc.h"
#include "daemon/probe.h"
#include "daemon/serve.h"
#include "daemon/service_host.h"

namespace {

constexpr const char* kUsage =
    "usage: discrecd serve [--config FILE] [--state-dir DIR] [--socket PATH] [--set key=value]...\n"
    "       discrecd probe <URI> [--json] [--write-mode MODE] [--quirks FILE]\n"
    "       discrecd forget-disc [--state-dir DIR] DRIVE\n"
    "       discrecd service install|uninstall|start|stop|run [serve options]   (Windows)\n"
    "       discrecd --version | --help\n"
    "Exit codes: 0 ok, 1 failed, 2 bad usage or configuration. See discrecd(8).\n";

bool is_help(const char* arg) { return std::strcmp(arg, "--help") == 0 || std::strcmp(arg, "-h") == 0; }

}  // namespace

int main(int argc, char** argv) {
  // probe and forget-disc answer their own --help; serve and service take
  // theirs from here: the usage, on standard output.
  for (int i = 1; i < argc; ++i) {
    const bool own_help = i > 1 && (std::strcmp(argv[1], "probe") == 0 || std::strcmp(argv[1], "forget-disc") == 0);
    if (is_help(argv[i]) && !own_help) {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  if (argc >= 2 && std::strcmp(argv[1], "serve") == 0) return discrec::daemon::run_serve(argc - 2, argv + 2);
  if (argc >= 2 && std::strcmp(argv[1], "probe") == 0) return discrec::daemon::run_probe(argc - 2, argv + 2);
  if (argc >= 2 && std::strcmp(argv[1], "service") == 0)
    return discrec::daemon::run_service_command(argc - 2, argv + 2, discrec::daemon::run_serve);
  if (argc >= 2 && std::strcmp(argv[1], "forget-disc") == 0)
    return discrec::daemon::run_forget_disc(argc - 2, argv + 2);
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("discrecd %s\n", DISCREC_VERSION);
    return 0;
  }
  if (argc >= 2) std::fprintf(stderr, "discrecd: unknown command '%s'\n", argv[1]);
  std::fputs(kUsage, stderr);
  return 2;
}
