// discrecd: the discrec recording daemon.
//   discrecd serve [--config FILE] [--state-dir DIR] [--socket PATH] [--set key=value]...
//   discrecd probe <URI> [--json] [--quirks FILE] [--write-mode MODE]
//   discrecd forget-disc --state-dir DIR DRIVE
//   discrecd service install|uninstall|start|stop|run [serve options]   (Windows SCM)
//   discrecd --version
#include <cstdio>
#include <cstring>

#include "daemon/forget_disc.h"
#include "daemon/probe.h"
#include "daemon/serve.h"
#include "daemon/service_host.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "serve") == 0) return discrec::daemon::run_serve(argc - 2, argv + 2);
  if (argc >= 2 && std::strcmp(argv[1], "probe") == 0) return discrec::daemon::run_probe(argc - 2, argv + 2);
  if (argc >= 2 && std::strcmp(argv[1], "service") == 0)
    return discrec::daemon::run_service_command(argc - 2, argv + 2, discrec::daemon::run_serve);
  if (argc >= 2 && std::strcmp(argv[1], "forget-disc") == 0)
    return discrec::daemon::run_forget_disc(argc - 2, argv + 2);
  if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("discrecd %s\n", DISCREC_VERSION);
    return 0;
  }
  std::fprintf(stderr,
               "usage: discrecd serve [--config FILE] [--state-dir DIR] [--socket PATH] [--set key=value]...\n"
               "       discrecd probe <URI> [--json] [--quirks FILE] [--write-mode MODE]\n"
               "       discrecd forget-disc [--state-dir DIR] DRIVE\n"
               "       discrecd service install|uninstall|start|stop|run [serve options]   (Windows)\n"
               "       discrecd --version\n");
  return 2;
}
