// The recording rules of device::Drive (format for recording, reserve the
// file-system track, next writable address, close at finalize) and the
// medium questions of DriveCapabilities, against the emulated drive
// (sim://). A spy between the Drive and the sim records the commands sent
// and can answer one opcode with a sense of its choosing, for what the sim
// does not do (a drive without RESERVE TRACK, a CLOSE refused).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "base/clock.h"
#include "device/drive.h"
#include "tests/device/scratch_dir.h"
#include "device/mmc/cdb.h"

namespace discrec::device {
namespace {

namespace op = mmc::opcode;

struct Sent {
  std::vector<uint8_t> cdb;
  std::vector<uint8_t> out;  // parameter data (kOut)
};

// Passes every command to the sim; records it; answers an opcode listed in
// `refuse` with CHECK CONDITION and that sense instead (count: how many
// times; 0 = always).
class SpyTransport final : public Transport {
 public:
  struct Refusal {
    SenseCode sense;
    int count = 0;
  };
  SpyTransport(std::unique_ptr<Transport> inner, std::vector<Sent>* log) : inner_(std::move(inner)), log_(log) {}

  Result<CommandResult> execute(const CommandRequest& r) override {
    Sent s{{r.cdb.begin(), r.cdb.end()}, {}};
    if (r.direction == DataDirection::kOut) s.out.assign(r.data.begin(), r.data.end());
    log_->push_back(std::move(s));
    if (auto it = refuse.find(r.cdb[0]); it != refuse.end()) {
      CommandResult c;
      c.status = kStatusCheckCondition;
      const uint8_t sense[18] = {0x70, 0, it->second.sense.key, 0, 0, 0, 0, 10, 0, 0, 0, 0,
                                 it->second.sense.asc, it->second.sense.ascq, 0, 0, 0, 0};
      std::copy(std::begin(sense), std::end(sense), c.sense.begin());
      c.sense_length = sizeof sense;
      if (it->second.count > 0 && --it->second.count == 0) refuse.erase(it);
      return c;
    }
    return inner_->execute(r);
  }
  std::string describe() const override { return inner_->describe(); }

  std::map<uint8_t, Refusal> refuse;

 private:
  std::unique_ptr<Transport> inner_;
  std::vector<Sent>* log_;
};

class DriveRules : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }
  void TearDown() override { drive_.reset(); }  // before the directory goes
  // A fresh image of `profile` (sim's names: bd-re, bd-r, dvd+r, ...).
  void open(const std::string& profile, const std::string& extra = "") {
    drive_.reset();
    const std::string image = dir_.path() + "/" + profile + ".img";
    auto t = open_transport(test::ScratchDir::sim_uri(image) + "?profile=" + profile +
                                "&timing=off" + extra,
                            TransportOptions{&clock_});
    ASSERT_TRUE(t.ok()) << t.error().to_string();
    auto spy = std::make_unique<SpyTransport>(std::move(t).value(), &log_);
    spy_ = spy.get();
    drive_ = std::make_unique<Drive>(std::move(spy));
  }
  DriveCapabilities probe() {
    auto caps = drive_->probe();
    EXPECT_TRUE(caps.ok()) << caps.error().to_string();
    log_.clear();
    return caps.ok() ? *caps : DriveCapabilities{};
  }
  std::vector<const Sent*> sent(uint8_t opcode) const {
    std::vector<const Sent*> out;
    for (const auto& s : log_)
      if (s.cdb[0] == opcode) out.push_back(&s);
    return out;
  }
  // CLOSE TRACK/SESSION's (function, number) in the order sent.
  std::vector<std::pair<uint8_t, uint16_t>> closes() const {
    std::vector<std::pair<uint8_t, uint16_t>> out;
    for (const Sent* s : sent(op::kCloseTrackSession))
      out.emplace_back(s->cdb[2] & 0x07, static_cast<uint16_t>(s->cdb[4] << 8 | s->cdb[5]));
    return out;
  }
  Status write(uint32_t lba, uint32_t blocks) {
    std::vector<uint8_t> data(size_t{blocks} * 2048, static_cast<uint8_t>(lba));
    return drive_->write12(lba, data, true);
  }

