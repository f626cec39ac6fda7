// The Changer over iSCSI against tgt's SCSI media changer emulation, and the
// Drive on the LUN the changer loads. The ctest fixture
// (tgt_changer_fixture.sh) has started a private tgtd: changer LUN 2 with
// transport 16, slots 1024 "DISC0001" and 1025 "DISC0002" (blank DVD+R
// images), slot 1026 empty, import/export 32, and drive 1 = LUN 1, empty.
// Every test leaves that state behind (run_guest_mtx.sh starts from it).
#include <gtest/gtest.h>

#include <string>

#include "device/changer.h"
#include "device/drive.h"
#include "tests/integration/tgt/tgt_fixture.h"

namespace discrec::device {
namespace {

using ::discrec::test::tgt::read_trimmed;

constexpr uint16_t kTransport = 16;
constexpr uint16_t kSlot1 = 1024, kSlot2 = 1025, kSlot3 = 1026;
constexpr uint16_t kMailSlot = 32;
constexpr uint16_t kDrive = 1;

std::string dir() {
  const char* d = std::getenv("DISCREC_TGT_CHANGER_DIR");
  return d ? d : "";
}
std::string changer_uri() { return read_trimmed(dir() + "/changer_uri"); }
std::string drive_uri() { return read_trimmed(dir() + "/drive_uri"); }

class TgtChanger : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir().empty()) << "DISCREC_TGT_CHANGER_DIR not set (run through ctest)";
    ASSERT_FALSE(changer_uri().empty()) << "the tgt changer fixture did not start";
    auto c = Changer::open(changer_uri());
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    changer_ = std::move(*c);
  }

  ChangerInventory inventory() {
    auto inv = changer_->read_element_status();
    EXPECT_TRUE(inv.ok()) << inv.error().to_string();
    return inv.ok() ? *inv : ChangerInventory{};
  }

  // The fixture's starting state, element by element.
  void expect_initial_state() {
    ChangerInventory inv = inventory();
    ASSERT_EQ(inv.transports.size(), 1u);
    EXPECT_EQ(inv.first_transport(), std::optional<uint16_t>(kTransport));
    EXPECT_FALSE(inv.transports[0].full);
    ASSERT_EQ(inv.slots.size(), 3u);
    EXPECT_EQ(inv.slots[0].address, kSlot1);
    EXPECT_TRUE(inv.slots[0].full);
    EXPECT_EQ(inv.slots[0].volume_tag, "DISC0001");
    EXPECT_EQ(inv.slots[1].address, kSlot2);
    EXPECT_TRUE(inv.slots[1].full);
    EXPECT_EQ(inv.slots[1].volume_tag, "DISC0002");
    EXPECT_EQ(inv.slots[2].address, kSlot3);
    EXPECT_FALSE(inv.slots[2].full);
    ASSERT_EQ(inv.import_export.size(), 1u);
    EXPECT_EQ(inv.import_export[0].address, kMailSlot);
    EXPECT_FALSE(inv.import_export[0].full);
    ASSERT_EQ(inv.drives.size(), 1u);
    EXPECT_EQ(inv.drives[0].address, kDrive);
    EXPECT_FALSE(inv.drives[0].full);
    EXPECT_FALSE(inv.drives[0].except);
  }

  std::unique_ptr<Changer> changer_;
};

TEST_F(TgtChanger, IdentityAndAddresses) {
  InquiryData id = changer_->identity();
  EXPECT_EQ(id.peripheral_device_type, kPeripheralMediumChanger);
  EXPECT_EQ(id.vendor, "STK");
  EXPECT_EQ(id.product, "L700");
  auto a = changer_->element_addresses();
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->medium_transport.first, kTransport);
  EXPECT_EQ(a->storage.first, kSlot1);
  EXPECT_EQ(a->storage.count, 3);
  EXPECT_EQ(a->import_export.first, kMailSlot);
  EXPECT_EQ(a->data_transfer.first, kDrive);
  EXPECT_TRUE(changer_->test_unit_ready().ok());
}

