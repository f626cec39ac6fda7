// A rewritable disc as a library: recordings added to the volume a finalized
// BD-RE already holds (after a restart too), deleted to give their space
// back, and a metadata update cut by a write error or a reset leaving the
// old volume whole. The session on the emulated drive, synthetic sources.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <unistd.h>

#include "recorder/session/recorder.h"
#include "recorder/udf/volume_reader.h"
#include "tests/recorder/session/session_test_support.h"
#include "tests/support/process.h"

namespace discrec::recorder {
namespace {

using namespace std::chrono_literals;
using test::SyntheticSources;

class DiscAppendTest : public ::testing::Test {
 protected:
  DiscAppendTest() { sources_ = std::make_shared<SyntheticSources>(); }

  RecorderOptions options() const {
    RecorderOptions o;
    o.state_directory = dir_.path();
    o.ring_memory_bytes = 256ull << 20;
    o.default_ring_bytes = 8ull << 20;
    o.tick_interval = 100ms;
    o.disc_space_warnings = {};
    return o;
  }
  // A small BD-RE (blocks: 40,000 x 2 KiB = 80 MB) so a recording can fill
  // what another freed.
  std::string uri(const std::string& faults = "") const {
    std::string u = test::sim_uri(dir_.path() + "/bdre.img") + "?profile=bd-re&blocks=40000&timing=off";
    if (!faults.empty()) {
      std::ofstream(dir_.path() + "/faults.txt") << faults << "\n";
      u += "&faults=" + dir_.path() + "/faults.txt";
    }
    return u;
  }
  std::string image() const { return dir_.path() + "/bdre.img"; }

  // Records a file of `bytes` (as fast as the drive takes it) and finalizes.
  std::string record(Recorder& recorder, uint64_t bytes, const std::string& title) {
    sources_->add("", {0, bytes});  // an upload opens no URL: a file as fast as it is taken
    int fds[2];
    EXPECT_TRUE(test::make_pipe(fds));
    ::close(fds[1]);
    StartRecordingParams p;
    p.drive_id = "bd0";
    p.source_url = "file:///" + title + ".ts";
    p.upload_fd = std::make_shared<SourceFd>(fds[0]);
    p.title = title;
    p.expected_bitrate_bps = 4'000'000;
    auto rec = recorder.start_recording(p);
    EXPECT_TRUE(rec.ok()) << rec.error().to_string();
    if (!rec.ok()) return "";
    EXPECT_TRUE(eventually([&] { return recorder.get_recording("bd0", rec->id)->state == RecordingState::kStopped; }));
    return rec->id;
  }

  // The files the image's volume lists in /DISCREC, name -> size.
  std::map<std::string, uint64_t> files_on_disc() const {
    std::map<std::string, uint64_t> out;
    auto source = udf::ImageFileSectorSource::open(image());
    EXPECT_TRUE(source.ok());
    if (!source.ok()) return out;
    auto volume = udf::read_volume(*source);
    EXPECT_TRUE(volume.ok()) << volume.error().to_string();
    if (!volume.ok()) return out;
    for (const auto& f : volume->files)
      if (!f.directory) out[f.path] = f.size;
    return out;
  }
  // The bytes of the file whose name holds `id`.
  std::vector<uint8_t> content_of(const std::string& id) const {
    auto source = udf::ImageFileSectorSource::open(image());
    auto volume = udf::read_volume(*source);
    for (const auto& f : volume->files) {
      if (f.directory || f.path.find("_" + id + "_") == std::string::npos) continue;
      std::vector<uint8_t> bytes(f.size);
      EXPECT_TRUE(udf::read_file_bytes(*source, f, 0, bytes).ok());
      return bytes;
    }
    ADD_FAILURE() << "no file of " << id;
    return {};
  }
  uint32_t first_lba_of(const std::string& id) const {
    auto source = udf::ImageFileSectorSource::open(image());
    auto volume = udf::read_volume(*source);
    for (const auto& f : volume->files)
      if (!f.directory && f.path.find("_" + id + "_") != std::string::npos) return f.extents.front().lba;
    return 0;
  }

  template <typename F>
  static bool eventually(F done, Nanos timeout = 30s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }

