#pragma once

namespace discrec::daemon {

// `discrecd forget-disc [--state-dir DIR] DRIVE`: a local admin command for
// when the disc an unfinished journal describes is gone for good. Moves the
// drive's journal aside (journal-DRIVE.bin.done) so recording can resume.
// Run it while discrecd is stopped.
int run_forget_disc(int argc, char** argv);

}  // namespace discrec::daemon
