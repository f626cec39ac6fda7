// The Drive over a scripted transport: CDBs sent, timeouts, error mapping
// (sense → one Error with command, key/ASC/ASCQ and readable text), probe
// assembled from real tgt answers.
#include "device/drive.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>

#include "base/clock.h"
#include "device/mmc/cdb.h"
#include "tests/device/tgt_captures.h"

namespace discrec::device {
namespace {

using testdata::from_hex;

struct Sent {
  std::vector<uint8_t> cdb;
  DataDirection direction;
  std::vector<uint8_t> out;  // data sent (kOut)
  size_t in_capacity = 0;
  std::chrono::milliseconds timeout{};
};

// Answers by opcode from a table; records every command.
class ScriptedTransport final : public Transport {
 public:
  using Answer = std::function<Result<CommandResult>(const CommandRequest&)>;
  std::vector<Sent>* log;
  std::map<uint8_t, Answer> answers;

  explicit ScriptedTransport(std::vector<Sent>* l) : log(l) {}

  Result<CommandResult> execute(const CommandRequest& r) override {
    Sent s{{r.cdb.begin(), r.cdb.end()}, r.direction, {}, 0, r.timeout};
    if (r.direction == DataDirection::kOut) s.out.assign(r.data.begin(), r.data.end());
    if (r.direction == DataDirection::kIn) s.in_capacity = r.data.size();
    log->push_back(s);
    auto it = answers.find(r.cdb[0]);
    if (it == answers.end()) return check({5, 0x20, 0x00});
    return it->second(r);
  }
  std::string describe() const override { return "scripted://drive"; }

