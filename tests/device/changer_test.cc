// The Changer over a scripted transport: which READ ELEMENT STATUS requests
// it sends (per element type over page 0x1D's ranges, with VolTag), how it
// copes with a changer without volume tags, without page 0x1D, or with more
// data than the first allocation, and how its errors read.
#include "device/changer.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "device/mmc/bytes.h"
#include "tests/device/tgt_changer_captures.h"

namespace discrec::device {
namespace {

using testdata::from_hex;
using Bytes = std::vector<uint8_t>;

struct Sent {
  Bytes cdb;
  size_t in_capacity = 0;
  std::chrono::milliseconds timeout{};
};

CommandResult check(SenseCode code) {
  CommandResult c;
  c.status = kStatusCheckCondition;
  Bytes sense = {0x70, 0, code.key, 0, 0, 0, 0, 10, 0, 0, 0, 0, code.asc, code.ascq, 0, 0, 0, 0};
  std::copy(sense.begin(), sense.end(), c.sense.begin());
  c.sense_length = sense.size();
  return c;
}

// Answers by opcode; records every command. Data-in answers report the
// residual as SG_IO and libiscsi do.
class ScriptedChanger final : public Transport {
 public:
  using Answer = std::function<Result<CommandResult>(const CommandRequest&)>;
  std::vector<Sent>* log;
  std::map<uint8_t, Answer> answers;

  explicit ScriptedChanger(std::vector<Sent>* l) : log(l) {}
  Result<CommandResult> execute(const CommandRequest& r) override {
    log->push_back({{r.cdb.begin(), r.cdb.end()}, r.data.size(), r.timeout});
    auto it = answers.find(r.cdb[0]);
    if (it == answers.end()) return check({5, 0x20, 0x00});
    return it->second(r);
  }
  std::string describe() const override { return "scripted://changer"; }

  static Result<CommandResult> reply(const CommandRequest& r, const Bytes& bytes) {
    size_t n = std::min(bytes.size(), r.data.size());
    std::copy_n(bytes.begin(), n, r.data.begin());
    CommandResult c;
    c.residual = r.data.size() - n;
    return c;
  }
  static Answer data(Bytes bytes) {
    return [bytes](const CommandRequest& r) { return reply(r, bytes); };
  }
};

// An element status report of one page (no volume tags when length is 12).
Bytes one_page(uint8_t type, uint16_t length, const std::vector<std::pair<uint16_t, bool>>& elements,
               bool tags) {
  Bytes r(16, 0);
  mmc::put_be16(&r[2], static_cast<uint16_t>(elements.size()));
  mmc::put_be24(&r[5], static_cast<uint32_t>(8 + elements.size() * length));
  r[8] = type;
  r[9] = tags ? 0x80 : 0;
  mmc::put_be16(&r[10], length);
  mmc::put_be24(&r[13], static_cast<uint32_t>(elements.size() * length));
  for (auto [address, full] : elements) {
    Bytes d(length, 0);
    mmc::put_be16(&d[0], address);
    d[2] = full ? 1 : 0;
    if (tags) std::fill(d.begin() + 12, d.begin() + 44, ' ');
    if (tags && full) d[12] = 'T';
    r.insert(r.end(), d.begin(), d.end());
  }
  return r;
}

class ChangerTest : public ::testing::Test {
 protected:
  ChangerTest() {
    auto t = std::make_unique<ScriptedChanger>(&log_);
    transport_ = t.get();
    changer_ = std::make_unique<Changer>(std::move(t));
    transport_->answers[0x1A] = ScriptedChanger::data(from_hex(testdata::kElementAddressAssignment));
  }
  // tgt's answers to each element type (the captures).
  void answer_like_tgt() {
    transport_->answers[0xB8] = [](const CommandRequest& r) {
      switch (r.cdb[1] & 0x0F) {
        case 1: return ScriptedChanger::reply(r, from_hex(testdata::kTransportStatus));
        case 2: return ScriptedChanger::reply(r, from_hex(testdata::kStorageStatus));
        case 3: return ScriptedChanger::reply(r, one_page(3, 52, {{32, false}}, true));
        default: return ScriptedChanger::reply(r, from_hex(testdata::kDriveStatus));
      }
    };
  }
  std::vector<Sent> reads() const {
    std::vector<Sent> out;
    for (const auto& s : log_)
      if (s.cdb[0] == 0xB8) out.push_back(s);
    return out;
  }

