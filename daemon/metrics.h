// Prometheus metrics: what the Recorder's snapshots say of each drive and
// each recording, in the text exposition format (version 0.0.4), which
// daemon/metrics_server.h serves on GET /metrics.
//
// Names follow Prometheus' conventions: base units (bytes, seconds, bits per
// second), `_total` for counters, one `# HELP` and `# TYPE` per family.
// Recordings are labelled {drive, recording}; their title and state are on
// discrec_recording_info alone, so a title never multiplies the series.
// Only recordings that are running (starting, recording, stopping) are
// listed: ended ones (and the history of discs that left) would pile up
// series without bound. Drive counters cover what a recording did before it
// ended.
//
// Deadline slack: the writer keeps a histogram of it, but publishes only
// its minimum and 99th percentile; they are exposed as gauges
// (..._deadline_slack_min_seconds, ..._deadline_slack_p99_seconds), not
// as a Prometheus histogram.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "recorder/session/types.h"

namespace discrec::daemon {

struct MetricsContext {
  std::string version;  // discrec_build_info{version="..."}
};

// The whole exposition: discrec_up, discrec_build_info, then every drive
// family, then every recording family.
std::string render_metrics(const std::vector<recorder::DriveInfo>& drives,
                           const std::vector<recorder::RecordingInfo>& recordings, const MetricsContext& context);

// A label value as the text format wants it: backslash, double quote and
// line feed escaped (\\, \", \n).
std::string escape_label_value(std::string_view value);

// A disc state name as a label value: "starting a recording" ->
// "starting_a_recording".
std::string disc_state_label(std::string_view state_name);

}  // namespace discrec::daemon
