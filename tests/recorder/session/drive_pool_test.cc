// Recordings that span discs: the switch between parts (segment_feed.h) on
// its own, and a DrivePool handing a recording over between emulated drives
// with small discs, fed by synthetic sources.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <unistd.h>

#include "recorder/session/drive_pool.h"
#include "recorder/session/recorder.h"
#include "recorder/session/segment_feed.h"
#include "tests/recorder/session/session_test_support.h"
#include "tests/support/process.h"
#include "device/changer.h"
#include <set>

namespace discrec::recorder {
namespace {

using namespace std::chrono_literals;

// A part's sink that keeps what it is given.
class CollectingSink final : public TsSink {
 public:
  Status write_packets(std::span<const uint8_t> packets, bool gop_start) override {
    if (gop_start) gop_offsets.push_back(bytes.size());
    bytes.insert(bytes.end(), packets.begin(), packets.end());
    return {};
  }
  void source_gap(TimePoint, Nanos) override {}
  std::vector<uint8_t> bytes;
  std::vector<size_t> gop_offsets;
};

std::vector<uint8_t> packet(uint16_t pid, bool unit_start, uint8_t fill) {
  std::vector<uint8_t> p(kTsPacketSize, fill);
  p[0] = 0x47;
  p[1] = static_cast<uint8_t>((unit_start ? 0x40 : 0) | (pid >> 8));
  p[2] = static_cast<uint8_t>(pid & 0xFF);
  p[3] = 0x10;
  return p;
}

// A PAT naming program 1 at PMT PID 0x1000, and that PMT: one packet each.
std::vector<uint8_t> pat_packet() {
  auto p = packet(0, true, 0xFF);
  const uint8_t section[] = {0x00, 0x00, 0xB0, 0x0D, 0x00, 0x01, 0xC1, 0x00, 0x00,
                             0x00, 0x01, 0xF0, 0x00, 0x2A, 0xB1, 0x04, 0xB2};
  std::copy(std::begin(section), std::end(section), p.begin() + 4);
  return p;
}
std::vector<uint8_t> pmt_packet() {
  auto p = packet(0x1000, true, 0xFF);
  const uint8_t section[] = {0x00, 0x02, 0xB0, 0x12, 0x00, 0x01, 0xC1, 0x00, 0x00, 0xE1, 0x00, 0xF0,
                             0x00, 0x1B, 0xE1, 0x00, 0xF0, 0x00, 0x00, 0x00, 0x00, 0x00};
  std::copy(std::begin(section), std::end(section), p.begin() + 4);
  return p;
}

TEST(SegmentSwitchTest, MovesToTheArmedPartAtTheNextGopStartWithTheProgramTablesFirst) {
  auto first = std::make_shared<SegmentFeed>(false, nullptr);
  auto second = std::make_shared<SegmentFeed>(false, nullptr);
  CollectingSink sink1, sink2;
  auto source1 = first->make_source(sink1);
  auto source2 = second->make_source(sink2);
  Status ended1 = Error(ErrorCode::kInternal, "still running");
  std::thread run1([&] { ended1 = source1->run(); });

  SegmentSwitch sw(first);
  std::vector<uint8_t> gop1 = pat_packet();
  auto pmt = pmt_packet();
  gop1.insert(gop1.end(), pmt.begin(), pmt.end());
  auto video = packet(0x100, true, 1);
  gop1.insert(gop1.end(), video.begin(), video.end());
  ASSERT_TRUE(sw.write_packets(gop1, true).ok());
  EXPECT_EQ(sw.program_tables().size(), 2 * kTsPacketSize);

  sw.arm(second);
  // Within a GOP nothing moves.
  auto middle = packet(0x100, false, 2);
  ASSERT_TRUE(sw.write_packets(middle, false).ok());
  EXPECT_EQ(sink2.bytes.size(), 0u);
  EXPECT_EQ(sw.parts_begun(), 1u);
  // The next GOP start goes to the second part, after the tables.
  auto key = packet(0x100, true, 3);
  ASSERT_TRUE(sw.write_packets(key, true).ok());
  EXPECT_EQ(sw.parts_begun(), 2u);
  run1.join();
  EXPECT_TRUE(ended1.ok()) << ended1.error().to_string();  // the first part ended like a file that ended
  EXPECT_EQ(sink1.bytes.size(), gop1.size() + middle.size());
  ASSERT_EQ(sink2.bytes.size(), 3 * kTsPacketSize);
  EXPECT_EQ(std::vector<uint8_t>(sink2.bytes.begin(), sink2.bytes.begin() + 2 * kTsPacketSize), sw.program_tables());
  EXPECT_EQ(std::vector<uint8_t>(sink2.bytes.begin() + 2 * kTsPacketSize, sink2.bytes.end()), key);
  EXPECT_EQ(sink2.gop_offsets, std::vector<size_t>{0});  // tables and key frame: one GOP
  // The finished part takes nothing more.
  EXPECT_EQ(first->write_packets(key, true).error().code(), ErrorCode::kAborted);
  source2->stop();
  EXPECT_EQ(source2->run().error().code(), ErrorCode::kAborted);
}

TEST(SegmentSwitchTest, AStoppedPartEndsTheRecordingAndADestroyedOneIsNeverWrittenAgain) {
  auto feed = std::make_shared<SegmentFeed>(false, nullptr);
  SegmentSwitch sw(feed);
  {
    CollectingSink sink;
    auto source = feed->make_source(sink);
    ASSERT_TRUE(sw.write_packets(packet(0x100, true, 1), true).ok());
    source->stop();
    EXPECT_EQ(sw.write_packets(packet(0x100, true, 1), true).error().code(), ErrorCode::kAborted);
  }
  EXPECT_EQ(sw.write_packets(packet(0x100, true, 1), true).error().code(), ErrorCode::kAborted);
}

class DrivePoolTest : public ::testing::Test {
 protected:
  DrivePoolTest() { sources_ = std::make_shared<test::SyntheticSources>(); }

