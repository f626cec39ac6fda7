// A disc across a restart, at the Recorder's level (no daemon, no gRPC): a
// Recorder records onto an emulated disc and is destroyed (what SIGTERM
// does), a new one on the same state directory takes the disc up. With
// the default policy the disc stays open, verifies, takes a new recording
// after the old one and finalizes into one file system with both; with
// finalize_after_restart it is closed at once.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "recorder/ingest/ffmpeg_sources.h"
#include "recorder/session/recorder.h"
#include "tests/support/process.h"

namespace discrec::recorder {
namespace {

using namespace std::chrono_literals;

class DriveSessionRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_program("ffmpeg")) FAIL() << "ffmpeg is not installed (setup.sh installs it)";
    std::string log;
    ASSERT_TRUE(test::make_test_stream(dir_.file("src.ts"), 3, "libx264", 25, "320x240", &log)) << log;
    options_.state_directory = dir_.path();
    options_.source_policy.directories = {dir_.path()};
    options_.journal_interval = 200ms;
    spec_ = {"bd0", "sim://" + dir_.file("bd0.img") + "?profile=bd-re&speed=4", 0};
  }

  // Records the test stream to its end.
  RecordingInfo record(Recorder& recorder, const std::string& title) {
    StartRecordingParams params;
    params.drive_id = "bd0";
    params.source_url = dir_.file("src.ts");
    params.title = title;
    params.expected_bitrate_bps = 2'000'000;
    auto started = recorder.start_recording(params);
    EXPECT_TRUE(started.ok()) << started.error().to_string();
    if (!started.ok()) return {};
    RecordingInfo info = *started;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (info.state != RecordingState::kStopped && info.state != RecordingState::kFailed &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
      info = *recorder.get_recording("bd0", started->id);
    }
    EXPECT_EQ(info.state, RecordingState::kStopped) << info.error;
    return info;
  }

  // Starts a Recorder on the state directory and waits until it has taken
  // up the journal (recovery runs on a thread of its own).
  std::unique_ptr<Recorder> restart(size_t recordings) {
    auto recorder = std::make_unique<Recorder>(options_, std::make_shared<ingest::FfmpegSources>());
    EXPECT_TRUE(recorder->add_drive(spec_).ok());
    recorder->start_recovery();
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto list = recorder->list_recordings("bd0");
      auto drive = recorder->get_drive("bd0");
      if (list.ok() && list->size() >= recordings && drive.ok() &&
          drive->not_ready_reason.find("crash journal") == std::string::npos)
        break;
      std::this_thread::sleep_for(50ms);
    }
    return recorder;
  }

  test::TempDir dir_;
  RecorderOptions options_;
  DriveSpec spec_;
};

TEST_F(DriveSessionRestartTest, ContinueKeepsTheDiscOpenForTheNextRecording) {
  RecordingInfo first;
  {
    Recorder recorder(options_, std::make_shared<ingest::FfmpegSources>());
    ASSERT_TRUE(recorder.add_drive(spec_).ok());
    first = record(recorder, "one");
    ASSERT_GT(first.stats.bytes_written, 0u);
  }
  auto recorder = restart(1);
  auto list = recorder->list_recordings("bd0");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, first.id);
  EXPECT_EQ((*list)[0].state, RecordingState::kRecovered);

  auto drive = recorder->get_drive("bd0");
  ASSERT_TRUE(drive.ok());
  EXPECT_EQ(drive->not_ready_reason, "");
  ASSERT_TRUE(drive->space.has_value()) << "an open disc shows where the next recording goes";
  EXPECT_GT(drive->space->used_blocks, 0u);
  const uint64_t next_before = drive->space->next_writable_address;
  EXPECT_EQ(next_before % 32, 0u) << "BD-RE: whole 64 KiB clusters";

  auto verified = recorder->verify_disc("bd0", [](const DiscProgress&) {});
  ASSERT_TRUE(verified.ok()) << verified.error().to_string();
  EXPECT_TRUE(verified->mismatches.empty());
  EXPECT_GT(verified->bytes, 0u);

  RecordingInfo second = record(*recorder, "two");
  EXPECT_NE(second.id, first.id);
  drive = recorder->get_drive("bd0");
  ASSERT_TRUE(drive.ok() && drive->space.has_value());
  EXPECT_GT(drive->space->next_writable_address, next_before) << "written after the old recording";

  FinalizeParams params;
  auto finalized = recorder->finalize_disc("bd0", params, [](const DiscProgress&) {});
  ASSERT_TRUE(finalized.ok()) << finalized.error().to_string();
  EXPECT_EQ(finalized->files, 2u);
  verified = recorder->verify_disc("bd0", [](const DiscProgress&) {});
  ASSERT_TRUE(verified.ok()) << verified.error().to_string();
  EXPECT_TRUE(verified->mismatches.empty());
  EXPECT_EQ(verified->files, 2u) << verified->summary;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("journal-bd0.bin")));
}

TEST_F(DriveSessionRestartTest, FinalizeAfterRestartClosesTheDisc) {
  options_.finalize_after_restart = true;
  {
    Recorder recorder(options_, std::make_shared<ingest::FfmpegSources>());
    ASSERT_TRUE(recorder.add_drive(spec_).ok());
    record(recorder, "one");
  }
  auto recorder = restart(1);
  auto drive = recorder->get_drive("bd0");
  ASSERT_TRUE(drive.ok());
  // Finalized: the BD-RE holds a volume with the recording, and takes more.
  EXPECT_EQ(drive->not_ready_reason, "") << "a rewritable disc's volume takes more recordings";
  ASSERT_TRUE(drive->volume.has_value());
  EXPECT_EQ(drive->volume->recordings, 1u);
  EXPECT_FALSE(drive->space.has_value());
  EXPECT_TRUE(std::filesystem::exists(dir_.file("journal-bd0.bin.done")));
  auto verified = recorder->verify_disc("bd0", [](const DiscProgress&) {});
  ASSERT_TRUE(verified.ok()) << verified.error().to_string();
  EXPECT_EQ(verified->files, 1u) << verified->summary;
}

}  // namespace
}  // namespace discrec::recorder
