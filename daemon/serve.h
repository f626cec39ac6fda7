#pragma once

namespace discrec::daemon {

// `discrecd serve [--config FILE] [--state-dir DIR] [--socket PATH] [--set key=value]...`
// Runs until SIGTERM/SIGINT (ends recordings cleanly); SIGHUP reloads the config.
int run_serve(int argc, char** argv);

}  // namespace discrec::daemon