  static CommandResult check(SenseCode code) {
    CommandResult c;
    c.status = kStatusCheckCondition;
    std::vector<uint8_t> sense = {0x70, 0, code.key, 0, 0, 0, 0, 10, 0, 0, 0, 0, code.asc, code.ascq, 0, 0, 0, 0};
    std::copy(sense.begin(), sense.end(), c.sense.begin());
    c.sense_length = sense.size();
    return c;
  }
  // Copies `bytes` into the IN buffer (tgt-style: the rest zero, no residual).
  static Answer data(std::vector<uint8_t> bytes) {
    return [bytes](const CommandRequest& r) -> Result<CommandResult> {
      std::fill(r.data.begin(), r.data.end(), 0);
      std::copy_n(bytes.begin(), std::min(bytes.size(), r.data.size()), r.data.begin());
      return CommandResult{};
    };
  }
  static Answer good() {
    return [](const CommandRequest&) -> Result<CommandResult> { return CommandResult{}; };
  }
  static Answer sense(SenseCode code) {
    return [code](const CommandRequest&) -> Result<CommandResult> { return check(code); };
  }
};

class DriveTest : public ::testing::Test {
 protected:
  DriveTest() {
    auto t = std::make_unique<ScriptedTransport>(&log_);
    transport_ = t.get();
    drive_ = std::make_unique<Drive>(std::move(t));
  }
  // The blank DVD+R as tgt answers it.
  void script_tgt_blank_dvd_plus_r() {
    using T = ScriptedTransport;
    auto& a = transport_->answers;
    a[mmc::opcode::kInquiry] = T::data(from_hex(testdata::kInquiry));
    a[mmc::opcode::kTestUnitReady] = T::good();
    a[mmc::opcode::kGetConfiguration] = T::data(from_hex(testdata::kConfigurationAll));
    a[mmc::opcode::kReadBufferCapacity] = T::data(from_hex(testdata::kBufferCapacity));
    a[mmc::opcode::kGetPerformance] = [](const CommandRequest& r) {
      auto bytes = r.cdb[10] == 0x03 ? from_hex(testdata::kPerformanceWriteSpeed)
                                     : from_hex(testdata::kPerformanceNominalWrite);
      return T::data(bytes)(r);
    };
    a[mmc::opcode::kReadDiscInformation] = T::data(from_hex(testdata::kDiscInformation));
    a[mmc::opcode::kReadTrackInformation] = [](const CommandRequest& r) -> Result<CommandResult> {
      if (r.cdb[5] == 0xFF) return T::check({2, 0x24, 0x00});  // tgt rejects the invisible track
      return T::data(from_hex(testdata::kTrackInformation))(r);
    };
  }
  std::vector<Sent> log_;
  ScriptedTransport* transport_;
  std::unique_ptr<Drive> drive_;
};

TEST_F(DriveTest, ProbeReportsTgtBlankDvdPlusRTruthfully) {
  script_tgt_blank_dvd_plus_r();
  auto caps = drive_->probe();
  ASSERT_TRUE(caps.ok()) << caps.error().to_string();
  EXPECT_EQ(caps->uri, "scripted://drive");
  EXPECT_EQ(caps->vendor, "STGT_DVD");
  EXPECT_EQ(caps->product, "DVD101");
  EXPECT_EQ(caps->revision, "0010");
  EXPECT_EQ(caps->peripheral_device_type, 5);
  EXPECT_TRUE(caps->medium_present);
  EXPECT_TRUE(caps->ready);
  EXPECT_EQ(caps->current_profile, profile::kDvdPlusR);
  EXPECT_EQ(caps->profiles.size(), 2u);
  EXPECT_TRUE(caps->rt_streaming.present);
  EXPECT_FALSE(caps->rt_streaming.current);
  EXPECT_TRUE(caps->rt_streaming.stream_writing);
  EXPECT_FALSE(caps->can_stream_write());
  ASSERT_EQ(caps->write_speeds.size(), 1u);
  EXPECT_EQ(caps->write_speeds[0].write_kbps, 3324u);
  ASSERT_EQ(caps->write_performance.size(), 1u);
  EXPECT_EQ(caps->write_performance[0].end_kbps, 5540u);
  ASSERT_TRUE(caps->disc);
  EXPECT_EQ(caps->disc->status, DiscStatus::kBlank);
  ASSERT_TRUE(caps->track);
  ASSERT_TRUE(caps->next_writable_address);
  EXPECT_EQ(*caps->next_writable_address, 0u);
  EXPECT_EQ(caps->free_blocks, 0x00230540u);
  EXPECT_EQ(caps->buffer_size_bytes, 0x00800000u);
  EXPECT_EQ(caps->block_size, 2048u);
  EXPECT_EQ(caps->ecc_unit_blocks, 16u);
  EXPECT_EQ(caps->one_x_bytes_per_second, 1385000u);
  EXPECT_TRUE(caps->notes.empty()) << caps->notes[0];
  // The last track of the last session was asked for first (track 1).
  auto track_cmd = std::find_if(log_.begin(), log_.end(), [](const Sent& s) { return s.cdb[0] == 0x52; });
  ASSERT_NE(track_cmd, log_.end());
  EXPECT_EQ(track_cmd->cdb, (std::vector<uint8_t>{0x52, 1, 0, 0, 0, 1, 0, 0, 48, 0}));
}

TEST_F(DriveTest, ProbeToleratesMissingCommandsAndSaysSo) {
  script_tgt_blank_dvd_plus_r();
  transport_->answers.erase(mmc::opcode::kGetPerformance);      // 5/20/00
  transport_->answers.erase(mmc::opcode::kReadBufferCapacity);  // 5/20/00
  transport_->answers.erase(mmc::opcode::kReadDiscInformation);
  auto caps = drive_->probe();
  ASSERT_TRUE(caps.ok()) << caps.error().to_string();
  EXPECT_TRUE(caps->write_speeds.empty());
  EXPECT_FALSE(caps->disc);
  EXPECT_EQ(caps->buffer_size_bytes, 0u);
  // Without disc info the invisible track 0xFF is asked, which tgt rejects.
  EXPECT_FALSE(caps->track);
  EXPECT_FALSE(caps->next_writable_address);
  ASSERT_GE(caps->notes.size(), 4u);
  std::string all;
  for (auto& n : caps->notes) all += n + "\n";
  EXPECT_NE(all.find("READ BUFFER CAPACITY: ILLEGAL REQUEST 5/20/00 invalid command operation code"), std::string::npos) << all;
  EXPECT_NE(all.find("GET PERFORMANCE"), std::string::npos);
  EXPECT_NE(all.find("READ TRACK INFORMATION: track 255: NOT READY 2/24/00 invalid field in CDB"), std::string::npos) << all;
}

TEST_F(DriveTest, ProbeWithoutMedium) {
  script_tgt_blank_dvd_plus_r();
  transport_->answers[mmc::opcode::kTestUnitReady] = ScriptedTransport::sense({2, 0x3A, 0x00});
  auto caps = drive_->probe();
  ASSERT_TRUE(caps.ok());
  EXPECT_FALSE(caps->medium_present);
  EXPECT_FALSE(caps->ready);
  EXPECT_FALSE(caps->disc);
  ASSERT_FALSE(caps->notes.empty());
  EXPECT_NE(caps->notes[0].find("medium not present"), std::string::npos);
}

TEST_F(DriveTest, ProbeFailsWhenInquiryFails) {
  auto caps = drive_->probe();  // nothing scripted: INQUIRY gets 5/20/00
  ASSERT_FALSE(caps.ok());
  EXPECT_EQ(caps.error().command(), "INQUIRY");
}

TEST_F(DriveTest, CheckConditionBecomesOneReadableError) {
  transport_->answers[mmc::opcode::kWrite12] = ScriptedTransport::sense({3, 0x0C, 0x00});
  std::vector<uint8_t> data(32768, 0xAB);
  Status s = drive_->write12(4096, data, true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kCheckCondition);
  EXPECT_EQ(s.error().command(), "WRITE(12)");
  EXPECT_TRUE(s.error().has_sense(3, 0x0C, 0x00));
  EXPECT_EQ(s.error().command() + ": " + s.error().message(), "WRITE(12): MEDIUM ERROR 3/0C/00 write error");
  // What was sent: streaming WRITE(12) at 4096, 16 blocks, the data itself.
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_EQ(log_[0].cdb, (std::vector<uint8_t>{0xAA, 0, 0, 0, 0x10, 0, 0, 0, 0, 16, 0x80, 0}));
  EXPECT_EQ(log_[0].direction, DataDirection::kOut);
  EXPECT_EQ(log_[0].out, data);
}

TEST_F(DriveTest, InvalidOpcodeIsUnsupported) {
  Status s = drive_->send_opc();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kUnsupported);
  EXPECT_TRUE(s.error().has_sense(5, 0x20, 0x00));
  EXPECT_EQ(log_[0].timeout, std::chrono::seconds(200));
  transport_->answers[mmc::opcode::kSendOpcInformation] = ScriptedTransport::sense({3, 0x73, 0x03});
  Status opc = drive_->send_opc();
  EXPECT_EQ(opc.error().code(), ErrorCode::kCheckCondition);
  EXPECT_EQ(opc.error().message(), "MEDIUM ERROR 3/73/03 power calibration area error");
}

TEST_F(DriveTest, DeferredSenseAndInformationAreInTheMessage) {
  transport_->answers[mmc::opcode::kSynchronizeCache] = [](const CommandRequest&) -> Result<CommandResult> {
    CommandResult c;
    c.status = kStatusCheckCondition;
    std::vector<uint8_t> s = from_hex("f10003000010000a000000000c0900000000");
    std::copy(s.begin(), s.end(), c.sense.begin());
    c.sense_length = s.size();
    return c;
  };
  Status s = drive_->synchronize_cache();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(),
            "MEDIUM ERROR 3/0C/09 write error - loss of streaming (deferred: an earlier command failed) "
            "(information 4096)");
  EXPECT_EQ(log_[0].timeout, std::chrono::seconds(3600));
}

