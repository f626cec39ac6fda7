// A whole discrec disc on tgt's emulated DVD+R, over iSCSI: ffmpeg-made
// recordings streamed at data_start in 32 KiB units (one unit left unwritten, a
// lost extent), the UDF volume from build_volume written around them, SYNCHRONIZE
// CACHE and CLOSE; then the disc is read back through the Drive, and tgt's
// backing file (the disc: LBA n at byte n * 2048) is opened by readers nobody
// here wrote: udfinfo, 7-Zip, libudfread (udfread_check) and ffprobe.
//
// tgt (shared/mmc-target/README.md) has no RESERVE TRACK (5/20/00) and no NWA
// enforcement, so the metadata track is not reserved: the volume is simply
// written at LBA 0 after the data, as the product's DriveSession does there.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "device/drive.h"
#include "recorder/udf/drive_sector_source.h"
#include "recorder/udf/volume_builder.h"
#include "recorder/udf/volume_reader.h"
#include "tests/integration/tgt/tgt_fixture.h"
#include "tests/recorder/udf/image_fixture.h"

namespace discrec::recorder::udf {
namespace {

using testing::CommandOutput;
using testing::TempDir;
using testing::run;

constexpr uint32_t kUnitSectors = 16;  // one DVD ECC block
constexpr size_t kUnitBytes = size_t{kUnitSectors} * kSectorSize;
const TimePoint kStart = TimePoint(std::chrono::seconds(1'795'000'000));  // 2026-11-18

using ::discrec::test::tgt::fixture_dir;

std::string quote(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// One recording: the stream ffmpeg wrote, where it went on the disc, and which
// of its units (if any) was "lost" (never written).
struct Recording {
  std::string title;
  std::vector<uint8_t> content;
  uint32_t lba = 0;
  int lost_unit = -1;
  FileSpec file;

  uint32_t units() const { return static_cast<uint32_t>((content.size() + kUnitBytes - 1) / kUnitBytes); }
  // What every reader must return: the content with the lost unit as zeros.
  std::vector<uint8_t> expected() const {
    std::vector<uint8_t> out = content;
    if (lost_unit >= 0) {
      const size_t from = size_t(lost_unit) * kUnitBytes;
      std::fill(out.begin() + from, out.begin() + std::min(out.size(), from + kUnitBytes), 0);
    }
    return out;
  }
};

// WRITE(12) in whole units (the last one zero-padded); recordings go with the
// Streaming bit as the writer sends them, the file system without (tgt ignores it).
Status write_units(device::Drive& drive, uint32_t lba, std::span<const uint8_t> bytes, bool streaming) {
  std::vector<uint8_t> unit(kUnitBytes);
  for (size_t done = 0; done < bytes.size(); done += kUnitBytes) {
    const size_t n = std::min(kUnitBytes, bytes.size() - done);
    std::fill(unit.begin(), unit.end(), 0);
    std::memcpy(unit.data(), bytes.data() + done, n);
    RETURN_IF_ERROR(drive.write12(lba + static_cast<uint32_t>(done / kSectorSize), unit, streaming));
  }
  return ok_status();
}

std::vector<uint8_t> udfread_bytes(const std::filesystem::path& image, const std::string& name, uint64_t offset,
                                   uint64_t length, const std::filesystem::path& out_file) {
  CommandOutput out = run(std::string(UDFREAD_CHECK) + " " + quote(image) + " '/DISCREC/" + name + "' " +
                          std::to_string(offset) + " " + std::to_string(length) + " > " + quote(out_file));
  EXPECT_EQ(out.status, 0) << out.output;
  return testing::read_whole_file(out_file);
}

// ffprobe must find the video and audio streams of a (possibly holed) TS.
void expect_probes(const std::filesystem::path& ts) {
  CommandOutput probe = run("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " + quote(ts));
  EXPECT_EQ(probe.status, 0) << ts << "\n" << probe.output;
  EXPECT_NE(probe.output.find("mpeg2video"), std::string::npos) << ts << "\n" << probe.output;
  EXPECT_NE(probe.output.find("mp2"), std::string::npos) << ts << "\n" << probe.output;
}

TEST(TgtUdfDisc, RecordFinalizeAndReadersOpenTgtImage) {
  ASSERT_FALSE(fixture_dir().empty()) << "DISCREC_TGT_DIR not set (run through ctest)";
  const std::string uri = ::discrec::test::tgt::read_trimmed(fixture_dir() + "/uri");
  ASSERT_FALSE(uri.empty()) << "the tgt fixture did not start";
  const char* fixture = std::getenv("DISCREC_TGT_FIXTURE");
  ASSERT_NE(fixture, nullptr);
  const std::string medium = "udfdisc";
  const std::string swap = ::discrec::test::tgt::swap_command(medium);
  ASSERT_EQ(std::system(swap.c_str()), 0) << swap;
  const std::filesystem::path image = fixture_dir() + "/state/" + medium + ".iso";
  ASSERT_TRUE(std::filesystem::exists(image)) << image;

  // Three recordings ffmpeg made, of different lengths; the middle one loses a unit.
  TempDir dir;
  std::vector<Recording> recs(3);
  const double seconds[] = {1.0, 3.0, 0.6};
  const char* titles[] = {"morning news", "match: final", "weather"};
  for (size_t i = 0; i < recs.size(); ++i) {
    const auto ts = dir.path() / ("src" + std::to_string(i) + ".ts");
    CommandOutput gen = run(
        "ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=duration=" + std::to_string(seconds[i]) +
        ":size=320x240:rate=25 -f lavfi -i sine=frequency=" + std::to_string(440 + 220 * i) + ":duration=" +
        std::to_string(seconds[i]) + " -c:v mpeg2video -b:v 1500k -c:a mp2 -b:a 128k -f mpegts " + quote(ts));
    ASSERT_EQ(gen.status, 0) << gen.output;
    recs[i].title = titles[i];
    recs[i].content = testing::read_whole_file(ts);
    ASSERT_GT(recs[i].content.size(), kUnitBytes) << "stream " << i << " too small for the test";
  }
  // A unit in the middle of the longest recording.
  recs[1].lost_unit = 2;
  ASSERT_GT(recs[1].units(), 4u);

  auto opened = device::Drive::open(uri);
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  device::Drive& drive = **opened;
  auto caps = drive.probe();
  ASSERT_TRUE(caps.ok()) << caps.error().to_string();
  ASSERT_EQ(caps->current_profile, device::profile::kDvdPlusR);
  ASSERT_EQ(caps->ecc_unit_blocks, kUnitSectors);
  auto blank = drive.read_track_information(0xFF);
  ASSERT_TRUE(blank.ok()) << blank.error().to_string();
  EXPECT_EQ(blank->free_blocks, 2'295'104u);

  auto request = layout_request_for_profile(caps->current_profile, blank->free_blocks);
  ASSERT_TRUE(request.ok()) << request.error().to_string();
  ASSERT_EQ(request->kind, MediaKind::kSequentialWriteOnce);
  ASSERT_EQ(request->write_unit_sectors, kUnitSectors);
  auto layout = plan_layout(*request);  // the product's defaults: 1000 files, 20000 lost extents
  ASSERT_TRUE(layout.ok()) << layout.error().to_string();
  ASSERT_EQ(layout->data_start % kUnitSectors, 0u);

  // tgt's quirk: no RESERVE TRACK (missing from its backing store's opcode map).
  Status reserved = drive.reserve_track(layout->data_start);
  ASSERT_FALSE(reserved.ok());
  EXPECT_TRUE(reserved.error().has_sense(5, 0x20, 0x00)) << reserved.error().to_string();

  // Record: back to back from data_start, each recording in whole units; the
  // lost unit is skipped (its LBAs stay unwritten, as after a failed write).
  uint32_t lba = layout->data_start;
  VolumeSpec spec;
  spec.label = "TGT_DVD+R";
  spec.created = kStart;
  spec.finalized = kStart + std::chrono::hours(2);
  for (size_t i = 0; i < recs.size(); ++i) {
    Recording& r = recs[i];
    r.lba = lba;
    const std::span<const uint8_t> all(r.content);
    const uint32_t units = r.units();
    if (r.lost_unit < 0) {
      Status w = write_units(drive, lba, all, true);
      ASSERT_TRUE(w.ok()) << w.error().to_string();
    } else {
      const size_t cut = size_t(r.lost_unit) * kUnitBytes;
      Status w1 = write_units(drive, lba, all.first(cut), true);
      ASSERT_TRUE(w1.ok()) << w1.error().to_string();
      Status w2 = write_units(drive, lba + static_cast<uint32_t>(r.lost_unit + 1) * kUnitSectors,
                              all.subspan(cut + kUnitBytes), true);
      ASSERT_TRUE(w2.ok()) << w2.error().to_string();
    }
    const uint32_t sectors = static_cast<uint32_t>((r.content.size() + kSectorSize - 1) / kSectorSize);
    r.file.name = recording_file_name(kStart + std::chrono::minutes(10 * i), "rec" + std::to_string(i), r.title);
    r.file.size = r.content.size();
    r.file.created = kStart + std::chrono::minutes(10 * i);
    r.file.modified = r.file.created + std::chrono::seconds(static_cast<int>(seconds[i] + 1));
    if (r.lost_unit < 0) {
      r.file.extents = {{lba, sectors}};
    } else {
      const uint32_t before = static_cast<uint32_t>(r.lost_unit) * kUnitSectors;
      r.file.extents = {{lba, before},
                        {lba + before, kUnitSectors, false},
                        {lba + before + kUnitSectors, sectors - before - kUnitSectors}};
    }
    spec.files.push_back(r.file);
    lba += units * kUnitSectors;
  }
  // tgt never advances the NWA (READ TRACK INFORMATION says 0, blank): the
  // recorder's own count is the data end.
  auto track = drive.read_track_information(0xFF);
  ASSERT_TRUE(track.ok()) << track.error().to_string();
  EXPECT_EQ(track->next_writable_address, 0u);
  spec.data_end = lba;

  // Finalize: metadata area at 0.. and the closing area at data_end.
  auto writes = build_volume(*layout, spec);
  ASSERT_TRUE(writes.ok()) << writes.error().to_string();
  ASSERT_EQ(writes->size(), 2u);
  EXPECT_EQ((*writes)[0].lba, 0u);
  EXPECT_EQ((*writes)[0].bytes.size(), size_t{layout->data_start} * kSectorSize);
  EXPECT_EQ((*writes)[1].lba, spec.data_end);
  for (const SectorWrite& w : *writes) {
    Status st = write_units(drive, w.lba, w.bytes, false);
    ASSERT_TRUE(st.ok()) << "write at " << w.lba << ": " << st.error().to_string();
  }
  const uint32_t end = (*writes)[1].lba + static_cast<uint32_t>((*writes)[1].bytes.size() / kSectorSize);
  ASSERT_TRUE(drive.synchronize_cache().ok());

  // tgt's quirk: an open DVD+R cannot be read.
  std::vector<uint8_t> sector(kSectorSize);
  Status early = drive.read12(0, sector, false);
  ASSERT_FALSE(early.ok());
  EXPECT_TRUE(early.error().has_sense(5, 0x21, 0x00)) << early.error().to_string();

  // CLOSE TRACK turns tgt's disc into a complete DVD-ROM; tgt accepts the
  // finalize after it too (any close function just marks the disc closed).
  Status closed = drive.close_track_session(device::CloseFunction::kCloseTrack, 1);
  ASSERT_TRUE(closed.ok()) << closed.error().to_string();
  Status finalized = drive.close_track_session(device::CloseFunction::kFinalizeDvdPlusR, 0);
  EXPECT_TRUE(finalized.ok()) << finalized.error().to_string();
  auto disc = drive.read_disc_information();
  ASSERT_TRUE(disc.ok()) << disc.error().to_string();
  EXPECT_EQ(disc->status, device::DiscStatus::kComplete);
  auto after = drive.probe();
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_EQ(after->current_profile, device::profile::kDvdRom);

  // Read back through the Drive: the disc ends at the closing anchor.
  auto capacity = drive.read_capacity();
  ASSERT_TRUE(capacity.ok()) << capacity.error().to_string();
  EXPECT_EQ(capacity->last_lba + 1, end);
  {
    DriveSectorSource source(drive, capacity->last_lba + 1);
    auto volume = read_volume(source);
    ASSERT_TRUE(volume.ok()) << volume.error().to_string();
    EXPECT_EQ(volume->label, spec.label);
    EXPECT_TRUE(volume->integrity_closed);
    Status same = check_recordings(*volume, spec);
    EXPECT_TRUE(same.ok()) << same.error().to_string();
    ASSERT_EQ(volume->files.size(), 1 + recs.size());  // /DISCREC and its files
    for (size_t i = 0; i < recs.size(); ++i) {
      const ParsedFile& f = volume->files[1 + i];
      ASSERT_EQ(f.path, "/DISCREC/" + recs[i].file.name);
      std::vector<uint8_t> bytes(f.size);
      Status r = read_file_bytes(source, f, 0, bytes);
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      EXPECT_TRUE(bytes == recs[i].expected()) << "read back through the Drive: " << f.path;
    }
  }
  opened->reset();

  // tgt's backing file is the disc, and ends where the volume ends.
  EXPECT_EQ(std::filesystem::file_size(image), uint64_t{end} * kSectorSize);
  auto file_source = ImageFileSectorSource::open(image.string());
  ASSERT_TRUE(file_source.ok()) << file_source.error().to_string();
  auto from_file = read_volume(*file_source);
  ASSERT_TRUE(from_file.ok()) << from_file.error().to_string();
  EXPECT_TRUE(check_recordings(*from_file, spec).ok());

  // udfinfo: our label and revision, closed integrity, both anchors.
  CommandOutput info = run("udfinfo " + quote(image));
  ASSERT_EQ(info.status, 0) << info.output;
  EXPECT_NE(info.output.find("label=" + spec.label + "\n"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("udfrev=2.01"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("blocksize=2048"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("integrity=closed"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("numfiles=3\n"), std::string::npos) << info.output;
  EXPECT_EQ(info.output.find("not found"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("type=RVDS"), std::string::npos) << info.output;

  // libudfread: lists every file with its size, reads the bytes, the lost unit as zeros.
  CommandOutput listing = run(std::string(UDFREAD_CHECK) + " " + quote(image));
  ASSERT_EQ(listing.status, 0) << listing.output;
  EXPECT_NE(listing.output.find("d 0 /DISCREC\n"), std::string::npos) << listing.output;
  for (size_t i = 0; i < recs.size(); ++i) {
    const Recording& r = recs[i];
    EXPECT_NE(listing.output.find("f " + std::to_string(r.file.size) + " /DISCREC/" + r.file.name + "\n"),
              std::string::npos)
        << listing.output;
    const auto out = dir.path() / ("udfread" + std::to_string(i) + ".ts");
    EXPECT_TRUE(udfread_bytes(image, r.file.name, 0, r.file.size, out) == r.expected())
        << "libudfread read other bytes of " << r.file.name;
    expect_probes(out);
  }
  const Recording& lossy = recs[1];
  const auto lost = udfread_bytes(image, lossy.file.name, uint64_t(lossy.lost_unit) * kUnitBytes, kUnitBytes,
                                  dir.path() / "lost.bin");
  EXPECT_EQ(lost, std::vector<uint8_t>(kUnitBytes, 0));

  // 7-Zip: lists all three; extracts the whole ones byte for byte and refuses
  // the one with an allocated-but-not-recorded extent by name (exit status 2).
  CommandOutput list7 = run("7zz l -slt " + quote(image));
  ASSERT_EQ(list7.status, 0) << list7.output;
  for (const Recording& r : recs) {
    const std::string entry = "Path = DISCREC/" + r.file.name + "\nFolder = -\nSize = " + std::to_string(r.file.size) + "\n";
    EXPECT_NE(list7.output.find(entry), std::string::npos) << entry << list7.output;
  }
  const auto out_dir = dir.path() / "7z";
  CommandOutput x = run("7zz x -y -o" + quote(out_dir) + " " + quote(image));
  EXPECT_EQ(x.status, 2) << x.output;
  for (const Recording& r : recs) {
    const std::string refused = "Unsupported Method : DISCREC/" + r.file.name;
    const auto extracted = out_dir / "DISCREC" / r.file.name;
    if (r.lost_unit >= 0) {
      EXPECT_NE(x.output.find(refused), std::string::npos) << x.output;
      continue;
    }
    EXPECT_EQ(x.output.find(refused), std::string::npos) << x.output;
    EXPECT_TRUE(testing::read_whole_file(extracted) == r.content) << "7-Zip extracted other bytes of " << r.file.name;
    expect_probes(extracted);
  }
}

}  // namespace
}  // namespace discrec::recorder::udf