  SimulatedClock clock_;
  test::ScratchDir dir_{"discrec-rules-"};
  std::vector<Sent> log_;
  SpyTransport* spy_ = nullptr;
  std::unique_ptr<Drive> drive_;
};

// --- formatting for recording ---

TEST(RecordingFormat, PicksTheTypeAndTakesSizeAndParameterFromTheCapacities) {
  FormatCapacities caps;
  caps.current_blocks = 5000;
  caps.formattable = {{4000, 0x00, 0x111}, {3000, 0x30, 0x222}, {2000, 0x30, 0x333}, {6000, 0x31, 0x444},
                      {7000, 0x26, 0x555}};
  auto bd_spares = recording_format(profile::kBdRe, caps, /*spare_areas=*/true);
  EXPECT_EQ(bd_spares.format_type, 0x30);
  EXPECT_EQ(bd_spares.blocks, 3000u);  // the first 30h descriptor: the drive's default spare size
  EXPECT_EQ(bd_spares.type_parameter, 0x222u);
  auto bd_quick = recording_format(profile::kBdRe, caps, /*spare_areas=*/false);
  EXPECT_EQ(bd_quick.format_type, 0x31);
  EXPECT_EQ(bd_quick.blocks, 6000u);
  EXPECT_EQ(bd_quick.type_parameter, 0x800u);  // 31h's parameter is not copied
  auto dvd_plus_rw = recording_format(profile::kDvdPlusRw, caps, false);
  EXPECT_EQ(dvd_plus_rw.format_type, 0x26);
  EXPECT_EQ(dvd_plus_rw.blocks, 7000u);
  EXPECT_EQ(dvd_plus_rw.type_parameter, 0x555u);
  auto dvd_ram = recording_format(profile::kDvdRam, caps, false);
  EXPECT_EQ(dvd_ram.format_type, 0x00);
  EXPECT_EQ(dvd_ram.blocks, 4000u);
  EXPECT_EQ(dvd_ram.type_parameter, 0x111u);
  EXPECT_EQ(recording_format(profile::kDvdRam, caps, true).blocks, 4000u);  // one type for both sizes
}

TEST(RecordingFormat, ADriveThatOffersNoFormatWithoutSparesGetsTheOneWithSpares) {
  FormatCapacities caps;
  caps.current_blocks = 5000;
  caps.formattable = {{3000, 0x30, 0x222}};
  auto bd = recording_format(profile::kBdRe, caps, /*spare_areas=*/false);
  EXPECT_EQ(bd.format_type, 0x30);
  EXPECT_EQ(bd.blocks, 3000u);
  EXPECT_EQ(bd.type_parameter, 0x222u);
}

TEST(RecordingFormat, WithoutAMatchingDescriptorTheWholeDiscOrTheCurrentCapacity) {
  FormatCapacities caps;
  caps.current_blocks = 5000;
  auto dvd_plus_rw = recording_format(profile::kDvdPlusRw, caps, false);
  EXPECT_EQ(dvd_plus_rw.format_type, 0x26);
  EXPECT_EQ(dvd_plus_rw.blocks, 0xFFFFFFFFu);
  auto bd = recording_format(profile::kBdRe, caps, true);
  EXPECT_EQ(bd.format_type, 0x30);
  EXPECT_EQ(bd.blocks, 5000u);
  EXPECT_EQ(bd.type_parameter, 0x800u);
}