  std::vector<Sent> log_;
  ScriptedChanger* transport_;
  std::unique_ptr<Changer> changer_;
};

TEST_F(ChangerTest, ReadsEachElementTypeOverItsRange) {
  answer_like_tgt();
  auto inv = changer_->read_element_status();
  ASSERT_TRUE(inv.ok()) << inv.error().to_string();
  ASSERT_EQ(inv->transports.size(), 1u);
  ASSERT_EQ(inv->slots.size(), 3u);
  ASSERT_EQ(inv->import_export.size(), 1u);
  ASSERT_EQ(inv->drives.size(), 1u);
  EXPECT_EQ(inv->first_transport(), std::optional<uint16_t>(16));
  EXPECT_EQ(inv->find(1)->volume_tag, "DISC0002");
  EXPECT_EQ(inv->slot_with_tag("DISC0001")->address, 1024);
  EXPECT_EQ(inv->slot_with_tag("DISC0002"), nullptr);  // in the drive, not a slot
  EXPECT_EQ(inv->find(999), nullptr);

  auto sent = reads();
  ASSERT_EQ(sent.size(), 4u);
  // VolTag, type, first address and count from page 0x1D; tgt-sized allocation.
  EXPECT_EQ(sent[0].cdb, from_hex("b81100100001000000440000"));
  EXPECT_EQ(sent[1].cdb, from_hex("b81204000003000000ac0000"));
  EXPECT_EQ(sent[2].cdb, from_hex("b81300200001000000440000"));
  EXPECT_EQ(sent[3].cdb, from_hex("b81400010001000000440000"));
  EXPECT_EQ(sent[1].timeout, std::chrono::seconds(300));
  // Page 0x1D is read once.
  ASSERT_TRUE(changer_->read_element_status().ok());
  EXPECT_EQ(std::count_if(log_.begin(), log_.end(), [](const Sent& s) { return s.cdb[0] == 0x1A; }), 1);
}

TEST_F(ChangerTest, AsksAgainWithoutVolumeTagsWhenRefused) {
  transport_->answers[0xB8] = [](const CommandRequest& r) -> Result<CommandResult> {
    if (r.cdb[1] & 0x10) return check({5, 0x24, 0x00});
    return ScriptedChanger::reply(r, one_page(r.cdb[1] & 0x0F, 12, {{mmc::ByteView(r.cdb).be16(2), true}}, false));
  };
  auto inv = changer_->read_element_status();
  ASSERT_TRUE(inv.ok()) << inv.error().to_string();
  EXPECT_TRUE(inv->slots[0].full);
  EXPECT_EQ(inv->slots[0].volume_tag, "");
  auto sent = reads();
  ASSERT_EQ(sent.size(), 5u);  // one refusal, then four without VolTag
  EXPECT_TRUE(sent[0].cdb[1] & 0x10);
  for (size_t i = 1; i < sent.size(); ++i) EXPECT_FALSE(sent[i].cdb[1] & 0x10) << i;
}

TEST_F(ChangerTest, ReadsAgainAtTheAnnouncedLength) {
  // 84-byte descriptors (both volume tags): more than the first allocation.
  const Bytes big = [] {
    Bytes r = one_page(2, 84, {{1024, true}, {1025, true}, {1026, false}}, true);
    r[9] |= 0x40;
    return r;
  }();
  transport_->answers[0xB8] = [big](const CommandRequest& r) {
    if ((r.cdb[1] & 0x0F) == 2) return ScriptedChanger::reply(r, big);
    return ScriptedChanger::reply(r, one_page(r.cdb[1] & 0x0F, 52, {}, true));
  };
  auto inv = changer_->read_element_status();
  ASSERT_TRUE(inv.ok()) << inv.error().to_string();
  ASSERT_EQ(inv->slots.size(), 3u);
  EXPECT_EQ(inv->slots[1].volume_tag, "T");
  auto sent = reads();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(sent[1].in_capacity, 16u + 3 * 52);
  EXPECT_EQ(sent[2].in_capacity, big.size());
  EXPECT_EQ(sent[2].cdb[1], sent[1].cdb[1]);
}

TEST_F(ChangerTest, WithoutPage1DReadsEverythingAtOnce) {
  transport_->answers[0x1A] = [](const CommandRequest&) -> Result<CommandResult> { return check({5, 0x24, 0}); };
  Bytes all = one_page(2, 52, {{1024, true}}, true);
  Bytes drive = one_page(4, 52, {{1, false}}, true);
  all.insert(all.end(), drive.begin() + 8, drive.end());
  all[3] = 2;
  mmc::put_be24(&all[5], static_cast<uint32_t>(all.size() - 8));
  transport_->answers[0xB8] = ScriptedChanger::data(all);
  auto inv = changer_->read_element_status();
  ASSERT_TRUE(inv.ok()) << inv.error().to_string();
  EXPECT_EQ(inv->slots.size(), 1u);
  EXPECT_EQ(inv->drives.size(), 1u);
  auto sent = reads();
  ASSERT_GE(sent.size(), 1u);
  EXPECT_EQ(sent[0].cdb[1] & 0x0F, 0);  // element type: all
  EXPECT_EQ(mmc::ByteView(sent[0].cdb).be16(4), 0xFFFF);
}

TEST_F(ChangerTest, AnswerOfAnotherTypeIsMalformed) {
  transport_->answers[0xB8] = ScriptedChanger::data(one_page(2, 52, {{1024, true}}, true));
  auto inv = changer_->read_element_status();
  ASSERT_FALSE(inv.ok());
  EXPECT_EQ(inv.error().code(), ErrorCode::kMalformedResponse);
  EXPECT_NE(inv.error().message().find("asked for medium transport elements, got storage element 1024"),
            std::string::npos)
      << inv.error().to_string();
}

TEST_F(ChangerTest, MoveMediumCdbTimeoutAndError) {
  transport_->answers[0xA5] = [](const CommandRequest&) -> Result<CommandResult> { return CommandResult{}; };
  ASSERT_TRUE(changer_->move_medium(16, 1025, 1).ok());
  EXPECT_EQ(log_.back().cdb, from_hex("a50000100401000100000000"));
  EXPECT_EQ(log_.back().timeout, std::chrono::seconds(900));

  transport_->answers[0xA5] = [](const CommandRequest&) -> Result<CommandResult> { return check({5, 0x3B, 0x0D}); };
  Status full = changer_->move_medium(16, 1024, 1);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().to_string(),
            "MOVE MEDIUM: from storage element 1024 to data transfer element 1 by medium transport element 16: "
            "ILLEGAL REQUEST 5/3B/0D medium destination element full [sense 5/3B/0D]");
}

}  // namespace
}  // namespace discrec::device