TEST_F(DriveTest, TransportFailuresAndOtherStatusesKeepTheirCode) {
  transport_->answers[mmc::opcode::kTestUnitReady] = [](const CommandRequest&) -> Result<CommandResult> {
    return Error(ErrorCode::kTimeout, "iSCSI", "no answer before the deadline");
  };
  Status t = drive_->test_unit_ready();
  EXPECT_EQ(t.error().code(), ErrorCode::kTimeout);
  EXPECT_EQ(t.error().command(), "TEST UNIT READY");
  EXPECT_EQ(t.error().message(), "iSCSI: no answer before the deadline");
  transport_->answers[mmc::opcode::kTestUnitReady] = [](const CommandRequest&) -> Result<CommandResult> {
    CommandResult c;
    c.status = kStatusBusy;
    return c;
  };
  EXPECT_EQ(drive_->test_unit_ready().error().code(), ErrorCode::kUnavailable);
  transport_->answers[mmc::opcode::kTestUnitReady] = [](const CommandRequest&) -> Result<CommandResult> {
    CommandResult c;
    c.status = kStatusCheckCondition;  // and no sense bytes
    return c;
  };
  EXPECT_EQ(drive_->test_unit_ready().error().code(), ErrorCode::kCheckCondition);
}

TEST_F(DriveTest, ReadAndWriteCheckBlockMultiplesAndShortReads) {
  std::vector<uint8_t> odd(1000);
  EXPECT_EQ(drive_->write12(0, odd, true).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(drive_->read12(0, odd, true).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(log_.empty());
  transport_->answers[mmc::opcode::kRead12] = [](const CommandRequest& r) -> Result<CommandResult> {
    std::fill(r.data.begin(), r.data.end(), 0x5A);
    CommandResult c;
    c.residual = 2048;
    return c;
  };
  std::vector<uint8_t> buf(4096);
  Status s = drive_->read12(7, buf, true);
  EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss);
  EXPECT_EQ(log_.back().cdb, (std::vector<uint8_t>{0xA8, 0, 0, 0, 0, 7, 0, 0, 0, 2, 0x80, 0}));
}

TEST_F(DriveTest, GetConfigurationReissuesWithTheAnnouncedLength) {
  // 3000 bytes of configuration: header + profile list + padding features.
  std::vector<uint8_t> big(3000, 0);
  big[0] = 0;
  big[1] = 0;
  big[2] = (3000 - 4) >> 8;
  big[3] = (3000 - 4) & 0xFF;
  big[7] = 0x43;
  // One vendor feature 0xFF00 with 252 data bytes, repeated with rising codes.
  size_t pos = 8;
  uint16_t code = 0xF000;
  while (pos + 4 <= big.size()) {
    size_t len = std::min<size_t>(252, (big.size() - pos - 4) & ~size_t{3});
    big[pos] = code >> 8;
    big[pos + 1] = code & 0xFF;
    big[pos + 3] = static_cast<uint8_t>(len);
    pos += 4 + len;
    ++code;
  }
  ASSERT_EQ(pos, big.size());
  transport_->answers[mmc::opcode::kGetConfiguration] = ScriptedTransport::data(big);
  auto c = drive_->get_configuration();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->current_profile, profile::kBdRe);
  ASSERT_EQ(log_.size(), 2u);
  EXPECT_EQ(log_[0].in_capacity, 2048u);
  EXPECT_EQ(log_[1].in_capacity, 3000u);
  EXPECT_EQ(log_[1].cdb[7], 3000 >> 8);
  EXPECT_EQ(log_[1].cdb[8], 3000 & 0xFF);
}