  test::TempDir dir_;
  std::shared_ptr<SyntheticSources> sources_;
};

TEST_F(DiscAppendTest, RecordingsAreAddedToTheVolumeAcrossRestartsAndDeletedToMakeRoom) {
  std::string monday, tuesday;
  std::vector<uint8_t> monday_bytes;
  {
    Recorder recorder(options(), sources_);
    ASSERT_TRUE(recorder.add_drive({"bd0", uri()}).ok());
    monday = record(recorder, 40'000'000, "monday");
    auto fin = recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {});
    ASSERT_TRUE(fin.ok()) << fin.error().to_string();
    monday_bytes = content_of(monday);
    // What was sent, and the stuffing that rounds its last unit.
    ASSERT_GE(monday_bytes.size(), 40'000'000u / 188 * 188);
    ASSERT_LT(monday_bytes.size(), 40'000'000u + (1u << 20));

    // The finalized BD-RE is a library: its volume and free space are known.
    auto drive = recorder.get_drive("bd0");
    ASSERT_TRUE(drive->volume.has_value());
    EXPECT_EQ(drive->volume->recordings, 1u);
    EXPECT_EQ(drive->volume->not_appendable, "");
    EXPECT_GT(drive->volume->recordable_blocks, 10'000u);
    EXPECT_LT(drive->volume->recordable_blocks, 40'000u - 19'500u);

    tuesday = record(recorder, 6'000'000, "tuesday");
    ASSERT_NE(tuesday, monday) << "ids on the disc are not given again";
    fin = recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {});
    ASSERT_TRUE(fin.ok()) << fin.error().to_string();
    EXPECT_NE(fin->summary.find("added"), std::string::npos) << fin->summary;
    EXPECT_EQ(files_on_disc().size(), 2u);
    EXPECT_TRUE(content_of(monday) == monday_bytes) << "an earlier recording is never rewritten";
  }
  // After a restart: the disc is recognised as a volume with two recordings.
  std::string wednesday;
  {
    Recorder recorder(options(), sources_);
    ASSERT_TRUE(recorder.add_drive({"bd0", uri()}).ok());
    ASSERT_TRUE(eventually([&] { return recorder.get_drive("bd0")->volume.has_value(); }));
    EXPECT_EQ(recorder.get_drive("bd0")->volume->recordings, 2u);
    const uint64_t free_before = recorder.get_drive("bd0")->volume->recordable_blocks;
    wednesday = record(recorder, 6'000'000, "wednesday");
    ASSERT_NE(wednesday, monday);
    ASSERT_NE(wednesday, tuesday);
    ASSERT_TRUE(recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {}).ok());
    EXPECT_EQ(files_on_disc().size(), 3u);
    EXPECT_LT(recorder.get_drive("bd0")->volume->recordable_blocks, free_before);
    // 30 MB (14,650 blocks) would not fit after Monday, Tuesday and Wednesday...
    EXPECT_LT(recorder.get_drive("bd0")->volume->recordable_blocks, 14'650u);

    // ... until Monday is deleted: its space is the longest free run now.
    auto missing = recorder.delete_from_disc("bd0", "no-such-recording");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
    auto deleted = recorder.delete_from_disc("bd0", monday);
    ASSERT_TRUE(deleted.ok()) << deleted.error().to_string();
    EXPECT_EQ(deleted->files, 1u);
    EXPECT_EQ(files_on_disc().size(), 2u);
    EXPECT_GT(recorder.get_drive("bd0")->volume->recordable_blocks, 19'000u);
    const std::string thursday = record(recorder, 30'000'000, "thursday");
    ASSERT_TRUE(recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {}).ok());
    EXPECT_EQ(files_on_disc().size(), 3u);
    EXPECT_LT(first_lba_of(thursday), first_lba_of(tuesday)) << "recorded into the freed space";
    EXPECT_GE(content_of(thursday).size(), 30'000'000u / 188 * 188);
    auto verified = recorder.verify_disc("bd0", [](const DiscProgress&) {});
    ASSERT_TRUE(verified.ok()) << verified.error().to_string();
    EXPECT_TRUE(verified->mismatches.empty());
  }
}

TEST_F(DiscAppendTest, AnAppendedDiscLeftOpenIsTakenUpAndItsVolumeUpdatedAfterARestart) {
  std::string first, second;
  {
    Recorder recorder(options(), sources_);
    ASSERT_TRUE(recorder.add_drive({"bd0", uri()}).ok());
    first = record(recorder, 5'000'000, "first");
    ASSERT_TRUE(recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {}).ok());
    second = record(recorder, 5'000'000, "second");
    // The Recorder goes without finalizing: the journal keeps the disc open.
  }
  EXPECT_EQ(files_on_disc().size(), 1u) << "until finalize, the volume is the old one";
  Recorder recorder(options(), sources_);
  ASSERT_TRUE(recorder.add_drive({"bd0", uri()}).ok());
  recorder.start_recovery();
  ASSERT_TRUE(eventually([&] {
    auto r = recorder.get_recording("bd0", second);
    return r.ok() && r->state == RecordingState::kRecovered;
  })) << recorder.get_drive("bd0")->not_ready_reason;
  auto fin = recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {});
  ASSERT_TRUE(fin.ok()) << fin.error().to_string();
  EXPECT_EQ(files_on_disc().size(), 2u);
  EXPECT_GE(content_of(first).size(), 5'000'000u / 188 * 188);
  EXPECT_GE(content_of(second).size(), 5'000'000u / 188 * 188);
}

