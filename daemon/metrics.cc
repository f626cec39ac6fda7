#include "daemon/metrics.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <functional>
#include <optional>

#include "recorder/session/disc_state.h"

namespace discrec::daemon {
namespace {

using recorder::DriveInfo;
using recorder::RecordingInfo;

std::string number(uint64_t v) { return std::to_string(v); }
std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}
std::string seconds(Nanos n) { return number(std::chrono::duration<double>(n).count()); }
std::string flag(bool b) { return b ? "1" : "0"; }

// The samples of one family for one drive or recording: `labels` are the
// object's own ({drive="bd0"}), `extra` a family's own (state="blank").
class Samples {
 public:
  Samples(std::string& out, std::string_view name, std::string_view labels) : out_(out), name_(name), labels_(labels) {}
  void add(const std::string& value, std::string_view extra = {}) {
    out_ += name_;
    out_ += '{';
    out_ += labels_;
    if (!extra.empty()) {
      out_ += ',';
      out_ += extra;
    }
    out_ += "} ";
    out_ += value;
    out_ += '\n';
  }

 private:
  std::string& out_;
  std::string_view name_;
  std::string_view labels_;
};

template <typename T>
struct Family {
  const char* name;
  const char* type;  // "gauge" or "counter"
  const char* help;
  std::function<void(const T&, Samples&)> samples;
};

// A family that is one value, or none.
template <typename T, typename F>
std::function<void(const T&, Samples&)> one(F value) {
  return [value](const T& object, Samples& out) {
    std::optional<std::string> v = value(object);
    if (v) out.add(*v);
  };
}

template <typename T>
void render_families(std::string& out, const std::vector<Family<T>>& families, const std::vector<T>& objects,
                     const std::vector<std::string>& labels) {
  for (const auto& f : families) {
    std::string body;
    for (size_t i = 0; i < objects.size(); ++i) {
      Samples samples(body, f.name, labels[i]);
      f.samples(objects[i], samples);
    }
    if (body.empty()) continue;
    out += "# HELP ";
    out += f.name;
    out += ' ';
    out += f.help;
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += f.type;
    out += '\n';
    out += body;
  }
}

std::string label(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + escape_label_value(value) + "\"";
}

using D = DriveInfo;
using O = std::optional<std::string>;

// What a drive's writer says, when it has one.
template <typename F>
std::function<void(const D&, Samples&)> writer(F value) {
  return one<D>([value](const D& d) -> O {
    if (!d.writer) return std::nullopt;
    return value(*d.writer);
  });
}

const std::vector<Family<D>>& drive_families() {
  using S = recorder::DriveStats;
  static const std::vector<Family<D>> families = {
      {"discrec_drive_info", "gauge", "The drive as its INQUIRY names it, and the medium loaded (1).",
       [](const D& d, Samples& out) {
         std::string extra;
         if (d.capabilities) {
           extra = label("vendor", d.capabilities->vendor) + "," + label("product", d.capabilities->product) + "," +
                   label("revision", d.capabilities->revision) + "," +
                   label("medium", d.capabilities->has_medium() ? d.capabilities->medium_name() : "none");
         }
         out.add("1", extra);
       }},
      {"discrec_drive_ready", "gauge", "1 when the drive can record (no reason not to), else 0.",
       one<D>([](const D& d) -> O { return flag(d.not_ready_reason.empty()); })},
      {"discrec_drive_disc_state", "gauge",
       "The disc state machine's state: 1 for the current one, 0 for every other.",
       [](const D& d, Samples& out) {
         for (int s = 0; s < recorder::kDiscStateCount; ++s) {
           const char* name = recorder::disc_state_name(static_cast<recorder::DiscState>(s));
           out.add(flag(d.disc_state == name), label("state", disc_state_label(name)));
         }
       }},
      {"discrec_drive_guaranteed_bytes_per_second", "gauge",
       "What the drive promises recordings at the speed in effect (0: not prepared).",
       one<D>([](const D& d) -> O { return number(d.guaranteed_bytes_per_second); })},
      {"discrec_drive_admitted_bytes_per_second", "gauge", "What the running recordings booked of it.",
       one<D>([](const D& d) -> O { return number(d.admitted_bytes_per_second); })},
      {"discrec_drive_active_recordings", "gauge", "Recordings running on the drive.",
       one<D>([](const D& d) -> O { return number(uint64_t{d.active_recordings}); })},
      {"discrec_drive_opc_performed", "gauge",
       "1 when the last prepare ran power calibration (OPC), 0 when the drive does not support it.",
       one<D>([](const D& d) -> O {
         if (!d.prepared) return std::nullopt;
         return flag(d.prepared->opc_performed);
       })},
      {"discrec_drive_requested_write_speed_bytes_per_second", "gauge",
       "The write speed the last prepare asked for (0: the fastest the disc allows).",
       one<D>([](const D& d) -> O {
         if (!d.prepared) return std::nullopt;
         return number(uint64_t{d.prepared->requested_write_kbps} * 1000);
       })},
      {"discrec_drive_effective_write_speed_bytes_per_second", "gauge",
       "The write speed the drive reported in effect after the last prepare.",
       one<D>([](const D& d) -> O {
         if (!d.prepared) return std::nullopt;
         return number(uint64_t{d.prepared->effective_write_kbps} * 1000);
       })},
      {"discrec_drive_disc_free_bytes", "gauge", "What the disc being recorded still holds.",
       one<D>([](const D& d) -> O {
         if (!d.space || !d.capabilities) return std::nullopt;
         return number(d.space->free_blocks * d.capabilities->block_size);
       })},
      {"discrec_drive_disc_used_bytes", "gauge", "What is written on the disc being recorded.",
       one<D>([](const D& d) -> O {
         if (!d.space || !d.capabilities) return std::nullopt;
         return number(d.space->used_blocks * d.capabilities->block_size);
       })},
      {"discrec_drive_disc_fill_bytes_per_second", "gauge",
       "The rate the disc fills at: what its recordings declared, or what they measure if more.",
       one<D>([](const D& d) -> O {
         if (!d.space) return std::nullopt;
         return number(static_cast<double>(d.space->bitrate_bps) / 8);
       })},
      {"discrec_drive_disc_time_left_seconds", "gauge",
       "How long the disc being recorded lasts at discrec_drive_disc_fill_bytes_per_second.",
       one<D>([](const D& d) -> O {
         if (!d.space || !d.space->time_left) return std::nullopt;
         return seconds(*d.space->time_left);
       })},
      {"discrec_drive_disc_full", "gauge", "1 when the writer stopped at the end of the disc.",
       one<D>([](const D& d) -> O {
         if (!d.space) return std::nullopt;
         return flag(d.space->full);
       })},
      {"discrec_drive_bytes_in_total", "counter", "Bytes the disc's recordings took into their rings.",
       writer([](const S& s) { return number(s.bytes_in); })},
      {"discrec_drive_bytes_written_total", "counter", "Payload bytes on the disc (acknowledged writes).",
       writer([](const S& s) { return number(s.bytes_written); })},
      {"discrec_drive_write_commands_total", "counter", "WRITE(12) commands sent.",
       writer([](const S& s) { return number(s.commands); })},
      {"discrec_drive_measured_write_bytes_per_second", "gauge", "Write rate per WRITE(12), moving average.",
       writer([](const S& s) { return number(s.measured_bytes_per_second); })},
      {"discrec_drive_ring_fill_bytes", "gauge", "All the disc's rings together, at the writer's last publish.",
       writer([](const S& s) { return number(s.ring_fill); })},
      {"discrec_drive_ring_high_water_bytes", "gauge", "The most discrec_drive_ring_fill_bytes has been.",
       writer([](const S& s) { return number(s.ring_high_water); })},
      {"discrec_drive_missed_deadlines_total", "counter", "Chunks written after their deadline.",
       writer([](const S& s) { return number(s.missed_deadlines); })},
      {"discrec_drive_deadline_slack_min_seconds", "gauge",
       "Smallest deadline slack (deadline - completion) of any chunk; negative: a missed deadline.",
       writer([](const S& s) { return seconds(Nanos(s.slack_min_ns)); })},
      {"discrec_drive_deadline_slack_p99_seconds", "gauge", "99% of chunks had at least this deadline slack.",
       writer([](const S& s) { return seconds(Nanos(s.slack_p99_ns)); })},
      {"discrec_drive_shed_gops_total", "counter", "GOPs shed because the drive fell behind.",
       writer([](const S& s) { return number(s.shed_gops); })},
      {"discrec_drive_shed_bytes_total", "counter", "Bytes of the GOPs shed.",
       writer([](const S& s) { return number(s.shed_bytes); })},
      {"discrec_drive_over_rate_recordings", "gauge", "Running recordings pushing more than they declared.",
       writer([](const S& s) { return number(uint64_t{s.over_rate_recordings}); })},
      {"discrec_drive_write_errors_total", "counter", "Writes that failed.",
       writer([](const S& s) { return number(s.write_errors); })},
      {"discrec_drive_lost_extents_total", "counter", "Extents lost to write errors (on disc, unreadable).",
       writer([](const S& s) { return number(s.lost_extents); })},
      {"discrec_drive_pauses_total", "counter", "Pauses for the drive's state (not ready, unit attention, reset).",
       writer([](const S& s) { return number(s.pauses); })},
      {"discrec_drive_paused", "gauge", "1 while the writer waits for the drive's state.",
       writer([](const S& s) { return flag(s.paused); })},
      {"discrec_drive_writer_failed", "gauge", "1 when the writer stopped writing.",
       writer([](const S& s) { return flag(s.failed); })},
      {"discrec_drive_journal_queue_full_total", "counter",
       "Publishes that found the journal's extent lists full and kept extents back.",
       writer([](const S& s) { return number(s.journal_queue_full); })},
      {"discrec_drive_journal_queue_waits_total", "counter",
       "Times a recording waited, unwritten, for the journal to take extents.",
       writer([](const S& s) { return number(s.journal_queue_waits); })},
      {"discrec_drive_journal_lag_seconds", "gauge",
       "Since the crash journal last confirmed what the drive acknowledged.",
       one<D>([](const D& d) -> O {
         if (!d.journal) return std::nullopt;
         return seconds(d.journal->since_confirmed);
       })},
      {"discrec_drive_journal_unconfirmed_bytes", "gauge",
       "What the drive acknowledged since the journal's last confirmation (a crash now loses it).",
       one<D>([](const D& d) -> O {
         if (!d.journal) return std::nullopt;
         return number(d.journal->unconfirmed_bytes);
       })},
  };
  return families;
}

using R = RecordingInfo;

const std::vector<Family<R>>& recording_families() {
  static const std::vector<Family<R>> families = {
      {"discrec_recording_info", "gauge", "A running recording's title and state (1).",
       [](const R& r, Samples& out) {
         out.add("1", label("title", r.title) + "," + label("state", recorder::recording_state_name(r.state)));
       }},
      {"discrec_recording_start_time_seconds", "gauge", "When the recording started, in seconds since the epoch.",
       one<R>([](const R& r) -> O { return seconds(r.start_time.time_since_epoch()); })},
      {"discrec_recording_expected_bytes_per_second", "gauge", "The rate the recording declared (admission).",
       one<R>([](const R& r) -> O { return number(static_cast<double>(r.expected_bitrate_bps) / 8); })},
      {"discrec_recording_input_bytes_per_second", "gauge", "The rate it has arrived at since it started.",
       one<R>([](const R& r) -> O { return number(r.stats.input_bitrate_bps / 8); })},
      {"discrec_recording_bytes_in_total", "counter", "Bytes taken into the recording's ring.",
       one<R>([](const R& r) -> O { return number(r.stats.bytes_in); })},
      {"discrec_recording_bytes_written_total", "counter", "Payload bytes on disc.",
       one<R>([](const R& r) -> O { return number(r.stats.bytes_written); })},
      {"discrec_recording_ring_capacity_bytes", "gauge", "The recording's ring.",
       one<R>([](const R& r) -> O { return number(r.stats.ring_capacity_bytes); })},
      {"discrec_recording_ring_fill_bytes", "gauge", "What its ring holds, waiting for the drive.",
       one<R>([](const R& r) -> O { return number(r.stats.ring_fill_bytes); })},
      {"discrec_recording_ring_high_water_bytes", "gauge", "The most its ring has held.",
       one<R>([](const R& r) -> O { return number(r.stats.ring_high_water_bytes); })},
      {"discrec_recording_missed_deadlines_total", "counter", "Chunks written after their deadline.",
       one<R>([](const R& r) -> O { return number(r.stats.missed_deadlines); })},
      {"discrec_recording_deadline_slack_min_seconds", "gauge",
       "Smallest deadline slack of any of its chunks; negative: a missed deadline.",
       one<R>([](const R& r) -> O { return seconds(r.stats.min_deadline_slack); })},
      {"discrec_recording_deadline_slack_p99_seconds", "gauge", "99% of its chunks had at least this slack.",
       one<R>([](const R& r) -> O { return seconds(r.stats.p99_deadline_slack); })},
      {"discrec_recording_shed_gops_total", "counter", "GOPs shed because the drive fell behind.",
       one<R>([](const R& r) -> O { return number(r.stats.shed_gops); })},
      {"discrec_recording_shed_bytes_total", "counter",
       "Bytes not recorded on purpose: GOPs shed, and what the full ring turned away.",
       one<R>([](const R& r) -> O { return number(r.stats.shed_bytes); })},
      {"discrec_recording_overflow_bytes_total", "counter",
       "Of discrec_recording_shed_bytes_total: what the full ring turned away.",
       one<R>([](const R& r) -> O { return number(r.stats.overflow_bytes); })},
      {"discrec_recording_lost_extents_total", "counter", "Extents lost to write errors.",
       one<R>([](const R& r) -> O { return number(r.stats.lost_extents); })},
      {"discrec_recording_lost_bytes_total", "counter", "Payload bytes in lost extents.",
       one<R>([](const R& r) -> O { return number(r.stats.lost_bytes); })},
      {"discrec_recording_over_declared_rate", "gauge",
       "1 once a live source pushed beyond its declared bitrate for longer than its budget absorbs.",
       one<R>([](const R& r) -> O { return flag(r.stats.over_declared_rate); })},
      {"discrec_recording_source_silent_seconds", "gauge", "How long a live source has sent nothing (0: it sends).",
       one<R>([](const R& r) -> O { return seconds(r.source_silent_for); })},
  };
  return families;
}

bool running(const RecordingInfo& r) {
  return r.state == recorder::RecordingState::kStarting || r.state == recorder::RecordingState::kRecording ||
         r.state == recorder::RecordingState::kStopping;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string disc_state_label(std::string_view state_name) {
  std::string out(state_name);
  for (char& c : out)
    if (c == ' ') c = '_';
  return out;
}

std::string render_metrics(const std::vector<DriveInfo>& drives, const std::vector<RecordingInfo>& recordings,
                           const MetricsContext& context) {
  std::string out;
  out += "# HELP discrec_up 1 while discrecd serves.\n# TYPE discrec_up gauge\ndiscrec_up 1\n";
  out += "# HELP discrec_build_info The discrecd version (1).\n# TYPE discrec_build_info gauge\n";
  out += "discrec_build_info{" + label("version", context.version) + "} 1\n";

  std::vector<std::string> drive_labels;
  for (const auto& d : drives) drive_labels.push_back(label("drive", d.id));
  render_families(out, drive_families(), drives, drive_labels);

  std::vector<RecordingInfo> live;
  std::vector<std::string> recording_labels;
  for (const auto& r : recordings) {
    if (!running(r)) continue;
    live.push_back(r);
    recording_labels.push_back(label("drive", r.drive_id) + "," + label("recording", r.id));
  }
  render_families(out, recording_families(), live, recording_labels);
  return out;
}

}  // namespace discrec::daemon
