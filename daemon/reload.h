// A configuration reload (SIGHUP): what changed is applied and logged, or
// logged as a warning naming the key and why it waits for a restart
// (daemon/config_diff.h sorts them). Nothing is ignored without a word.
//
// Thread-safety: call from the daemon's main loop only (it owns `running`);
// what it changes under running calls is atomic or locked where it lives.
#pragma once

#include "daemon/config.h"
#include "daemon/services.h"
#include "recorder/session/recorder.h"

namespace discrec::daemon {

// `running` is what is in effect and is updated with what was applied;
// restart-only changes are left out of it, so every later reload names them
// again until the daemon restarts. `started` is the configuration the
// daemon started with.
void apply_reload(const Config& loaded, Config& running, const Config& started, ServiceContext& context,
                  recorder::Recorder& recorder);

}  // namespace discrec::daemon
