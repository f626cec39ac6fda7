#include "daemon/metrics.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "tests/support/process.h"

namespace discrec::daemon {
namespace {

using recorder::DriveInfo;
using recorder::RecordingInfo;
using recorder::RecordingState;

DriveInfo recording_drive() {
  DriveInfo d;
  d.id = "bd0";
  d.uri = "sim:///var/lib/discrecd/bd0.img";
  device::DriveCapabilities caps;
  caps.vendor = "PIONEER";
  caps.product = "BD-RW   BDR-S12J";
  caps.revision = "1.01";
  caps.medium_present = true;
  caps.current_profile = 0x43;  // BD-RE
  caps.block_size = 2048;
  d.capabilities = caps;
  d.guaranteed_bytes_per_second = 17'982'500;
  d.admitted_bytes_per_second = 1'000'000;
  d.active_recordings = 1;
  d.disc_state = "recording";
  DriveInfo::Space space;
  space.free_blocks = 1000;
  space.used_blocks = 500;
  space.bitrate_bps = 8'000'000;
  space.time_left = std::chrono::milliseconds(2048);
  d.space = space;
  d.prepared = DriveInfo::Prepared{true, 0, 17'983};
  recorder::DriveStats w;
  w.bytes_written = 9'007'199'254'740'993ull;  // 2^53 + 1
  w.missed_deadlines = 2;
  w.slack_min_ns = -250'000'000;
  w.slack_p99_ns = 1'500'000'000;
  w.lost_extents = 1;
  w.shed_bytes = 4096;
  d.writer = w;
  d.journal = DriveInfo::Journal{std::chrono::milliseconds(750), 65536};
  return d;
}

RecordingInfo recording(const std::string& id, RecordingState state) {
  RecordingInfo r;
  r.drive_id = "bd0";
  r.id = id;
  r.title = "cam";
  r.state = state;
  r.stats.bytes_written = 5000;
  r.stats.ring_capacity_bytes = 64 << 20;
  r.stats.ring_fill_bytes = 1 << 20;
  r.stats.shed_bytes = 300;
  r.stats.overflow_bytes = 100;
  r.stats.lost_extents = 1;
  r.stats.min_deadline_slack = std::chrono::milliseconds(-5);
  return r;
}

// name{labels} -> value, and name -> TYPE.
struct Parsed {
  std::map<std::string, std::string> samples;
  std::map<std::string, std::string> types;
  std::map<std::string, int> helps;
};

Parsed parse(const std::string& text) {
  Parsed p;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      auto rest = line.substr(7);
      auto sp = rest.find(' ');
      p.types[rest.substr(0, sp)] = rest.substr(sp + 1);
    } else if (line.rfind("# HELP ", 0) == 0) {
      auto rest = line.substr(7);
      ++p.helps[rest.substr(0, rest.find(' '))];
    } else if (!line.empty()) {
      auto sp = line.rfind(' ');
      p.samples[line.substr(0, sp)] = line.substr(sp + 1);
    }
  }
  return p;
}

TEST(MetricsTest, DrivesAndRunningRecordingsWithTypes) {
  const std::string text =
      render_metrics({recording_drive()},
                     {recording("r1", RecordingState::kRecording), recording("old", RecordingState::kStopped),
                      recording("rec", RecordingState::kRecovered)},
                     MetricsContext{"1.2.3"});
  Parsed p = parse(text);
  EXPECT_EQ(p.samples["discrec_up"], "1");
  EXPECT_EQ(p.samples["discrec_build_info{version=\"1.2.3\"}"], "1");
  EXPECT_EQ(p.samples["discrec_drive_info{drive=\"bd0\",vendor=\"PIONEER\",product=\"BD-RW   BDR-S12J\","
                      "revision=\"1.01\",medium=\"BD-RE\"}"],
            "1");
  EXPECT_EQ(p.samples["discrec_drive_guaranteed_bytes_per_second{drive=\"bd0\"}"], "17982500");
  EXPECT_EQ(p.samples["discrec_drive_disc_state{drive=\"bd0\",state=\"recording\"}"], "1");
  EXPECT_EQ(p.samples["discrec_drive_disc_state{drive=\"bd0\",state=\"blank\"}"], "0");
  EXPECT_EQ(p.samples["discrec_drive_disc_state{drive=\"bd0\",state=\"starting_a_recording\"}"], "0");
  EXPECT_EQ(p.samples["discrec_drive_disc_free_bytes{drive=\"bd0\"}"], "2048000");
  EXPECT_EQ(p.samples["discrec_drive_disc_time_left_seconds{drive=\"bd0\"}"], "2.048");
  EXPECT_EQ(p.samples["discrec_drive_opc_performed{drive=\"bd0\"}"], "1");
  EXPECT_EQ(p.samples["discrec_drive_effective_write_speed_bytes_per_second{drive=\"bd0\"}"], "17983000");
  // Counters above 2^53 stay exact.
  EXPECT_EQ(p.samples["discrec_drive_bytes_written_total{drive=\"bd0\"}"], "9007199254740993");
  EXPECT_EQ(p.samples["discrec_drive_missed_deadlines_total{drive=\"bd0\"}"], "2");
  EXPECT_EQ(p.samples["discrec_drive_deadline_slack_min_seconds{drive=\"bd0\"}"], "-0.25");
  EXPECT_EQ(p.samples["discrec_drive_deadline_slack_p99_seconds{drive=\"bd0\"}"], "1.5");
  EXPECT_EQ(p.samples["discrec_drive_lost_extents_total{drive=\"bd0\"}"], "1");
  EXPECT_EQ(p.samples["discrec_drive_journal_lag_seconds{drive=\"bd0\"}"], "0.75");
  EXPECT_EQ(p.samples["discrec_drive_journal_unconfirmed_bytes{drive=\"bd0\"}"], "65536");

  EXPECT_EQ(p.samples["discrec_recording_bytes_written_total{drive=\"bd0\",recording=\"r1\"}"], "5000");
  EXPECT_EQ(p.samples["discrec_recording_info{drive=\"bd0\",recording=\"r1\",title=\"cam\",state=\"recording\"}"],
            "1");
  EXPECT_EQ(p.samples["discrec_recording_shed_bytes_total{drive=\"bd0\",recording=\"r1\"}"], "300");
  EXPECT_EQ(p.samples["discrec_recording_overflow_bytes_total{drive=\"bd0\",recording=\"r1\"}"], "100");
  EXPECT_EQ(p.samples["discrec_recording_ring_fill_bytes{drive=\"bd0\",recording=\"r1\"}"], "1048576");
  EXPECT_EQ(p.samples["discrec_recording_deadline_slack_min_seconds{drive=\"bd0\",recording=\"r1\"}"], "-0.005");
  // Ended and recovered recordings are not series (they would pile up).
  EXPECT_EQ(text.find("recording=\"old\""), std::string::npos);
  EXPECT_EQ(text.find("recording=\"rec\""), std::string::npos);

  // Every family has one HELP and one TYPE; counters end in _total, and
  // nothing else does.
  for (const auto& [name, type] : p.types) {
    EXPECT_EQ(p.helps[name], 1) << name;
    const bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
    EXPECT_EQ(type, total ? "counter" : "gauge") << name;
  }
  EXPECT_EQ(p.types["discrec_recording_bytes_written_total"], "counter");
  EXPECT_EQ(p.types["discrec_drive_ring_fill_bytes"], "gauge");
  // Every sample belongs to a family announced before it.
  for (const auto& [sample, value] : p.samples) {
    const std::string name = sample.substr(0, sample.find('{'));
    EXPECT_TRUE(p.types.count(name)) << sample;
  }
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(disc_state_label("finalize incomplete"), "finalize_incomplete");

  RecordingInfo r = recording("id \"1\"\\", RecordingState::kStarting);
  r.title = "News at \"10\"\nC:\\cam";
  const std::string text = render_metrics({}, {r}, MetricsContext{"x"});
  EXPECT_NE(text.find("discrec_recording_info{drive=\"bd0\",recording=\"id \\\"1\\\"\\\\\","
                      "title=\"News at \\\"10\\\"\\nC:\\\\cam\",state=\"starting\"} 1\n"),
            std::string::npos)
      << text;
  // One line per sample: the title's line feed did not break one.
  EXPECT_EQ(text.find("\nC:"), std::string::npos);
}

TEST(MetricsTest, ADriveWithoutDiscOrWriterHasNoDiscOrWriterSeries) {
  DriveInfo d;
  d.id = "dvd1";
  d.not_ready_reason = "cannot open drive: no such device";
  d.disc_state = "no medium";
  const std::string text = render_metrics({d}, {}, MetricsContext{"x"});
  Parsed p = parse(text);
  EXPECT_EQ(p.samples["discrec_drive_ready{drive=\"dvd1\"}"], "0");
  EXPECT_EQ(p.samples["discrec_drive_info{drive=\"dvd1\"}"], "1");
  EXPECT_EQ(p.samples["discrec_drive_disc_state{drive=\"dvd1\",state=\"no_medium\"}"], "1");
  EXPECT_EQ(text.find("discrec_drive_bytes_written_total"), std::string::npos);
  EXPECT_EQ(text.find("discrec_drive_disc_time_left_seconds"), std::string::npos);
  EXPECT_EQ(text.find("discrec_drive_journal_lag_seconds"), std::string::npos);
  EXPECT_EQ(text.find("discrec_recording_"), std::string::npos);
}

// Prometheus' own checker reads the exposition (promtool check metrics:
// syntax, and its lint of names, units and HELP).
TEST(MetricsTest, PromtoolAcceptsTheExposition) {
  if (!test::have_program("promtool")) FAIL() << "promtool is not installed (setup.sh installs prometheus)";
  DriveInfo idle;
  idle.id = "bd1";
  idle.disc_state = "blank";
  RecordingInfo odd = recording("r2", RecordingState::kStopping);
  odd.title = "a \"quoted\"\\title\nwith a line feed";
  const std::string text = render_metrics({recording_drive(), idle},
                                          {recording("r1", RecordingState::kRecording), odd}, MetricsContext{"0.1.0"});
  test::TempDir dir;
  std::ofstream(dir.file("metrics.txt")) << text;
  auto result = test::run_command({"sh", "-c", "promtool check metrics < \"$0\"", dir.file("metrics.txt")});
  EXPECT_EQ(result.exit_code, 0) << result.output << "\n" << text;
  EXPECT_EQ(result.output, "") << "promtool's lint found something:\n" << result.output;
}

}  // namespace
}  // namespace discrec::daemon