TEST_F(TgtChanger, SlotsFullWithBarcodesDriveEmpty) {
  expect_initial_state();
  // The drive LUN has no medium until the changer loads one.
  auto drive = Drive::open(drive_uri());
  ASSERT_TRUE(drive.ok()) << drive.error().to_string();
  Status ready = (*drive)->test_unit_ready();
  ASSERT_FALSE(ready.ok());
  EXPECT_TRUE(ready.error().has_sense(2, 0x3A)) << ready.error().to_string();
}

TEST_F(TgtChanger, MoveSlotToDriveLoadsABlankDvdPlusRAndBack) {
  ASSERT_TRUE(changer_->move_medium(kTransport, kSlot2, kDrive).ok());
  ChangerInventory inv = inventory();
  ASSERT_EQ(inv.slots.size(), 3u);
  EXPECT_FALSE(inv.slots[1].full);
  EXPECT_TRUE(inv.slots[0].full);
  ASSERT_EQ(inv.drives.size(), 1u);
  EXPECT_TRUE(inv.drives[0].full);
  EXPECT_EQ(inv.drives[0].source_address, std::optional<uint16_t>(kSlot2));
  EXPECT_EQ(inv.drives[0].volume_tag, "DISC0002");

  {
    auto drive = Drive::open(drive_uri());
    ASSERT_TRUE(drive.ok()) << drive.error().to_string();
    auto caps = (*drive)->probe();
    ASSERT_TRUE(caps.ok()) << caps.error().to_string();
    EXPECT_EQ(caps->vendor, "STGT_DVD");
    EXPECT_TRUE(caps->has_medium());
    EXPECT_EQ(caps->current_profile, profile::kDvdPlusR);
  }

  ASSERT_TRUE(changer_->move_medium(kTransport, kDrive, kSlot2).ok());
  inv = inventory();
  ASSERT_EQ(inv.slots.size(), 3u);
  EXPECT_TRUE(inv.slots[1].full);
  EXPECT_EQ(inv.slots[1].volume_tag, "DISC0002");
  EXPECT_EQ(inv.slots[1].source_address, std::optional<uint16_t>(kDrive));
  EXPECT_FALSE(inv.drives[0].full);
  auto drive = Drive::open(drive_uri());
  ASSERT_TRUE(drive.ok());
  Status ready = (*drive)->test_unit_ready();
  ASSERT_FALSE(ready.ok());
  EXPECT_TRUE(ready.error().has_sense(2, 0x3A)) << ready.error().to_string();
  expect_initial_state();
}

TEST_F(TgtChanger, MoveErrorsNameElementsAndSense) {
  Status empty = changer_->move_medium(kTransport, kSlot3, kDrive);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), ErrorCode::kCheckCondition);
  EXPECT_TRUE(empty.error().has_sense(5, 0x3B, 0x0E)) << empty.error().to_string();
  EXPECT_EQ(empty.error().command(), "MOVE MEDIUM");
  EXPECT_EQ(empty.error().message(),
            "from storage element 1026 to data transfer element 1 by medium transport element 16: "
            "ILLEGAL REQUEST 5/3B/0E medium source element empty");

  Status full = changer_->move_medium(kTransport, kSlot1, kSlot2);
  ASSERT_FALSE(full.ok());
  EXPECT_TRUE(full.error().has_sense(5, 0x3B, 0x0D)) << full.error().to_string();
  EXPECT_NE(full.error().message().find("medium destination element full"), std::string::npos);
  expect_initial_state();
}

TEST_F(TgtChanger, InitializeAndPreventAsTgtAnswers) {
  // tgt implements INITIALIZE ELEMENT STATUS as a no-op ...
  Status init = changer_->initialize_element_status();
  EXPECT_TRUE(init.ok()) << init.error().to_string();
  // ... and not PREVENT ALLOW MEDIUM REMOVAL on a changer: a missing
  // feature, said so.
  Status prevent = changer_->prevent_removal(true);
  ASSERT_FALSE(prevent.ok());
  EXPECT_EQ(prevent.error().code(), ErrorCode::kUnsupported) << prevent.error().to_string();
  EXPECT_TRUE(prevent.error().has_sense(5, 0x20, 0x00));
  expect_initial_state();
}

TEST_F(TgtChanger, DriveLunIsNotAChanger) {
  auto c = Changer::open(drive_uri());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(c.error().message().find("not a medium changer"), std::string::npos) << c.error().to_string();
}

}  // namespace
}  // namespace discrec::device
