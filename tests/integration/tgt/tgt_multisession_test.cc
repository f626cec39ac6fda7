// Sessions on tgt's emulated DVD+R (recorder/udf/multisession.h): what a
// "finalize --no-close" leaves there. tgt (shared/mmc-target/README.md) has no
// sessions: any CLOSE TRACK/SESSION turns its disc into a complete DVD-ROM, so
// closing the first session closes the disc and nothing can be appended. The
// test asserts exactly that (Drive::read_sessions says complete, a WRITE is
// refused with 5/30/05), so that a tgt that learns sessions is noticed, and
// that the first session's volume is readable as on any finalized disc.
#include <gtest/gtest.h>

#include <cstdlib>

#include "device/drive.h"
#include "recorder/udf/drive_sector_source.h"
#include "recorder/udf/multisession.h"
#include "tests/integration/tgt/tgt_fixture.h"

namespace discrec::recorder::udf {
namespace {

using ::discrec::test::tgt::fixture_dir;
const TimePoint kT0 = TimePoint(std::chrono::seconds(1'795'000'000));

TEST(TgtMultisession, ClosingTheFirstSessionClosesTgtsDisc) {
  ASSERT_FALSE(fixture_dir().empty()) << "DISCREC_TGT_DIR not set (run through ctest)";
  const std::string uri = ::discrec::test::tgt::read_trimmed(fixture_dir() + "/uri");
  ASSERT_FALSE(uri.empty()) << "the tgt fixture did not start";
  const std::string swap = ::discrec::test::tgt::swap_command("multisession");
  ASSERT_EQ(std::system(swap.c_str()), 0) << swap;

  auto opened = device::Drive::open(uri);
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  device::Drive& drive = **opened;
  auto caps = drive.probe();
  ASSERT_TRUE(caps.ok()) << caps.error().to_string();
  ASSERT_EQ(caps->current_profile, device::profile::kDvdPlusR);

  // A blank disc: no closed session, the first starts at 0.
  auto blank = drive.read_sessions(*caps);
  ASSERT_TRUE(blank.ok()) << blank.error().to_string();
  EXPECT_EQ(blank->status, device::DiscStatus::kBlank);
  EXPECT_EQ(blank->closed_sessions, 0);
  EXPECT_EQ(blank->next_session_start.value_or(0), 0u);

  // Session 1 as on any DVD+R (tgt: no RESERVE TRACK, writes go anywhere).
  auto track = drive.read_track_information(1);
  ASSERT_TRUE(track.ok()) << track.error().to_string();
  auto request = layout_request_for_profile(caps->current_profile, track->free_blocks);
  ASSERT_TRUE(request.ok());
  request->max_files = 20;
  auto layout = plan_layout(*request);
  ASSERT_TRUE(layout.ok());
  std::vector<uint8_t> data(64 * kSectorSize, 0x47);
  for (uint32_t at = 0; at < 64; at += 16) {
    ASSERT_TRUE(drive.write12(layout->data_start + at, std::span(data).subspan(size_t{at} * kSectorSize, 16 * kSectorSize),
                              false)
                    .ok());
  }
  VolumeSpec spec{"TGT_SESSIONS", kT0, kT0 + std::chrono::hours(1),
                  {{recording_file_name(kT0, "rec001", "cam"), 64 * kSectorSize, kT0, kT0, {{layout->data_start, 64}}}},
                  layout->data_start + 64};
  auto writes = build_volume(*layout, spec);
  ASSERT_TRUE(writes.ok()) << writes.error().to_string();
  for (const SectorWrite& w : *writes) {
    for (size_t done = 0; done < w.bytes.size(); done += 16 * kSectorSize) {
      const size_t n = std::min<size_t>(16 * kSectorSize, w.bytes.size() - done);
      Status st = drive.write12(w.lba + static_cast<uint32_t>(done / kSectorSize),
                                std::span<const uint8_t>(w.bytes).subspan(done, n), false);
      ASSERT_TRUE(st.ok()) << st.error().to_string();
    }
  }
  ASSERT_TRUE(drive.synchronize_cache().ok());

  // finalize --no-close: close the session, not the disc...
  Status closed = drive.close_for_finalize(*caps, /*close_disc=*/false);
  ASSERT_TRUE(closed.ok()) << closed.error().to_string();
  // ...but tgt closed the disc: complete, DVD-ROM, nothing to append to.
  auto after = drive.read_sessions(*caps);
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_EQ(after->status, device::DiscStatus::kComplete);
  EXPECT_EQ(after->closed_sessions, 1);
  EXPECT_EQ(after->last_closed_session_start, 0u);
  EXPECT_FALSE(after->next_session_start.has_value());
  auto reprobe = drive.probe();
  ASSERT_TRUE(reprobe.ok());
  EXPECT_EQ(reprobe->current_profile, device::profile::kDvdRom);
  EXPECT_FALSE(reprobe->disc_appendable());
  const uint32_t next = (spec.data_end + layout->closing_sectors + 15) / 16 * 16;
  Status append = drive.write12(next, std::span(data).first(16 * kSectorSize), false);
  ASSERT_FALSE(append.ok());
  EXPECT_TRUE(append.error().has_sense(5, 0x30, 0x05)) << append.error().to_string();

  // The one session reads back as a finalized disc's volume.
  auto capacity = drive.read_capacity();
  ASSERT_TRUE(capacity.ok()) << capacity.error().to_string();
  DriveSectorSource source(drive, capacity->last_lba + 1);
  auto volume = read_volume_at(source, after->last_closed_session_start);
  ASSERT_TRUE(volume.ok()) << volume.error().to_string();
  EXPECT_TRUE(check_recordings(*volume, spec).ok());
}

}  // namespace
}  // namespace discrec::recorder::udf
