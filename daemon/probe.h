#pragma once

namespace discrec::daemon {

// `discrecd probe <URI> [--json]`: a local admin command (not over RPC) that
// opens a drive URI directly and prints its capabilities. Exit 0 on success,
// 1 when the drive cannot be probed, 2 on bad usage.
int run_probe(int argc, char** argv);

}  // namespace discrec::daemon