TEST_F(DriveRules, UnformattedBdReWithoutSparesGetsQuickFormat31hOfTheWholeDisc) {
  open("bd-re");
  auto caps = probe();
  auto needs = drive_->needs_format(caps);
  ASSERT_TRUE(needs.ok()) << needs.error().to_string();
  EXPECT_TRUE(*needs);
  auto capacities = drive_->read_format_capacities();
  ASSERT_TRUE(capacities.ok());
  uint32_t offered = 0;
  for (const auto& d : capacities->formattable)
    if (d.type == 0x31 && offered == 0) offered = d.blocks;
  ASSERT_NE(offered, 0u);
  log_.clear();

  auto used = drive_->format_for_recording(caps, /*spare_areas=*/false);
  ASSERT_TRUE(used.ok()) << used.error().to_string();
  EXPECT_EQ(used->format_type, 0x31);
  EXPECT_EQ(used->blocks, offered);
  EXPECT_EQ(used->blocks, 12219392u);  // BD-25 without spare areas
  EXPECT_EQ(used->type_parameter, 0x800u);
  // What went over the wire: READ FORMAT CAPACITIES, then FORMAT UNIT with
  // the descriptor (no Immed: the call returns formatted).
  ASSERT_EQ(sent(op::kFormatUnit).size(), 1u);
  const auto& params = sent(op::kFormatUnit)[0]->out;
  ASSERT_EQ(params.size(), 12u);
  EXPECT_EQ(params[1] & 0x02, 0);                   // Immed
  EXPECT_EQ(params[4] << 24 | params[5] << 16 | params[6] << 8 | params[7], 12219392);
  EXPECT_EQ(params[8] >> 2, 0x31);

  auto after = probe();
  EXPECT_FALSE(after.defect_management);  // no spares
  EXPECT_EQ(after.free_blocks, 12219392u);
  auto again = drive_->needs_format(after);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_FALSE(*again);
}

TEST_F(DriveRules, BdReWithSparesGets30hWithTheOfferedSizeAndParameter) {
  open("bd-re");
  auto caps = probe();
  auto capacities = drive_->read_format_capacities();
  ASSERT_TRUE(capacities.ok());
  const FormatCapacityDescriptor* first_30 = nullptr;
  for (const auto& d : capacities->formattable)
    if (d.type == 0x30 && !first_30) first_30 = &d;
  ASSERT_NE(first_30, nullptr);

  auto used = drive_->format_for_recording(caps, /*spare_areas=*/true);
  ASSERT_TRUE(used.ok()) << used.error().to_string();
  EXPECT_EQ(used->format_type, 0x30);
  EXPECT_EQ(used->blocks, first_30->blocks);
  EXPECT_EQ(used->blocks, 11826176u);  // the default spare areas
  EXPECT_EQ(used->type_parameter, first_30->parameter);
  auto after = probe();
  EXPECT_TRUE(after.defect_management);
  EXPECT_EQ(after.free_blocks, 11826176u);
}

TEST_F(DriveRules, DvdPlusRwGets26hAndDvdRamItsDefault00h) {
  open("dvd+rw");
  auto plus = drive_->format_for_recording(probe(), false);
  ASSERT_TRUE(plus.ok()) << plus.error().to_string();
  EXPECT_EQ(plus->format_type, 0x26);
  EXPECT_EQ(plus->blocks, 2295104u);
  EXPECT_EQ(plus->type_parameter, 0u);  // as READ FORMAT CAPACITIES lists 26h

  open("dvd-ram");
  auto caps = probe();
  auto needs = drive_->needs_format(caps);
  ASSERT_TRUE(needs.ok()) << needs.error().to_string();
  EXPECT_TRUE(*needs);
  auto ram = drive_->format_for_recording(caps, false);
  ASSERT_TRUE(ram.ok()) << ram.error().to_string();
  EXPECT_EQ(ram->format_type, 0x00);
  EXPECT_EQ(ram->blocks, 2236704u);  // the drive's first (default) size, with the spare area
}

TEST_F(DriveRules, FormattedOrWriteOnceMediaNeedNoFormatAndWriteOnceCannotBeFormatted) {
  open("bd-re", "&formatted=nospares");
  auto formatted = drive_->needs_format(probe());
  ASSERT_TRUE(formatted.ok()) << formatted.error().to_string();
  EXPECT_FALSE(*formatted);

  // An empty tray: READ FORMAT CAPACITIES' current descriptor is 11b (no
  // medium), not "unformatted".
  open("dvd-ram", "&medium=absent");
  auto empty = drive_->needs_format(probe());
  ASSERT_TRUE(empty.ok()) << empty.error().to_string();
  EXPECT_FALSE(*empty);

  open("dvd+r");
  auto caps = probe();
  auto write_once = drive_->needs_format(caps);
  ASSERT_TRUE(write_once.ok()) << write_once.error().to_string();
  EXPECT_FALSE(*write_once);
  EXPECT_TRUE(log_.empty()) << "asked the drive about a write-once disc";
  auto refused = drive_->format_for_recording(caps, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().message(), "DVD+R cannot be formatted (only BD-RE, DVD-RAM, DVD+RW)");
  EXPECT_TRUE(log_.empty());
}

