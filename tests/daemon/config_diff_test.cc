#include "daemon/config_diff.h"

#include <gtest/gtest.h>

namespace discrec::daemon {
namespace {

const ConfigChange* find(const std::vector<ConfigChange>& changes, const std::string& key) {
  for (const auto& c : changes)
    if (c.key == key) return &c;
  return nullptr;
}

TEST(ConfigDiffTest, NoChangeNoLine) {
  const Config c = default_config("/var/lib/discrecd");
  EXPECT_TRUE(diff_config(c, c, c).empty());
}

// Every change is named; each is live, a drive's, or waits for a restart
// with a reason.
TEST(ConfigDiffTest, ClassifiesEveryChange) {
  const Config started = default_config("/var/lib/discrecd");
  Config loaded = started;
  loaded.max_string_bytes = 100;
  loaded.event_history_count = 5;
  loaded.max_calls = started.max_calls - 1;
  loaded.max_watch_streams = started.max_watch_streams + 1;
  loaded.max_recordings_per_drive = 2;
  loaded.socket_path = "/run/other.sock";
  loaded.access.observe_uids = {1000};
  loaded.sources.directories = {"/srv"};
  loaded.drives[0].uri = "sim:///var/lib/discrecd/other.img";
  loaded.drives.push_back({"dvd0", "sg:///dev/sr1", 0});
  loaded.drive_quirks_file = "/etc/discrecd/drive-quirks.txt";
  auto changes = diff_config(started, loaded, started);

  auto expect = [&](const std::string& key, ConfigChange::Kind kind) {
    const ConfigChange* c = find(changes, key);
    ASSERT_NE(c, nullptr) << key;
    EXPECT_EQ(c->kind, kind) << key;
    if (kind == ConfigChange::Kind::kRestart) EXPECT_FALSE(c->why.empty()) << key;
  };
  expect("limits.max_string_bytes", ConfigChange::Kind::kLive);
  expect("limits.event_history_count", ConfigChange::Kind::kLive);
  expect("limits.max_calls", ConfigChange::Kind::kLive);  // lowered
  expect("limits.max_watch_streams", ConfigChange::Kind::kRestart);  // raised past what was sized
  expect("limits.max_recordings_per_drive", ConfigChange::Kind::kRestart);
  expect("daemon.socket", ConfigChange::Kind::kRestart);
  expect("access.observe_uids", ConfigChange::Kind::kRestart);
  expect("sources.directories", ConfigChange::Kind::kRestart);
  expect("drives.bd0.uri", ConfigChange::Kind::kDrive);
  expect("drives.dvd0", ConfigChange::Kind::kDrive);
  expect("daemon.drive_quirks", ConfigChange::Kind::kRestart);
  EXPECT_EQ(find(changes, "limits.max_string_bytes")->before, "4096");
  EXPECT_EQ(find(changes, "limits.max_string_bytes")->after, "100");
  EXPECT_TRUE(find(changes, "drives.dvd0")->before.empty());
  EXPECT_EQ(changes.size(), 11u);

  // The metrics listener is set up at start: turning it on, or moving it,
  // waits for a restart.
  Config with_metrics = started;
  with_metrics.metrics = MetricsConfig{};
  auto metrics_on = diff_config(started, with_metrics, started);
  ASSERT_EQ(metrics_on.size(), 1u);
  EXPECT_EQ(metrics_on[0].key, "metrics");
  EXPECT_EQ(metrics_on[0].kind, ConfigChange::Kind::kRestart);
  Config moved = with_metrics;
  moved.metrics->listen = "127.0.0.1:9100";
  moved.metrics->port = 9100;
  auto metrics_moved = diff_config(with_metrics, moved, started);
  ASSERT_EQ(metrics_moved.size(), 1u);
  EXPECT_EQ(metrics_moved[0].key, "metrics.listen");
  EXPECT_EQ(metrics_moved[0].after, "\"127.0.0.1:9100\"");

  // A drive removed is named too.
  Config fewer = started;
  fewer.drives.clear();
  auto removed = diff_config(started, fewer, started);
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].key, "drives.bd0");
  EXPECT_TRUE(removed[0].after.empty());
}

}  // namespace
}  // namespace discrec::daemon