  RecorderOptions options() const {
    RecorderOptions o;
    o.state_directory = dir_.path();
    o.ring_memory_bytes = 256ull << 20;
    o.default_ring_bytes = 16ull << 20;
    o.tick_interval = 100ms;
    o.disc_space_warnings = {};
    return o;
  }
  std::string sim(const std::string& name, const std::string& params) const {
    return test::sim_uri(dir_.path() + "/" + name + ".img") + "?" + params;
  }
  template <typename F>
  static bool eventually(F done, Nanos timeout = 60s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }
  // Waits until the pooled recording has ended and every part but the last
  // has finished its disc (verified, or failed).
  static bool all_done(const RecordingInfo& info) {
    if (info.state != RecordingState::kStopped && info.state != RecordingState::kFailed) return false;
    for (size_t i = 0; i + 1 < info.parts.size(); ++i)
      if (info.parts[i].state != "verified" && info.parts[i].state != "failed" &&
          !(info.parts[i].state == "finalized" && info.parts[i].slot))
        return false;
    return true;
  }

  test::TempDir dir_;
  std::shared_ptr<test::SyntheticSources> sources_;
};

TEST_F(DrivePoolTest, AFileLongerThanADiscGoesOnInTheNextDriveAndTheFullDiscIsFinalizedAndVerified) {
  Recorder recorder(options(), sources_);
  // BD-Rs of 200 MB each at 12x (54 MB/s): a file fills one in 4 s.
  for (std::string d : {"bd0", "bd1", "bd2"})
    ASSERT_TRUE(recorder.add_drive({d, sim(d, "profile=bd-r&speed=12&blocks=100000")}).ok());
  PoolSpec spec;
  spec.id = "archive";
  spec.drives = {"bd0", "bd1", "bd2"};
  spec.prepare_margin = 1s;
  ASSERT_TRUE(recorder.add_pool(spec).ok());
  EXPECT_FALSE(recorder.add_pool(spec).ok());  // taken
  EXPECT_FALSE(recorder.add_pool({"bd0", {"bd1"}}).ok());  // a drive's name
  EXPECT_FALSE(recorder.add_pool({"p", {"nope"}}).ok());

  const uint64_t total = 300'000'000 / 188 * 188;
  sources_->add("", {0, total});  // an upload opens no URL: a file as fast as it is taken
  int fds[2];
  ASSERT_TRUE(test::make_pipe(fds));
  ::close(fds[1]);
  StartRecordingParams p;
  p.drive_id = "archive";
  p.source_url = "file:///long.ts";
  p.upload_fd = std::make_shared<SourceFd>(fds[0]);
  p.title = "Night watch";
  p.expected_bitrate_bps = 8'000'000;
  auto started = recorder.start_recording(p);
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  EXPECT_EQ(started->drive_id, "archive");
  ASSERT_EQ(started->parts.size(), 1u);
  EXPECT_EQ(started->parts[0].drive_id, "bd0");

  RecordingInfo info;
  ASSERT_TRUE(eventually([&] {
    info = *recorder.get_recording("archive", started->id);
    return all_done(info);
  }, 120s)) << "state " << recording_state_name(info.state) << ", parts " << info.parts.size() << " error "
            << info.error << " part 1 " << info.parts[0].state << " " << info.parts[0].note;
  EXPECT_EQ(info.state, RecordingState::kStopped) << info.error;
  ASSERT_EQ(info.parts.size(), 2u);
  EXPECT_EQ(info.parts[0].drive_id, "bd0");
  EXPECT_EQ(info.parts[1].drive_id, "bd1");
  EXPECT_EQ(info.parts[0].state, "verified") << info.parts[0].note;
  EXPECT_EQ(info.parts[0].volume_label, "Night watch 1");
  EXPECT_EQ(info.parts[1].state, "ended");
  // Every byte of the source is on one disc or the other, none shed or lost.
  EXPECT_EQ(info.stats.bytes_in, total);
  EXPECT_EQ(info.stats.bytes_written, total);
  EXPECT_EQ(info.stats.shed_bytes, 0u);
  EXPECT_EQ(info.stats.lost_bytes, 0u);
  EXPECT_EQ(info.parts[0].bytes + info.parts[1].bytes, total);
  EXPECT_GT(info.parts[0].bytes, 150'000'000u);  // the first disc was used, not abandoned early
  // The parts are recordings of their drives too.
  auto part1 = recorder.get_recording("bd0", started->id + "-part1");
  ASSERT_TRUE(part1.ok());
  EXPECT_EQ(part1->stats.bytes_written, info.parts[0].bytes);
  EXPECT_EQ(recorder.get_drive("bd0")->disc_state, "finalized");
  EXPECT_EQ(recorder.get_drive("bd1")->disc_state, "recording");
  // The third drive was made ready as the second disc neared its end; the
  // source ended first, so the pool let it go: its disc stays open (for the
  // next recording) with an empty part that the listing leaves out.
  EXPECT_EQ(recorder.get_drive("bd2")->disc_state, "recording");
  auto unused = recorder.get_recording("bd2", started->id + "-part3");
  ASSERT_TRUE(unused.ok());
  EXPECT_EQ(unused->stats.bytes_in, 0u);
}

TEST_F(DrivePoolTest, ALiveStreamIsHandedOverWithoutShedding) {
  Recorder recorder(options(), sources_);
  // Real time: BD-R at 2x (~9 MB/s) and a 40 Mbit/s stream over 100 MB discs.
  for (std::string d : {"bd0", "bd1"})
    ASSERT_TRUE(recorder.add_drive({d, sim(d, "profile=bd-r&speed=2&blocks=50000")}).ok());
  PoolSpec spec;
  spec.id = "live";
  spec.drives = {"bd0", "bd1"};
  spec.prepare_margin = 2s;
  ASSERT_TRUE(recorder.add_pool(spec).ok());
  const uint64_t total = 80'000'000 / 188 * 188;
  StartRecordingParams p;
  p.drive_id = "live";
  p.source_url = "udp://239.0.0.1:5010";
  p.expected_bitrate_bps = 40'000'000;
  p.ring_bytes = 8ull << 20;
  sources_->add(p.source_url, {40'000'000, total});
  auto started = recorder.start_recording(p);
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  RecordingInfo info;
  ASSERT_TRUE(eventually([&] {
    info = *recorder.get_recording("live", started->id);
    return all_done(info);
  }, 120s));
  ASSERT_EQ(info.parts.size(), 2u);
  for (const auto& part : info.parts)
    SCOPED_TRACE("part " + std::to_string(part.part) + " " + part.state + " " + std::to_string(part.bytes) + " " + part.note);
  EXPECT_EQ(info.stats.bytes_in, total);
  EXPECT_EQ(info.stats.bytes_written, total);
  EXPECT_EQ(info.stats.shed_gops, 0u);
  EXPECT_EQ(info.stats.shed_bytes, 0u);
  EXPECT_EQ(info.stats.missed_deadlines, 0u);
  EXPECT_EQ(info.parts[0].state, "verified") << info.parts[0].note;
}

TEST_F(DrivePoolTest, StoppingEndsTheRecordingInItsCurrentPartAndAPartMadeReadyIsReleased) {
  Recorder recorder(options(), sources_);
  for (std::string d : {"bd0", "bd1"})
    ASSERT_TRUE(recorder.add_drive({d, sim(d, "profile=bd-r&timing=off&blocks=60000")}).ok());
  PoolSpec spec;
  spec.id = "p";
  spec.drives = {"bd0", "bd1"};
  spec.prepare_margin = 24h;  // makes the next part ready at once
  ASSERT_TRUE(recorder.add_pool(spec).ok());
  StartRecordingParams p;
  p.drive_id = "p";
  p.source_url = "udp://239.0.0.1:5012";
  p.expected_bitrate_bps = 8'000'000;
  sources_->add(p.source_url, {8'000'000, 0});
  auto started = recorder.start_recording(p);
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  ASSERT_TRUE(eventually([&] { return recorder.get_recording("p", started->id)->parts.size() == 2; }));
  EXPECT_EQ(recorder.get_recording("p", started->id)->parts[1].state, "ready");
  std::this_thread::sleep_for(500ms);
  auto stopped = recorder.stop_recording("p", started->id);
  ASSERT_TRUE(stopped.ok());
  RecordingInfo info;
  ASSERT_TRUE(eventually([&] {
    info = *recorder.get_recording("p", started->id);
    return info.state == RecordingState::kStopped;
  }));
  EXPECT_GT(info.stats.bytes_written, 0u);
  EXPECT_EQ(info.parts[0].state, "ended");
  ASSERT_EQ(info.parts.size(), 1u);  // the part made ready held nothing: gone
  // Listing all recordings shows the pooled one and its parts on drives.
  auto all = recorder.list_recordings("");
  ASSERT_TRUE(all.ok());
  int pooled = 0, parts = 0;
  for (const auto& r : *all) {
    if (r.drive_id == "p") ++pooled;
    if (r.id.rfind(started->id + "-part", 0) == 0) ++parts;
  }
  EXPECT_EQ(pooled, 1);
  EXPECT_EQ(parts, 2);
  EXPECT_FALSE(recorder.get_recording("p", "nope").ok());
}

// A library of small BD-Rs (sim-changer://) feeding a pool of its two drives.
class ChangerPoolTest : public DrivePoolTest {
 protected:
  std::string library(int slots) const {
    return test::sim_uri(dir_.path() + "/lib", "sim-changer") + "?slots=" + std::to_string(slots) +
           "&drives=2&profile=bd-r&blocks=40000&speed=4&opc_ms=300&move_ms=50";
  }
  void add_pool(Recorder& recorder, int slots) {
    for (int n : {1, 2})
      ASSERT_TRUE(recorder.add_drive({"bd" + std::to_string(n), library(slots) + "&drive=" + std::to_string(n)}).ok());
    PoolSpec spec;
    spec.id = "jukebox";
    spec.drives = {"bd1", "bd2"};
    spec.prepare_margin = 1s;
    spec.changer_uri = library(slots);
    spec.prepare_margin = 10s;  // a move, OPC and speed take seconds
    // Each full disc must be finalized and back in its slot before the
    // other drive's disc fills (3 s here): without the read-back it is.
    spec.verify = false;
    spec.warn_blank_hours = std::chrono::hours(1000);
    ASSERT_TRUE(recorder.add_pool(spec).ok());
  }
  // A live stream at 40 Mbit/s: each 82 MB disc takes about 40 MB (the
  // rest is the hand-over's reserve), 8 s, in which the other drive's full
  // disc is finalized (4 s of closing), put back and a blank loaded.
  Result<RecordingInfo> start_live(Recorder& recorder, uint64_t bytes) {
    StartRecordingParams p;
    p.drive_id = "jukebox";
    p.source_url = "udp://239.0.0.1:5020";
    sources_->add(p.source_url, {40'000'000, bytes});
    p.title = "Vault";
    p.expected_bitrate_bps = 40'000'000;
    p.ring_bytes = 8ull << 20;
    return recorder.start_recording(p);
  }
};

TEST_F(ChangerPoolTest, TheChangerLoadsABlankForEachPartAndPutsEachFullDiscBackInItsSlot) {
  Recorder recorder(options(), sources_);
  add_pool(recorder, 6);
  auto events = recorder.events().subscribe("", 4096);
  const uint64_t total = 180'000'000 / 188 * 188;
  auto started = start_live(recorder, total);
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  RecordingInfo info;
  ASSERT_TRUE(eventually([&] {
    info = *recorder.get_recording("jukebox", started->id);
    if (!all_done(info)) return false;
    for (size_t i = 0; i + 1 < info.parts.size(); ++i)
      if (!info.parts[i].slot) return false;  // not yet back in its slot
    return true;
  }, 240s)) << recording_state_name(info.state) << " " << info.parts.size() << " parts " << info.error;
  ASSERT_GE(info.parts.size(), 4u) << [&] {
    std::string all;
    while (auto e = events->next(0ms)) all += e->drive_id + ": " + e->message + "\n";
    if (auto part1 = recorder.get_recording("bd1", started->id + "-part1"); part1.ok()) all += "part 1: " + part1->error + "\n";
    all += "bd1: " + recorder.get_drive("bd1")->not_ready_reason + "\n";
    return all;
  }();
  EXPECT_EQ(info.stats.bytes_written, total);
  EXPECT_EQ(info.stats.shed_bytes, 0u);
  std::set<uint32_t> slots;
  for (size_t i = 0; i + 1 < info.parts.size(); ++i) {
    EXPECT_EQ(info.parts[i].state, "finalized") << info.parts[i].note;
    ASSERT_TRUE(info.parts[i].slot);
    slots.insert(*info.parts[i].slot);
  }
  EXPECT_EQ(slots.size(), info.parts.size() - 1);  // each disc in a slot of its own
  // The catalog says the same, part by part.
  auto catalog = recorder.catalog(started->id);
  ASSERT_TRUE(catalog.ok()) << catalog.error().to_string();
  ASSERT_EQ(catalog->size(), info.parts.size());
  for (size_t i = 0; i + 1 < catalog->size(); ++i) {
    EXPECT_EQ((*catalog)[i].part, i + 1);
    EXPECT_EQ((*catalog)[i].pool, "jukebox");
    EXPECT_EQ((*catalog)[i].slot, info.parts[i].slot);
    EXPECT_EQ((*catalog)[i].state, CatalogState::kFinalized);
    EXPECT_EQ((*catalog)[i].label, "Vault " + std::to_string(i + 1));
  }
  // The changer's own view: the recorded discs sit in those slots.
  // The library's own record: the pool holds its changer (a second opener
  // is refused), and each recorded disc sits in the slot the part names.
  auto changer = device::Changer::open(library(6));
  ASSERT_FALSE(changer.ok());
  EXPECT_EQ(changer.error().code(), ErrorCode::kUnavailable);
}

TEST_F(ChangerPoolTest, RunningOutOfBlanksIsAnnouncedAheadAndWhenNoneAreLeft) {
  Recorder recorder(options(), sources_);
  add_pool(recorder, 2);
  auto events = recorder.events().subscribe("", 4096);
  auto started = start_live(recorder, 200'000'000 / 188 * 188);  // more than two discs hold
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  bool warned = false, none_left = false;
  const auto until = std::chrono::steady_clock::now() + 120s;
  while (!(warned && none_left) && std::chrono::steady_clock::now() < until) {
    auto e = events->next(200ms);
    if (!e) continue;
    if (e->message.find("blank disc(s) left in the changer last about") != std::string::npos) warned = true;
    if (e->message.find("no blank discs left in the changer") != std::string::npos) none_left = true;
  }
  EXPECT_TRUE(warned);
  EXPECT_TRUE(none_left);
  // The recording ends when its last disc is full, with what it holds kept.
  RecordingInfo info;
  ASSERT_TRUE(eventually([&] {
    info = *recorder.get_recording("jukebox", started->id);
    return info.state == RecordingState::kFailed || info.state == RecordingState::kStopped;
  }, 120s));
  EXPECT_EQ(info.parts.size(), 2u);
  EXPECT_GT(info.stats.bytes_written, 70'000'000u);
  // What the ring held when the last disc filled is all that is lost.
  EXPECT_LE(info.stats.lost_bytes, 8u << 20);
}

}  // namespace
}  // namespace discrec::recorder