TEST_F(DriveTest, SetWriteSpeedFallsBackToSetCdSpeedAndReportsWhatTook) {
  using T = ScriptedTransport;
  transport_->answers[mmc::opcode::kSetStreaming] = T::sense({5, 0x24, 0x00});
  transport_->answers[mmc::opcode::kSetCdSpeed] = T::good();
  transport_->answers[mmc::opcode::kGetPerformance] = T::data(from_hex(testdata::kPerformanceNominalWrite));
  auto speed = drive_->set_write_speed(3324, 2295103);
  ASSERT_TRUE(speed.ok()) << speed.error().to_string();
  EXPECT_EQ(*speed, 5540u);
  ASSERT_EQ(log_.size(), 3u);
  EXPECT_EQ(log_[0].cdb[0], 0xB6);
  ASSERT_EQ(log_[0].out.size(), 28u);
  EXPECT_EQ(log_[0].out[23], 3324 & 0xFF);  // write size kB
  EXPECT_EQ(log_[1].cdb, (std::vector<uint8_t>{0xBB, 0, 0xFF, 0xFF, 0x0C, 0xFC, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(log_[2].cdb[1], 0x14);  // GET PERFORMANCE nominal write
  // A non-ILLEGAL REQUEST failure is not papered over.
  transport_->answers[mmc::opcode::kSetStreaming] = T::sense({2, 0x04, 0x01});
  EXPECT_EQ(drive_->set_write_speed(3324, 0).error().command(), "SET STREAMING");
}

TEST_F(DriveTest, CloseFormatModeAndMechanismCdbs) {
  using T = ScriptedTransport;
  for (uint8_t op : {0x5B, 0x04, 0x53, 0x1B, 0x1E, 0x55}) transport_->answers[op] = T::good();
  transport_->answers[mmc::opcode::kModeSense10] = T::data(from_hex(testdata::kModeSense05));
  ASSERT_TRUE(drive_->close_track_session(CloseFunction::kCloseTrack, 1, true).ok());
  EXPECT_EQ(log_.back().cdb, (std::vector<uint8_t>{0x5B, 1, 1, 0, 0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(log_.back().timeout, std::chrono::seconds(200));
  ASSERT_TRUE(drive_->close_track_session(CloseFunction::kFinalizeDvdPlusR, 0, false).ok());
  EXPECT_EQ(log_.back().cdb[2], 5);
  EXPECT_EQ(log_.back().timeout, std::chrono::seconds(3600));
  FormatDescriptor f;
  f.format_type = 0x26;
  f.blocks = 0xFFFFFFFF;
  f.type_parameter = 0;
  ASSERT_TRUE(drive_->format_unit(f, true).ok());
  EXPECT_EQ(log_.back().out.size(), 12u);
  EXPECT_EQ(log_.back().out[8], 0x98);
  ASSERT_TRUE(drive_->reserve_track(2048).ok());
  EXPECT_EQ(log_.back().cdb, (std::vector<uint8_t>{0x53, 0, 0, 0, 0, 0, 0, 0x08, 0, 0}));
  ASSERT_TRUE(drive_->start_stop_unit(true, false).ok());
  EXPECT_EQ(log_.back().cdb, (std::vector<uint8_t>{0x1B, 0, 0, 0, 2, 0}));
  EXPECT_EQ(log_.back().timeout, std::chrono::seconds(300));
  ASSERT_TRUE(drive_->prevent_allow_medium_removal(true).ok());
  auto page = drive_->mode_sense_write_parameters();
  ASSERT_TRUE(page.ok()) << page.error().to_string();
  ASSERT_TRUE(drive_->mode_select_write_parameters(*page).ok());
  EXPECT_EQ(log_.back().cdb, (std::vector<uint8_t>{0x55, 0x10, 0, 0, 0, 0, 0, 0, 60, 0}));
  EXPECT_EQ(log_.back().out.size(), 60u);
}

TEST_F(DriveTest, WaitUntilReadyPollsWhileBusyInSimulatedTime) {
  int polls = 0;
  transport_->answers[mmc::opcode::kTestUnitReady] = [&polls](const CommandRequest&) -> Result<CommandResult> {
    ++polls;
    if (polls == 1) return ScriptedTransport::check({6, 0x28, 0x00});  // medium may have changed
    if (polls <= 4) return ScriptedTransport::check({2, 0x04, 0x08});  // long write in progress
    return CommandResult{};
  };
  SimulatedClock clock;
  const TimePoint start = clock.now();
  Status s = drive_->wait_until_ready(clock, std::chrono::seconds(10), std::chrono::milliseconds(500));
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(polls, 5);
  EXPECT_EQ(clock.now() - start, std::chrono::milliseconds(2000));
}

TEST_F(DriveTest, WaitUntilReadyGivesUpOrStopsOnRealErrors) {
  transport_->answers[mmc::opcode::kTestUnitReady] = ScriptedTransport::sense({2, 0x04, 0x07});
  SimulatedClock clock;
  Status busy = drive_->wait_until_ready(clock, std::chrono::seconds(3), std::chrono::milliseconds(500));
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code(), ErrorCode::kTimeout);
  EXPECT_NE(busy.error().message().find("operation in progress"), std::string::npos);
  EXPECT_LE(clock.now() - TimePoint{}, std::chrono::seconds(3));
  log_.clear();
  transport_->answers[mmc::opcode::kTestUnitReady] = ScriptedTransport::sense({2, 0x3A, 0x00});
  Status none = drive_->wait_until_ready(clock, std::chrono::seconds(3));
  EXPECT_TRUE(none.error().has_sense(2, 0x3A, 0x00));
  EXPECT_EQ(log_.size(), 1u);
  transport_->answers[mmc::opcode::kTestUnitReady] = ScriptedTransport::sense({2, 0x04, 0x02});
  EXPECT_TRUE(drive_->wait_until_ready(clock, std::chrono::seconds(3)).error().has_sense(2, 0x04, 0x02));
}

// What the streaming writer waits out (the drive's state) and what it
// records as lost (the medium).
TEST(ClassifyFailure, DriveStatesAreTransientMediumErrorsAreNot) {
  auto scsi = [](uint8_t key, uint8_t asc, uint8_t ascq) {
    return classify_failure(Error::scsi("WRITE(12)", SenseCode{key, asc, ascq}, "x"));
  };
  EXPECT_EQ(scsi(2, 0x04, 0x01), CommandFailure::kTransientState);  // becoming ready
  EXPECT_EQ(scsi(2, 0x04, 0x00), CommandFailure::kTransientState);
  EXPECT_EQ(scsi(2, 0x04, 0x08), CommandFailure::kTransientState);  // long write in progress
  EXPECT_EQ(scsi(2, 0x04, 0x02), CommandFailure::kOther);           // needs START STOP UNIT
  EXPECT_EQ(scsi(2, 0x04, 0x03), CommandFailure::kOther);           // manual intervention
  EXPECT_EQ(scsi(6, 0x29, 0x00), CommandFailure::kTransientState);  // power on, reset
  EXPECT_EQ(scsi(6, 0x28, 0x00), CommandFailure::kTransientState);  // medium may have changed
  EXPECT_EQ(scsi(2, 0x3A, 0x00), CommandFailure::kMediumAbsent);
  EXPECT_EQ(scsi(3, 0x0C, 0x00), CommandFailure::kMedium);
  EXPECT_EQ(scsi(4, 0x44, 0x00), CommandFailure::kMedium);
  EXPECT_EQ(scsi(5, 0x21, 0x02), CommandFailure::kOther);
  EXPECT_EQ(classify_failure(Error(ErrorCode::kTransport, "iSCSI", "connection lost")),
            CommandFailure::kTransientState);
  EXPECT_EQ(classify_failure(Error(ErrorCode::kUnavailable, "WRITE(12)", "device answered BUSY")),
            CommandFailure::kTransientState);
  EXPECT_EQ(classify_failure(Error(ErrorCode::kTimeout, "WRITE(12)", "timed out")), CommandFailure::kOther);
}

TEST(OpenTransport, UnknownOrMalformedUrisAreInvalidArguments) {
  for (const char* uri : {"foo://x", "", "/dev/sr0", "sg://dev/sr0", "sg://"}) {
    auto t = open_transport(uri);
    ASSERT_FALSE(t.ok()) << uri;
    EXPECT_EQ(t.error().code(), ErrorCode::kInvalidArgument) << uri << ": " << t.error().to_string();
  }
  auto missing = open_transport("sg:///dev/discrec-no-such-device");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  auto not_scsi = open_transport("sg:///dev/null");
  ASSERT_FALSE(not_scsi.ok());
  EXPECT_EQ(not_scsi.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace discrec::device