// Each step of the update (new metadata, the switch at 256, the copies)
// failing in turn: the disc keeps a readable volume, the old one until the
// switch took, and finalizing again completes the update.
TEST_F(DiscAppendTest, AnUpdateCutAtEachStepLeavesAReadableVolumeAndCompletesWhenRetried) {
  struct Cut {
    std::string fault;
    std::set<size_t> files_after_cut;  // the old volume (1) or the new one (2), whole
    bool fails = true;                 // false: the reliable policy's retry gets past it
  };
  // Where a first finalize puts the reserve sequence (the disc's last unit).
  uint32_t reserve_vds = 0;
  const auto make_base = [&] {
    std::filesystem::remove(image());
    std::filesystem::remove(image() + ".state");
    Recorder recorder(options(), sources_);
    ASSERT_TRUE(recorder.add_drive({"bd0", uri()}).ok());
    record(recorder, 3'000'000, "base");
    ASSERT_TRUE(recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {}).ok());
    auto source = udf::ImageFileSectorSource::open(image());
    ASSERT_TRUE(source.ok());
    auto volume = udf::read_volume(*source);
    ASSERT_TRUE(volume.ok());
    reserve_vds = volume->reserve_vds.lba;
  };
  make_base();
  ASSERT_GT(reserve_vds, 30'000u);
  // The new sequence (slot 96), the switch at 256 (failing, or the drive
  // resetting under it), the reserve sequence copied after the switch.
  // A failed write of 256 may or may not have reached the medium (the
  // emulated drive keeps the bytes, and reads the sector as damaged after).
  for (const Cut& cut : {Cut{"write-error lba=96-159 count=4", {1}}, Cut{"write-error lba=256 count=4", {1, 2}},
                         Cut{"reset lba=256 opcode=0xaa count=1", {2}, false},
                         Cut{"reset lba=256 opcode=0xaa executed=1 count=1", {2}, false},
                         Cut{"write-error lba=" + std::to_string(reserve_vds) + " count=4", {2}}}) {
    SCOPED_TRACE(cut.fault);
    make_base();
    Recorder recorder(options(), sources_);
    ASSERT_TRUE(recorder.add_drive({"bd0", uri(cut.fault)}).ok());
    ASSERT_TRUE(eventually([&] { return recorder.get_drive("bd0")->volume.has_value(); }));
    record(recorder, 3'000'000, "added");
    auto fin = recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {});
    EXPECT_EQ(fin.ok(), !cut.fails) << (fin.ok() ? fin->summary : fin.error().to_string());
    EXPECT_TRUE(cut.files_after_cut.count(files_on_disc().size())) << files_on_disc().size();
    if (!fin.ok()) {
      auto again = recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {});
      ASSERT_TRUE(again.ok()) << again.error().to_string();
    }
    EXPECT_EQ(files_on_disc().size(), 2u);
  }
}