TEST_F(DriveRules, NeedsFormatPassesTheDrivesErrorOn) {
  open("bd-re");
  auto caps = probe();
  spy_->refuse[op::kReadFormatCapacities] = {{5, 0x20, 0x00}, 1};
  auto needs = drive_->needs_format(caps);
  ASSERT_FALSE(needs.ok());
  EXPECT_TRUE(needs.error().has_sense(5, 0x20, 0x00));
}

// --- the file-system track and the next writable address ---

TEST_F(DriveRules, ReserveTrackReservesTrackOneAndTheNwaMovesPastIt) {
  open("dvd+r");
  auto reserved = drive_->reserve_track_if_supported(4096);
  ASSERT_TRUE(reserved.ok()) << reserved.error().to_string();
  EXPECT_TRUE(*reserved);
  auto in_track_1 = drive_->next_writable_address_at(0);
  ASSERT_TRUE(in_track_1.ok()) << in_track_1.error().to_string();
  EXPECT_EQ(*in_track_1, std::optional<uint32_t>(0));
  auto in_track_2 = drive_->next_writable_address_at(4096);
  ASSERT_TRUE(in_track_2.ok()) << in_track_2.error().to_string();
  EXPECT_EQ(*in_track_2, std::optional<uint32_t>(4096));
  ASSERT_TRUE(write(4096, 32).ok());
  EXPECT_EQ(*drive_->next_writable_address_at(4096), std::optional<uint32_t>(4096 + 32));
}

TEST_F(DriveRules, ADriveWithoutReserveTrackAnswersFalseNotAnError) {
  open("dvd+r");
  // As tgt answers: RESERVE TRACK is not in its opcode map.
  spy_->refuse[op::kReserveTrack] = {{5, 0x20, 0x00}, 0};
  auto reserved = drive_->reserve_track_if_supported(4096);
  ASSERT_TRUE(reserved.ok()) << reserved.error().to_string();
  EXPECT_FALSE(*reserved);
}

TEST_F(DriveRules, AReserveTheDriveRefusesIsAnError) {
  open("dvd+r");
  ASSERT_TRUE(write(0, 16).ok());
  // The invisible track is no longer blank: 5/2C/00 command sequence error.
  auto reserved = drive_->reserve_track_if_supported(4096);
  ASSERT_FALSE(reserved.ok());
  EXPECT_TRUE(reserved.error().has_sense(5, 0x2C, 0x00)) << reserved.error().to_string();
}

TEST_F(DriveRules, NoNextWritableAddressOnAFinalizedDisc) {
  open("dvd+r");
  ASSERT_TRUE(write(0, 32).ok());
  EXPECT_EQ(*drive_->next_writable_address_at(0), std::optional<uint32_t>(32));
  ASSERT_TRUE(drive_->close_for_finalize(probe(), /*close_disc=*/true).ok());
  auto nwa = drive_->next_writable_address_at(0);
  ASSERT_TRUE(nwa.ok()) << nwa.error().to_string();
  EXPECT_FALSE(nwa->has_value());
}

// --- closing at finalize ---

