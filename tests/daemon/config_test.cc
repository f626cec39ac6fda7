#include "daemon/config.h"

#include <gtest/gtest.h>

#include "device/sim/sim_options.h"
#include "tests/support/process.h"

namespace discrec::daemon {
namespace {

TEST(ConfigTest, DefaultsShipAnEmulatedBdReUnderTheStateDirectory) {
  auto c = parse_config("[daemon]\nstate_directory = \"/srv/rec\"\n", "test.toml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  ASSERT_EQ(c->drives.size(), 1u);
  EXPECT_EQ(c->drives[0].id, "bd0");
  EXPECT_EQ(c->drives[0].uri, "sim:///srv/rec/bd0.img?profile=bd-re&speed=4");
  EXPECT_EQ(c->socket_mode, 0660u);
  EXPECT_FALSE(c->tcp.has_value());
}

// A Windows state directory: the emulated drive's URI keeps its third
// slash (sim:///C:/...), and a source directory may start with a drive.
TEST(ConfigTest, WindowsPathsMakeValidUrisAndDirectories) {
  const Config c = default_config("C:/ProgramData/discrecd");
  ASSERT_EQ(c.drives.size(), 1u);
  EXPECT_EQ(c.drives[0].uri, "sim:///C:/ProgramData/discrecd/bd0.img?profile=bd-re&speed=4");
  auto options = device::sim::parse_sim_uri(c.drives[0].uri);
  ASSERT_TRUE(options.ok()) << options.error().to_string();
  EXPECT_EQ(options->image_path, "C:/ProgramData/discrecd/bd0.img");
  // Judged as a path, not refused as relative: here it does not exist.
  auto sources = parse_config("[sources]\ndirectories = [\"C:/NoSuchDir\"]\n", "sources.toml");
  ASSERT_FALSE(sources.ok());
  EXPECT_NE(sources.error().message().find("is not an existing directory"), std::string::npos)
      << sources.error().message();
  auto relative = parse_config("[sources]\ndirectories = [\"videos\"]\n", "sources.toml");
  ASSERT_FALSE(relative.ok());
  EXPECT_NE(relative.error().message().find("is not an absolute path"), std::string::npos)
      << relative.error().message();
}

TEST(ConfigTest, ReadsEveryKey) {
  auto c = parse_config(R"(
[daemon]
socket = "/tmp/d.sock"
socket_mode = "0600"
log = "journal"
[limits]
max_recordings_per_drive = 3
ring_size = "16MiB"
ring_memory = "256MiB"
admission_margin = 0.25
latency_budget_ms = 500
max_watch_streams = 10
max_string_bytes = 100
[disc]
lost_extents = "zero-filled"
warn_minutes_left = [15, 5]
stripe_size = "8MiB"
stripe_wait = 0.4
after_restart = "finalize"
[drives.burner]
uri = "sg:///dev/sr0"
write_kbps = 8991
write_mode = "plain"
[drives.net]
uri = "iscsi://127.0.0.1:3260/iqn.x:dvd/1"
)",
                        "t.toml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->socket_path, "/tmp/d.sock");
  EXPECT_EQ(c->socket_mode, 0600u);
  EXPECT_EQ(c->log_target, Config::LogTarget::kJournal);
  EXPECT_EQ(c->max_recordings_per_drive, 3u);
  EXPECT_EQ(c->default_ring_bytes, 16u << 20);
  EXPECT_EQ(c->ring_memory_bytes, 256u << 20);
  EXPECT_DOUBLE_EQ(c->admission_margin, 0.25);
  EXPECT_EQ(c->default_latency_budget, std::chrono::milliseconds(500));
  EXPECT_EQ(c->max_watch_streams, 10u);
  EXPECT_EQ(c->max_string_bytes, 100u);
  EXPECT_TRUE(c->zero_fill_lost_extents);
  EXPECT_EQ(c->warn_minutes_left, (std::vector<uint32_t>{15, 5}));
  EXPECT_EQ(c->stripe_bytes, 8u << 20);
  EXPECT_DOUBLE_EQ(c->stripe_wait, 0.4);
  EXPECT_TRUE(c->finalize_after_restart);
  ASSERT_EQ(c->drives.size(), 2u);
  EXPECT_EQ(c->drives[0].id, "burner");
  EXPECT_EQ(c->drives[0].write_kbps, 8991u);
  EXPECT_EQ(c->drives[0].write_mode, recorder::WriteMode::kPlain);
  EXPECT_EQ(c->drives[1].uri, "iscsi://127.0.0.1:3260/iqn.x:dvd/1");
  EXPECT_EQ(c->drives[1].write_mode, recorder::WriteMode::kStreamingPreferred);  // the default
}

// The config file the package installs says what the defaults are; it must
// parse, and be them.
TEST(ConfigTest, TheShippedConfigIsTheDefaults) {
  auto c = load_config(discrec::test::source_path("daemon/discrecd.toml"));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const Config defaults;
  EXPECT_EQ(c->socket_path, defaults.socket_path);
  EXPECT_EQ(c->socket_mode, defaults.socket_mode);
  EXPECT_FALSE(c->tcp.has_value());
  EXPECT_FALSE(c->metrics.has_value()) << "metrics are off unless [metrics] is present";
  EXPECT_EQ(c->state_directory, defaults.state_directory);
  EXPECT_EQ(c->max_recordings_per_drive, defaults.max_recordings_per_drive);
  EXPECT_EQ(c->default_ring_bytes, defaults.default_ring_bytes);
  EXPECT_EQ(c->ring_memory_bytes, defaults.ring_memory_bytes);
  EXPECT_DOUBLE_EQ(c->admission_margin, defaults.admission_margin);
  EXPECT_EQ(c->default_latency_budget, defaults.default_latency_budget);
  EXPECT_EQ(c->max_watch_streams, defaults.max_watch_streams);
  EXPECT_EQ(c->max_string_bytes, defaults.max_string_bytes);
  EXPECT_EQ(c->zero_fill_lost_extents, defaults.zero_fill_lost_extents);
  EXPECT_EQ(c->warn_minutes_left, defaults.warn_minutes_left);
  EXPECT_EQ(c->stripe_bytes, defaults.stripe_bytes);
  EXPECT_DOUBLE_EQ(c->stripe_wait, defaults.stripe_wait);
  EXPECT_EQ(c->finalize_after_restart, defaults.finalize_after_restart);
  EXPECT_FALSE(defaults.finalize_after_restart) << "a restart keeps open discs open unless asked";
  EXPECT_TRUE(c->sources == defaults.sources) << describe_source_policy(c->sources);
  EXPECT_EQ(c->socket_mode_force, defaults.socket_mode_force);
  EXPECT_EQ(c->socket_group, defaults.socket_group);
  EXPECT_EQ(c->sim_directories, defaults.sim_directories);
  EXPECT_EQ(c->drive_quirks_file, defaults.drive_quirks_file);
  EXPECT_EQ(c->max_watch_streams_per_peer, defaults.max_watch_streams_per_peer);
  EXPECT_EQ(c->max_connections, defaults.max_connections);
  EXPECT_EQ(c->max_connections_per_uid, defaults.max_connections_per_uid);
  EXPECT_EQ(c->max_calls, defaults.max_calls);
  EXPECT_EQ(c->max_calls_per_peer, defaults.max_calls_per_peer);
  EXPECT_EQ(c->access.admin_uids, defaults.access.admin_uids);
  EXPECT_EQ(c->access.control_uids, defaults.access.control_uids);
  EXPECT_EQ(c->access.observe_uids, defaults.access.observe_uids);
  EXPECT_EQ(c->access.admin_groups, defaults.access.admin_groups);
  EXPECT_EQ(c->access.control_groups, defaults.access.control_groups);
  EXPECT_EQ(c->access.observe_groups, defaults.access.observe_groups);
  EXPECT_EQ(c->access.socket_group_role, defaults.access.socket_group_role);
  EXPECT_EQ(c->access.others_role, defaults.access.others_role);
  EXPECT_EQ(c->event_history_count, defaults.event_history_count);
  EXPECT_EQ(c->event_history_age_hours, defaults.event_history_age_hours);
  ASSERT_EQ(c->drives.size(), 1u);
  EXPECT_EQ(c->drives[0].id, "bd0");
}

void expect_error(const std::string& toml, const std::string& fragment) {
  auto c = parse_config(toml, "bad.toml");
  ASSERT_FALSE(c.ok()) << toml;
  EXPECT_EQ(c.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(c.error().message().find(fragment), std::string::npos) << c.error().message();
  EXPECT_NE(c.error().message().find("bad.toml"), std::string::npos) << c.error().message();
}

TEST(ConfigTest, BadConfigNamesLineAndKey) {
  expect_error("[daemon]\n\nsocket = 5\n", "bad.toml:3");
  expect_error("[daemon]\n\nsocket = 5\n", "daemon.socket");
  expect_error("[limits]\nring_size = \"12 parsecs\"\n", "limits.ring_size");
  expect_error("[limits]\nring_memory = \"1KiB\"\n", "limits.ring_memory");
  expect_error("[limits]\nadmission_margin = 1.5\n", "limits.admission_margin");
  expect_error("[disc]\nlost_extents = \"zeros\"\n", "disc.lost_extents");
  expect_error("[disc]\nlost_extent = \"zero-filled\"\n", "disc.lost_extent");
  expect_error("[disc]\nwarn_minutes_left = 10\n", "disc.warn_minutes_left");
  expect_error("[disc]\nafter_restart = \"close\"\n", "disc.after_restart");
  expect_error("[disc]\nafter_restart = \"close\"\n", "\"continue\"");
  expect_error("[disc]\nafter_restart = true\n", "disc.after_restart");
  expect_error("[disc]\nwarn_minutes_left = [10, 0]\n", "between 1 and 1440");
  expect_error("[disc]\nwarn_minutes_left = [\"10\"]\n", "disc.warn_minutes_left");
  expect_error("[limits]\nmax_recordings_per_drive = 0\n", "between 1 and");
  expect_error("[limits]\nevent_history_count = 0\n", "limits.event_history_count");
  expect_error("[limits]\nevent_history_count = 1000000\n", "between 1 and 100000");
  expect_error("[limits]\nevent_history_age_hours = 9000\n", "limits.event_history_age_hours");
  expect_error("[limits]\nevent_history_age_hours = \"1d\"\n", "an integer");
  expect_error("[disc]\nstripe_size = \"100MiB\"\n", "disc.stripe_size");
  expect_error("[disc]\nstripe_wait = 0.9\n", "disc.stripe_wait");
  expect_error("[daemon]\nsocket_mode = \"999\"\n", "octal");
  expect_error("[daemon]\nsocekt = \"/x\"\n", "daemon.socekt");
  expect_error("[nonsense]\n", "unknown section");
  expect_error("[drives.x]\nuri = \"/dev/sda\"\n", "drives.x.uri");
  expect_error("[drives.\"../etc\"]\nuri = \"sg:///dev/sr0\"\n", "drive names");
  expect_error("[drives.x]\nwrite_kbps = 3\n", "needs a 'uri'");
  expect_error("[daemon]\nlog = \"syslog\"\n", "daemon.log");
  expect_error("[drives.x]\nuri = \"sg:///dev/sr0\"\nwrite_mode = \"fast\"\n", "drives.x.write_mode");
  expect_error("[daemon\n", "bad.toml:1");
  expect_error("[daemon]\ndrive_quirks = \"\"\n", "daemon.drive_quirks");
  expect_error("[daemon]\ndrive_quirks = 1\n", "daemon.drive_quirks");
  expect_error("[daemon]\ndrive_quirks = \"quirks.txt\"\n", "'daemon.drive_quirks': 'quirks.txt' must be an absolute path");
  // Found by config_fuzzer: toml++ 3.3 reaches __builtin_unreachable() on some
  // raw non-ASCII characters, so the file must be ASCII.
  expect_error("a = 1\xCE\x97\n", "must be ASCII");
  expect_error("\xEF\xBB\x96\t", "bad.toml:1:1");
  expect_error("[limits]\n# caf\xC3\xA9\n", "bad.toml:2:6");
  expect_error("a = \"\x01\"\n", "0x01");
  auto escaped = parse_config("[drives.bd0]\nuri = \"sim:///var/lib/discrecd/caf\\u00E9.img\"\n", "escaped.toml");
  ASSERT_TRUE(escaped.ok()) << escaped.error().to_string();
  EXPECT_EQ(escaped->drives[0].uri, "sim:///var/lib/discrecd/caf\xC3\xA9.img");
}

TEST(ConfigTest, MetricsAreOffUnlessConfiguredAndLocalByDefault) {
  auto off = parse_config("", "test.toml");
  ASSERT_TRUE(off.ok()) << off.error().to_string();
  EXPECT_FALSE(off->metrics.has_value());

  auto on = parse_config("[metrics]\n", "test.toml");
  ASSERT_TRUE(on.ok()) << on.error().to_string();
  ASSERT_TRUE(on->metrics.has_value());
  EXPECT_EQ(on->metrics->host, "127.0.0.1");
  EXPECT_EQ(on->metrics->port, 9464);
  EXPECT_EQ(on->metrics->max_connections, 4u);

  struct Case {
    const char* listen;
    const char* host;
    uint16_t port;
  };
  for (const Case& c : {Case{"127.0.0.1:9464", "127.0.0.1", 9464}, Case{":9100", "127.0.0.1", 9100},
                        Case{"9101", "127.0.0.1", 9101}, Case{"[::1]:9464", "::1", 9464},
                        Case{"0.0.0.0:9464", "0.0.0.0", 9464}}) {
    auto parsed = parse_config(std::string("[metrics]\nlisten = \"") + c.listen + "\"\nmax_connections = 2\n", "t.toml");
    ASSERT_TRUE(parsed.ok()) << c.listen << ": " << parsed.error().to_string();
    EXPECT_EQ(parsed->metrics->host, c.host) << c.listen;
    EXPECT_EQ(parsed->metrics->port, c.port) << c.listen;
    EXPECT_EQ(parsed->metrics->listen, c.listen);
    EXPECT_EQ(parsed->metrics->max_connections, 2u);
  }

  // From the command line, a bare port arrives as a number.
  Config config = default_config("/var/lib/discrecd");
  ASSERT_TRUE(apply_override(config, "metrics.listen=9465").ok());
  ASSERT_TRUE(config.metrics.has_value());
  EXPECT_EQ(config.metrics->host, "127.0.0.1");
  EXPECT_EQ(config.metrics->port, 9465);
  ASSERT_TRUE(apply_override(config, "metrics.listen=127.0.0.2:9466").ok());
  EXPECT_EQ(config.metrics->host, "127.0.0.2");
  EXPECT_EQ(config.metrics->port, 9466);
}

TEST(ConfigTest, BadMetricsAddressNamesTheKey) {
  for (const char* listen : {"localhost:9464", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:", "::1:9464",
                             "[::1:9464", "1.2.3:9464", "127.0.0.1:94x"}) {
    auto c = parse_config(std::string("[metrics]\nlisten = \"") + listen + "\"\n", "bad.toml");
    ASSERT_FALSE(c.ok()) << listen;
    EXPECT_NE(c.error().message().find("bad.toml:2:"), std::string::npos) << c.error().message();
    EXPECT_NE(c.error().message().find("key 'metrics.listen'"), std::string::npos) << c.error().message();
    EXPECT_NE(c.error().message().find(listen), std::string::npos) << c.error().message();
  }
  expect_error("[metrics]\nmax_connections = 0\n", "key 'metrics.max_connections'");
  expect_error("[metrics]\nport = 9464\n", "key 'metrics.port': unknown key");
  expect_error("[metrics]\nlisten = true\n", "key 'metrics.listen'");
}

TEST(ConfigTest, TcpNeedsTlsAndClientAuthentication) {
  expect_error("[daemon.tcp]\nlisten = \"0.0.0.0:50051\"\n", "TLS");
  expect_error(
      "[daemon.tcp]\nlisten = \"0.0.0.0:50051\"\ntls_cert_file = \"c\"\ntls_key_file = \"k\"\n",
      "client authentication");
  auto ok = parse_config(
      "[daemon.tcp]\nlisten = \"0.0.0.0:50051\"\ntls_cert_file = \"c\"\ntls_key_file = \"k\"\ntoken_file = \"t\"\n",
      "good.toml");
  EXPECT_TRUE(ok.ok()) << ok.error().to_string();
}

TEST(ConfigTest, CommandLineOverridesFollowTheFileRules) {
  Config c = default_config("/var/lib/discrecd");
  ASSERT_TRUE(apply_override(c, "daemon.socket=/tmp/other.sock").ok());
  EXPECT_EQ(c.socket_path, "/tmp/other.sock");
  ASSERT_TRUE(apply_override(c, "limits.max_recordings_per_drive=2").ok());
  EXPECT_EQ(c.max_recordings_per_drive, 2u);
  ASSERT_TRUE(apply_override(c, "drives.bd0.write_kbps=8991").ok());
  ASSERT_EQ(c.drives.size(), 1u);
  EXPECT_EQ(c.drives[0].write_kbps, 8991u);
  EXPECT_EQ(c.drives[0].uri, "sim:///var/lib/discrecd/bd0.img?profile=bd-re&speed=4");
  ASSERT_TRUE(apply_override(c, "drives.bd0.write_mode=streaming-required").ok());
  EXPECT_EQ(c.drives[0].write_mode, recorder::WriteMode::kStreamingRequired);
  EXPECT_EQ(c.drives[0].write_kbps, 8991u);  // the other keys stay
  ASSERT_TRUE(apply_override(c, "drives.dvd.uri=sg:///dev/sr1").ok());
  EXPECT_EQ(c.drives.size(), 2u);

  Config before = c;
  auto bad = apply_override(c, "limits.max_recordings_per_drive=-1");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(c.max_recordings_per_drive, before.max_recordings_per_drive) << "a refused override changes nothing";
  EXPECT_FALSE(apply_override(c, "noequals").ok());
  EXPECT_FALSE(apply_override(c, "nosection=1").ok());
  EXPECT_FALSE(apply_override(c, "drives.bad.uri=/dev/sda").ok());
}

TEST(ConfigTest, ReadsTheSourcePolicy) {
  discrec::test::TempDir dir;
  auto c = parse_config(R"(
[sources]
schemes = ["udp", "rtsp", "tcp"]
networks = ["192.168.10.0/24", "fd00::/8", "10.0.0.7"]
hosts = ["cam1.local"]
ports = ["554", "5000-5999"]
directories = [")" + dir.path() + R"(/"]
listen = true
listen_addresses = ["192.168.10.2"]
min_reconnect_interval_ms = 2500
url_options = { udp = ["localaddr"], tcp = [] }
)", "sources.toml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const auto& p = c->sources;
  EXPECT_EQ(p.schemes, (std::vector<std::string>{"udp", "rtsp", "tcp"}));
  ASSERT_EQ(p.networks.size(), 3u);
  EXPECT_EQ(to_string(p.networks[0]), "192.168.10.0/24");
  EXPECT_EQ(to_string(p.networks[2]), "10.0.0.7/32");
  EXPECT_EQ(p.hosts, std::vector<std::string>{"cam1.local"});
  ASSERT_EQ(p.ports.size(), 2u);
  EXPECT_EQ(p.ports[1], (recorder::ingest::PortRange{5000, 5999}));
  EXPECT_EQ(p.directories, std::vector<std::string>{dir.path()});  // trailing '/' dropped
  EXPECT_TRUE(p.listen);
  EXPECT_EQ(p.listen_addresses, std::vector<std::string>{"192.168.10.2"});
  EXPECT_EQ(p.min_reconnect_interval, std::chrono::milliseconds(2500));
  EXPECT_EQ(p.url_options.size(), 2u);
  EXPECT_EQ(p.url_options.at("udp"), std::vector<std::string>{"localaddr"});
  EXPECT_TRUE(p.url_options.at("tcp").empty());
  // What it allows: the listed camera LAN and files in the directory.
  EXPECT_TRUE(check_source(p, "rtsp://192.168.10.5:554/live").ok());
  EXPECT_FALSE(check_source(p, "rtsp://192.168.11.5:554/live").ok());
}

TEST(ConfigTest, BadSourcePolicyNamesLineAndKey) {
  expect_error("[sources]\nschemes = [\"udp\", \"file\"]\n", "bad.toml:2");
  expect_error("[sources]\nschemes = [\"udp\", \"file\"]\n", "sources.directories");
  expect_error("[sources]\nschemes = [\"pipe\"]\n", "sources.schemes");
  expect_error("[sources]\nschemes = \"udp\"\n", "must be an array of strings");
  expect_error("[sources]\n\nnetworks = [\"10.0.0.0/33\"]\n", "bad.toml:3");
  expect_error("[sources]\nnetworks = [\"10.0.0.0/33\"]\n", "sources.networks");
  expect_error("[sources]\nhosts = [\"127.1\"]\n", "sources.hosts");
  expect_error("[sources]\nports = [\"6000-5000\"]\n", "sources.ports");
  expect_error("[sources]\ndirectories = [\"relative/dir\"]\n", "sources.directories");
  expect_error("[sources]\ndirectories = [\"/nonexistent-discrec-dir\"]\n", "not an existing directory");
  expect_error("[sources]\ndirectories = [\"/tmp/../etc\"]\n", "'..'");
  expect_error("[sources]\nlisten = \"yes\"\n", "sources.listen");
  expect_error("[sources]\nlisten_addresses = [\"0.0.0.0/0\"]\n", "sources.listen_addresses");
  expect_error("[sources]\nurl_options = { ftp = [\"x\"] }\n", "sources.url_options.ftp");
  expect_error("[sources]\nurl_options = { udp = [\"fifo size\"] }\n", "sources.url_options.udp");
  expect_error("[sources]\nmin_reconnect_interval_ms = 5\n", "sources.min_reconnect_interval_ms");
  expect_error("[sources]\nwhatever = 1\n", "sources.whatever");
}

TEST(ConfigTest, ReadsAccessAndPeerLimitKeys) {
  auto c = parse_config(R"(
[daemon]
socket_mode = "0666"
socket_mode_force = true
socket_group = "cdrom"
sim_directories = ["/srv/images"]
drive_quirks = "/etc/discrecd/drive-quirks.txt"
[daemon.tcp]
listen = "0.0.0.0:50051"
tls_cert_file = "c"
tls_key_file = "k"
token_file = "t"
observe_token_file = "o"
admin_token_file = "a"
allow_readable_secrets = true
[limits]
max_watch_streams_per_peer = 5
max_connections = 100
max_connections_per_uid = 10
max_calls = 20
max_calls_per_peer = 4
[access]
admin_uids = [1000]
control_uids = [1001, 1002]
observe_uids = [1003]
admin_groups = ["wheel"]
control_groups = ["video", 44]
observe_groups = [100]
socket_group_role = "observe"
others = "observe"
[drives.bd0]
uri = "sim:///srv/images/bd0.img"
)",
                        "t.toml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->socket_mode, 0666u);
  EXPECT_TRUE(c->socket_mode_force);
  EXPECT_EQ(c->socket_group, "cdrom");
  EXPECT_EQ(c->sim_directories, std::vector<std::string>{"/srv/images"});
  EXPECT_EQ(c->drive_quirks_file, "/etc/discrecd/drive-quirks.txt");
  EXPECT_EQ(c->tcp->observe_token_file, "o");
  EXPECT_EQ(c->tcp->admin_token_file, "a");
  EXPECT_TRUE(c->tcp->allow_readable_secrets);
  EXPECT_EQ(c->max_watch_streams_per_peer, 5u);
  EXPECT_EQ(c->max_connections, 100u);
  EXPECT_EQ(c->max_connections_per_uid, 10u);
  EXPECT_EQ(c->max_calls, 20u);
  EXPECT_EQ(c->max_calls_per_peer, 4u);
  EXPECT_EQ(c->access.admin_uids, std::vector<uint32_t>{1000});
  EXPECT_EQ(c->access.control_uids, (std::vector<uint32_t>{1001, 1002}));
  EXPECT_EQ(c->access.observe_uids, std::vector<uint32_t>{1003});
  EXPECT_EQ(c->access.admin_groups, std::vector<std::string>{"wheel"});
  EXPECT_EQ(c->access.control_groups, (std::vector<std::string>{"video", "44"}));
  EXPECT_EQ(c->access.observe_groups, std::vector<std::string>{"100"});
  EXPECT_EQ(c->access.socket_group_role, Role::kObserve);
  EXPECT_EQ(c->access.others_role, Role::kObserve);
}

TEST(ConfigTest, DefaultAccessKeepsTheSocketGroupInControlAndStrangersOut) {
  const Config c;
  EXPECT_EQ(c.access.socket_group_role, Role::kControl);
  EXPECT_EQ(c.access.others_role, Role::kNone);
  EXPECT_LT(c.max_connections + 128, 4096u) << "LimitNOFILE in daemon/discrecd.service";
  EXPECT_NE(discrec::test::read_file(discrec::test::source_path("daemon/discrecd.service")).find("LimitNOFILE=4096"),
            std::string::npos);
}

TEST(ConfigTest, RefusesWideSocketModesAndBadAccessKeys) {
  expect_error("[daemon]\nsocket_mode = \"0666\"\n", "socket_mode_force");
  expect_error("[daemon]\nsocket_mode = \"0770\"\n", "socket_mode_force");
  auto forced = parse_config("[daemon]\nsocket_mode = \"0666\"\nsocket_mode_force = true\n", "ok.toml");
  EXPECT_TRUE(forced.ok()) << forced.error().to_string();
  expect_error("[access]\nothers = \"root\"\n", "access.others");
  expect_error("[access]\ncontrol_uids = [\"alice\"]\n", "access.control_uids");
  expect_error("[access]\ncontrol_groups = [-1]\n", "access.control_groups");
  expect_error("[access]\nsuperusers = []\n", "access.superusers");
  expect_error("[limits]\nmax_calls = 0\n", "limits.max_calls");
  expect_error("[daemon]\nsocket_mode_force = \"yes\"\n", "daemon.socket_mode_force");
}

TEST(ConfigTest, SimImagesStayInsideTheAllowedDirectories) {
  expect_error("[drives.bd0]\nuri = \"sim:///dev/loop0\"\n", "outside the allowed directories");
  expect_error("[drives.bd0]\nuri = \"sim:///var/lib/discrecd/../../../etc/passwd\"\n", "'..'");
  expect_error("[drives.bd0]\nuri = \"sim:///var/lib/discrecdx/bd0.img\"\n", "outside the allowed directories");
  expect_error("[daemon]\nsim_directories = [\"images\"]\n", "daemon.sim_directories");
  auto allowed = parse_config(
      "[daemon]\nsim_directories = [\"/srv/images\"]\n[drives.bd0]\nuri = \"sim:///srv/images/a/bd0.img?profile=bd-r\"\n",
      "ok.toml");
  EXPECT_TRUE(allowed.ok()) << allowed.error().to_string();
  Config c = default_config("/var/lib/discrecd");
  EXPECT_FALSE(apply_override(c, "drives.bd0.uri=sim:///etc/shadow").ok());
  EXPECT_TRUE(apply_override(c, "daemon.socket_mode_force=true").ok());
  EXPECT_TRUE(c.socket_mode_force);
}

}  // namespace
}  // namespace discrec::daemon