// A recording that says how long it runs is refused at once when the disc
// holds less at its bitrate: blank, or a library after a recording.
TEST_F(DiscAppendTest, ARecordingLongerThanTheDiscHoldsIsRefusedBeforeItStarts) {
  Recorder recorder(options(), sources_);
  ASSERT_TRUE(recorder.add_drive({"bd0", uri()}).ok());
  StartRecordingParams p;
  p.drive_id = "bd0";
  p.source_url = "udp://239.0.0.1:5012";
  p.expected_bitrate_bps = 4'000'000;
  p.expected_duration = std::chrono::hours(1);  // 1.8 GB onto an 80 MB disc
  auto refused = recorder.start_recording(p);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(refused.error().message().find("holds about"), std::string::npos) << refused.error().message();
  record(recorder, 3'000'000, "short");
  ASSERT_TRUE(recorder.finalize_disc("bd0", {}, [](const DiscProgress&) {}).ok());
  refused = recorder.start_recording(p);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kResourceExhausted) << refused.error().to_string();
  // What fits is admitted.
  sources_->add(p.source_url, {4'000'000, 500'000});
  p.expected_duration = std::chrono::seconds(60);
  auto fits = recorder.start_recording(p);
  EXPECT_TRUE(fits.ok()) << fits.error().to_string();
}

// A write-once disc in sessions: finalize without closing leaves the BD-R
// appendable; the next recording (after a restart too) opens a session
// whose volume lists every recording; closing the disc ends it.
TEST_F(DiscAppendTest, AWriteOnceDiscTakesRecordingsInSessionsUntilItIsClosed) {
  const std::string bdr = test::sim_uri(dir_.path() + "/bdr.img") + "?profile=bd-r&blocks=60000&timing=off";
  const std::string bdr_image = dir_.path() + "/bdr.img";
  FinalizeParams keep_open;
  keep_open.close_disc = false;
  keep_open.volume_label = "SERIES";
  std::vector<std::string> ids;
  {
    Recorder recorder(options(), sources_);
    ASSERT_TRUE(recorder.add_drive({"bd0", bdr}).ok());
    ids.push_back(record(recorder, 3'000'000, "episode one"));
    auto fin = recorder.finalize_disc("bd0", keep_open, [](const DiscProgress&) {});
    ASSERT_TRUE(fin.ok()) << fin.error().to_string();
    ids.push_back(record(recorder, 2'000'000, "episode two"));
    fin = recorder.finalize_disc("bd0", keep_open, [](const DiscProgress&) {});
    ASSERT_TRUE(fin.ok()) << fin.error().to_string();
  }
  Recorder recorder(options(), sources_);
  ASSERT_TRUE(recorder.add_drive({"bd0", bdr}).ok());
  ids.push_back(record(recorder, 2'500'000, "episode three"));
  for (const auto& id : ids) ASSERT_FALSE(id.empty());
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 3u) << "ids on the disc are not given again";
  FinalizeParams close;
  auto fin = recorder.finalize_disc("bd0", close, [](const DiscProgress&) {});
  ASSERT_TRUE(fin.ok()) << fin.error().to_string();
  auto verified = recorder.verify_disc("bd0", [](const DiscProgress&) {});
  ASSERT_TRUE(verified.ok()) << verified.error().to_string();
  EXPECT_EQ(verified->files, 3u) << "verify reads the last session's volume: " << verified->summary;
  auto refused = recorder.start_recording([&] {
    StartRecordingParams p;
    p.drive_id = "bd0";
    p.source_url = "udp://239.0.0.1:5010";
    p.expected_bitrate_bps = 1'000'000;
    return p;
  }());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("takes no more recordings"), std::string::npos) << refused.error().message();

  // The last session's volume lists all three under the first label; the
  // first session's (what readers that look only at 256 see) the first one.
  auto source = udf::ImageFileSectorSource::open(bdr_image);
  ASSERT_TRUE(source.ok());
  auto first = udf::read_volume(*source);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->files.size(), 2u) << "/DISCREC and episode one";
  uint32_t last_session = 0;
  for (uint32_t lba = 0; lba + 257 < source->sector_count(); lba += 32) {
    auto v = udf::read_volume_at(*source, lba);
    if (v.ok() && v->session_start == lba && lba > 0) last_session = lba;
  }
  ASSERT_GT(last_session, 0u);
  auto last = udf::read_volume_at(*source, last_session);
  ASSERT_TRUE(last.ok()) << last.error().to_string();
  EXPECT_EQ(last->label, "SERIES");
  std::set<std::string> names;
  for (const auto& f : last->files)
    if (!f.directory) {
      names.insert(f.path);
      std::vector<uint8_t> bytes(f.size);
      EXPECT_TRUE(udf::read_file_bytes(*source, f, 0, bytes).ok());
      EXPECT_EQ(bytes[0], 0x47) << f.path << ": a TS packet";
    }
  ASSERT_EQ(names.size(), 3u);
  for (const auto& id : ids)
    EXPECT_TRUE(std::any_of(names.begin(), names.end(), [&](const std::string& n) {
      return n.find("_" + id + "_") != std::string::npos;
    })) << id;
}

}  // namespace
}  // namespace discrec::recorder