TEST_F(DriveRules, DvdPlusRCloseDiscClosesEveryTrackAndFinalizesWith101b) {
  open("dvd+r");
  ASSERT_TRUE(*drive_->reserve_track_if_supported(4096));
  ASSERT_TRUE(write(0, 4096).ok());
  ASSERT_TRUE(write(4096, 64).ok());
  ASSERT_TRUE(drive_->synchronize_cache().ok());
  auto caps = probe();
  EXPECT_TRUE(caps.disc_appendable());
  Status closed = drive_->close_for_finalize(caps, /*close_disc=*/true);
  ASSERT_TRUE(closed.ok()) << closed.error().to_string();
  using C = CloseFunction;
  EXPECT_EQ(closes(), (std::vector<std::pair<uint8_t, uint16_t>>{
                          {uint8_t(C::kCloseTrack), 1}, {uint8_t(C::kCloseTrack), 2}, {uint8_t(C::kFinalizeDvdPlusR), 1}}));
  auto after = probe();
  EXPECT_TRUE(after.disc_complete());
  EXPECT_FALSE(after.disc_appendable());
}

TEST_F(DriveRules, BdRCloseDiscFinalizesWith110b) {
  open("bd-r");
  ASSERT_TRUE(write(0, 64).ok());
  Status closed = drive_->close_for_finalize(probe(), /*close_disc=*/true);
  ASSERT_TRUE(closed.ok()) << closed.error().to_string();
  ASSERT_FALSE(closes().empty());
  EXPECT_EQ(closes().back(), (std::pair<uint8_t, uint16_t>{uint8_t(CloseFunction::kFinalizeBdR), 1}));
  EXPECT_TRUE(probe().disc_complete());
}

TEST_F(DriveRules, WithoutCloseDiscTheSessionIsClosedAndTheDiscStaysAppendable) {
  open("dvd+r");
  ASSERT_TRUE(write(0, 64).ok());
  Status closed = drive_->close_for_finalize(probe(), /*close_disc=*/false);
  ASSERT_TRUE(closed.ok()) << closed.error().to_string();
  ASSERT_FALSE(closes().empty());
  EXPECT_EQ(closes().back(), (std::pair<uint8_t, uint16_t>{uint8_t(CloseFunction::kCloseSession), 1}));
  auto after = probe();
  EXPECT_FALSE(after.disc_complete());
  EXPECT_TRUE(after.disc_appendable());
  ASSERT_TRUE(after.disc);
  EXPECT_NE(after.disc->last_session_state, SessionState::kIncomplete);  // the written session is closed
}

// DVD-R has no finalize function: page 05's Multi-session field decides what
// CLOSE SESSION does (00b finalizes, 11b leaves the disc appendable).
TEST_F(DriveRules, DvdMinusRCloseDiscIsCloseSessionWithNoNextSession) {
  open("dvd-r");
  ASSERT_TRUE(write(0, 64).ok());
  Status closed = drive_->close_for_finalize(probe(), /*close_disc=*/true);
  ASSERT_TRUE(closed.ok()) << closed.error().to_string();
  ASSERT_FALSE(closes().empty());
  EXPECT_EQ(closes().back(), (std::pair<uint8_t, uint16_t>{uint8_t(CloseFunction::kCloseSession), 1}));
  auto page = drive_->mode_sense_write_parameters();
  ASSERT_TRUE(page.ok()) << page.error().to_string();
  EXPECT_EQ(page->multi_session, 0b00);
  EXPECT_TRUE(probe().disc_complete());
}

TEST_F(DriveRules, DvdMinusRWithoutCloseDiscAllowsTheNextSession) {
  open("dvd-r");
  ASSERT_TRUE(write(0, 64).ok());
  Status closed = drive_->close_for_finalize(probe(), /*close_disc=*/false);
  ASSERT_TRUE(closed.ok()) << closed.error().to_string();
  EXPECT_EQ(closes().back(), (std::pair<uint8_t, uint16_t>{uint8_t(CloseFunction::kCloseSession), 1}));
  auto page = drive_->mode_sense_write_parameters();
  ASSERT_TRUE(page.ok()) << page.error().to_string();
  EXPECT_EQ(page->multi_session, 0b11);
  auto after = probe();
  EXPECT_FALSE(after.disc_complete());
  EXPECT_TRUE(after.disc_appendable());
}

TEST_F(DriveRules, ACompleteDiscIsLeftAlone) {
  open("dvd+r");
  ASSERT_TRUE(write(0, 64).ok());
  ASSERT_TRUE(drive_->close_for_finalize(probe(), true).ok());
  auto caps = probe();
  ASSERT_TRUE(drive_->close_for_finalize(caps, true).ok());
  EXPECT_TRUE(closes().empty());
  EXPECT_EQ(sent(op::kReadDiscInformation).size(), 1u);
}

