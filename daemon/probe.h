#pragma once

namespace discrec::daemon {

// `discrecd probe <URI> [--json] [--write-mode MODE] [--quirks FILE]`: a local admin command (not
// over RPC) that opens a drive URI directly and prints its capabilities and
// the drive quirks that apply to it (from the shipped table, or FILE).
// Exit 0 on success, 1 when the drive cannot be probed, 2 on bad usage or a
// bad quirks file.
int run_probe(int argc, char** argv);

}  // namespace discrec::daemon
