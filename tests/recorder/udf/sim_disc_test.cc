// The sequential layout on the emulated drive (an MMC implementation written
// independently of this code): reserve the metadata track, stream into track 2,
// write the volume, close, then read it back through the Drive and open the
// image with libudfread, 7-Zip and udfinfo.
#include <gtest/gtest.h>

#include <cctype>

#include "device/drive.h"
#include "recorder/udf/drive_sector_source.h"
#include "recorder/udf/volume_builder.h"
#include "tests/recorder/udf/image_fixture.h"

namespace discrec::recorder::udf {
namespace {

using testing::TempDir;

Status write_all(device::Drive& drive, const SectorWrite& w) {
  constexpr size_t kChunk = 32 * kSectorSize;
  for (size_t done = 0; done < w.bytes.size(); done += kChunk) {
    const size_t n = std::min(kChunk, w.bytes.size() - done);
    RETURN_IF_ERROR(drive.write12(w.lba + static_cast<uint32_t>(done / kSectorSize),
                                  std::span<const uint8_t>(w.bytes).subspan(done, n), false));
  }
  return ok_status();
}

struct Medium {
  const char* uri_profile;  // sim:// profile=
  uint16_t profile;         // MMC profile number
  bool sequential;
};

class UdfOnSimDrive : public ::testing::TestWithParam<Medium> {};

TEST_P(UdfOnSimDrive, RecordFinalizeAndReadBack) {
  const Medium m = GetParam();
  TempDir dir;
  const auto image = dir.path() / "disc.img";
  auto drive = device::Drive::open("sim://" + image.string() + "?profile=" + m.uri_profile +
                                   "&timing=off&blocks=200000&formatted=nospares");
  ASSERT_TRUE(drive.ok()) << drive.error().to_string();
  device::Drive& d = **drive;
  uint32_t capacity = 0;
  if (m.sequential) {
    auto blank = d.read_track_information(0xFF);
    ASSERT_TRUE(blank.ok()) << blank.error().to_string();
    capacity = blank->free_blocks;
  } else {
    auto cap = d.read_capacity();
    ASSERT_TRUE(cap.ok()) << cap.error().to_string();
    capacity = cap->last_lba + 1;
  }
  ASSERT_EQ(capacity, 200000u);
  auto request = layout_request_for_profile(m.profile, capacity);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->kind, m.sequential ? MediaKind::kSequentialWriteOnce : MediaKind::kRandomAccess);
  request->max_files = 20;
  auto layout = plan_layout(*request);
  ASSERT_TRUE(layout.ok());

  // Prepare: track 1 is the metadata area; track 2 must start exactly at data_start.
  if (m.sequential) {
    ASSERT_TRUE(d.reserve_track(layout->data_start).ok());
    auto track2 = d.read_track_information(0xFF);
    ASSERT_TRUE(track2.ok());
    ASSERT_EQ(track2->start_lba, layout->data_start);
    ASSERT_EQ(track2->next_writable_address, layout->data_start);
  }

  // Record: two recordings streamed into track 2 in whole ECC blocks.
  const TimePoint t0 = TimePoint(std::chrono::seconds(1'795'000'000));
  VolumeSpec spec{"SIMDISC", t0, t0 + std::chrono::hours(1), {}, 0};
  uint32_t lba = layout->data_start;
  for (uint32_t sectors : {96u, 64u}) {
    FileSpec f{recording_file_name(t0 + std::chrono::minutes(lba), "rec" + std::to_string(lba), "cam"), uint64_t{sectors} * 2048 - 100, t0, t0,
               {{lba, sectors}}};
    std::vector<uint8_t> data(size_t{sectors} * kSectorSize);
    for (uint32_t i = 0; i < sectors; ++i) testing::fill_pattern(lba + i, &data[size_t{i} * kSectorSize]);
    ASSERT_TRUE(write_all(d, {lba, data}).ok());
    lba += sectors;
    spec.files.push_back(std::move(f));
  }

  // Finalize.
  if (m.sequential) {
    auto nwa = d.read_track_information(0xFF);
    ASSERT_TRUE(nwa.ok());
    EXPECT_EQ(nwa->next_writable_address, lba);
    spec.data_end = nwa->next_writable_address;
  }
  auto writes = build_volume(*layout, spec);
  ASSERT_TRUE(writes.ok()) << writes.error().to_string();
  for (const SectorWrite& w : *writes) {
    Status st = write_all(d, w);
    ASSERT_TRUE(st.ok()) << "write at " << w.lba << ": " << st.error().to_string();
  }
  ASSERT_TRUE(d.synchronize_cache().ok());
  if (m.sequential) {
    for (uint16_t track : {1, 2}) {
      Status st = d.close_track_session(device::CloseFunction::kCloseTrack, track);
      ASSERT_TRUE(st.ok()) << "close track " << track << ": " << st.error().to_string();
    }
    Status fin = d.close_track_session(
        m.profile == 0x001B ? device::CloseFunction::kFinalizeDvdPlusR : device::CloseFunction::kFinalizeBdR, 0);
    ASSERT_TRUE(fin.ok()) << fin.error().to_string();
  }

  // Verify through the drive: it now ends at the closing anchor.
  auto last = d.read_capacity();
  ASSERT_TRUE(last.ok()) << last.error().to_string();
  const uint32_t n = writes->back().lba + static_cast<uint32_t>(writes->back().bytes.size() / kSectorSize);
  EXPECT_EQ(last->last_lba + 1, n);
  DriveSectorSource source(d, n);
  auto volume = read_volume(source);
  ASSERT_TRUE(volume.ok()) << volume.error().to_string();
  EXPECT_TRUE(check_recordings(*volume, spec).ok());
  std::vector<uint8_t> bytes(volume->files[2].size);
  ASSERT_TRUE(read_file_bytes(source, volume->files[2], 0, bytes).ok());
  EXPECT_TRUE(bytes == testing::expected_bytes(spec.files[1], 0, bytes.size()));
  drive->reset();

  // The sim's image is the disc: readers nobody here wrote open it.
  auto listing = testing::run(std::string(UDFREAD_CHECK) + " '" + image.string() + "'");
  EXPECT_EQ(listing.status, 0) << listing.output;
  for (const FileSpec& f : spec.files) {
    EXPECT_NE(listing.output.find("f " + std::to_string(f.size) + " /DISCREC/" + f.name), std::string::npos)
        << listing.output;
  }
  auto info = testing::run("udfinfo '" + image.string() + "'");
  EXPECT_EQ(info.status, 0) << info.output;
  EXPECT_EQ(info.output.find("not found"), std::string::npos) << info.output;
  auto seven = testing::run("7zz t '" + image.string() + "'");
  EXPECT_EQ(seven.status, 0) << seven.output;
}

INSTANTIATE_TEST_SUITE_P(Media, UdfOnSimDrive,
                         ::testing::Values(Medium{"dvd+r", 0x001B, true}, Medium{"bd-r", 0x0041, true},
                                           Medium{"bd-re", 0x0043, false}, Medium{"dvd-ram", 0x0012, false}),
                         [](const auto& info) {
                           std::string name = info.param.uri_profile;
                           for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace discrec::recorder::udf