TEST_F(DriveRules, RandomAccessMediaAreNotClosed) {
  open("bd-re", "&formatted=nospares");
  ASSERT_TRUE(write(0, 64).ok());
  auto caps = probe();
  ASSERT_TRUE(drive_->close_for_finalize(caps, true).ok());
  EXPECT_TRUE(log_.empty()) << "sent a command to a random-access disc";
}

TEST_F(DriveRules, IllegalRequestFromACloseIsToleratedOtherErrorsAreNot) {
  open("dvd+r");
  ASSERT_TRUE(write(0, 64).ok());
  auto caps = probe();
  // A track the drive already closed answers ILLEGAL REQUEST; the finalize
  // still follows.
  spy_->refuse[op::kCloseTrackSession] = {{5, 0x2C, 0x00}, 1};
  ASSERT_TRUE(drive_->close_for_finalize(caps, true).ok());
  ASSERT_EQ(closes().size(), 2u);
  EXPECT_EQ(closes().back().first, uint8_t(CloseFunction::kFinalizeDvdPlusR));
  EXPECT_TRUE(probe().disc_complete());

  open("bd-r");
  ASSERT_TRUE(write(0, 64).ok());
  caps = probe();
  spy_->refuse[op::kCloseTrackSession] = {{3, 0x0C, 0x00}, 1};
  Status failed = drive_->close_for_finalize(caps, true);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.error().has_sense(3, 0x0C, 0x00)) << failed.error().to_string();
  EXPECT_EQ(closes().size(), 1u);  // stopped at the failing CLOSE TRACK
}

// --- the medium questions ---

TEST_F(DriveRules, CapabilitiesAnswerTheMediumQuestions) {
  open("bd-re");
  auto bd_re = probe();
  EXPECT_TRUE(bd_re.has_medium());
  EXPECT_FALSE(bd_re.sequential());
  EXPECT_TRUE(bd_re.is_bd());
  EXPECT_EQ(bd_re.medium_name(), "BD-RE");
  EXPECT_EQ(bd_re.recording_mode(), RecordingMode::kRewritable);
  EXPECT_TRUE(bd_re.can_format());

  open("dvd+r");
  auto dvd_r = probe();
  EXPECT_TRUE(dvd_r.sequential());
  EXPECT_FALSE(dvd_r.is_bd());
  EXPECT_EQ(dvd_r.medium_name(), "DVD+R");
  EXPECT_EQ(dvd_r.recording_mode(), RecordingMode::kWriteOnce);
  EXPECT_FALSE(dvd_r.can_format());
  EXPECT_FALSE(dvd_r.disc_complete());
  EXPECT_FALSE(dvd_r.disc_appendable());  // blank

  open("bd-r", "&medium=absent");
  auto empty = probe();
  EXPECT_FALSE(empty.has_medium());
  EXPECT_EQ(empty.medium_name(), "none");
  EXPECT_EQ(empty.recording_mode(), RecordingMode::kNone);
  EXPECT_FALSE(empty.disc_complete());
}

TEST(ProfileRecordingMode, WriteOnceRewritableOrNothing) {
  EXPECT_EQ(profile_recording_mode(profile::kBdRRrm), RecordingMode::kWriteOnce);  // not "sequential", still write-once
  EXPECT_EQ(profile_recording_mode(profile::kDvdRwSequential), RecordingMode::kWriteOnce);
  EXPECT_EQ(profile_recording_mode(profile::kDvdRwRestricted), RecordingMode::kRewritable);
  EXPECT_EQ(profile_recording_mode(0x002A), RecordingMode::kRewritable);  // DVD+RW DL
  EXPECT_EQ(profile_recording_mode(profile::kCdR), RecordingMode::kNone);
  EXPECT_EQ(profile_recording_mode(profile::kBdRom), RecordingMode::kNone);
}

}  // namespace
}  // namespace discrec::device
