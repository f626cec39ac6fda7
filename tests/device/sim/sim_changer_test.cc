// The emulated changer (sim-changer://) at the CDB level, byte by byte
// against SMC-3: identification, mode pages, READ ELEMENT STATUS, MOVE
// MEDIUM and its errors, the import/export door, move times on the clock,
// and library.state across reopen.
#include <filesystem>
#include <fstream>

#include "device/drive.h"
#include "device/sim/changer_options.h"
#include "device/sim/sim_transport.h"
#include "tests/device/sim/changer_test_util.h"

namespace discrec::device::sim::testing {
namespace {

constexpr uint16_t kSlot1 = 0x1000;
constexpr uint16_t kDrive1 = 0x0100;
constexpr uint16_t kMailSlot = 0x0010;

TEST(SimChangerOptionsTest, ParsesTheLibraryAndDriveParameters) {
  auto o = parse_sim_changer_uri(
      "sim-changer:///tmp/lib?slots=8&drives=3&import_export=2&discs=5&profile=dvd+r&blocks=4096&move_ms=1500"
      "&timing=off&speed=4&rate_divisor=277&formatted=spares");
  ASSERT_TRUE(o.ok()) << o.error().to_string();
  EXPECT_EQ(o->directory, "/tmp/lib");
  EXPECT_EQ(o->drive, 0);
  EXPECT_EQ(o->shape.slots, 8);
  EXPECT_EQ(o->shape.drives, 3);
  EXPECT_EQ(o->shape.import_export, 2);
  EXPECT_EQ(o->shape.discs, 5);
  ASSERT_NE(o->shape.media, nullptr);
  EXPECT_EQ(o->shape.media->name, "dvd+r");
  EXPECT_EQ(o->shape.blocks, 4096u);
  EXPECT_EQ(o->shape.preformat, Preformat::kWithSpares);
  EXPECT_EQ(o->move_time_ms(), 1500u);
  EXPECT_FALSE(o->timing);
  EXPECT_EQ(o->drive_options.rate_divisor, 277u);
  EXPECT_EQ(o->drive_options.speed_x10, 40);

  auto d = parse_sim_changer_uri("sim-changer:///tmp/lib/?drive=2");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->directory, "/tmp/lib");
  EXPECT_EQ(d->drive, 2);
  EXPECT_EQ(d->move_time_ms(), 8000u);  // timing on by default
  EXPECT_EQ(parse_sim_changer_uri("sim-changer:///tmp/lib?timing=off")->move_time_ms(), 0u);

  for (const char* bad : {"sim-changer://relative/lib", "sim://tmp/lib", "sim-changer:///tmp/lib?slots=0",
                          "sim-changer:///tmp/lib?drive=0", "sim-changer:///tmp/lib?medium=absent",
                          "sim-changer:///tmp/lib?bogus=1", "sim-changer:///tmp/lib?slots=2&discs=3",
                          "sim-changer:///tmp/lib?import_export=17", "sim-changer:///tmp/lib?profile=cd-r",
                          "sim-changer:///tmp/lib?slots"}) {
    auto r = parse_sim_changer_uri(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

TEST_F(ChangerTest, InquiryIdentifiesAMediumChanger) {
  open_changer("timing=off");
  auto a = in({0x12, 0, 0, 0, 96, 0}, 96);
  ASSERT_TRUE(a.good());
  ASSERT_EQ(a.data.size(), 36u);
  EXPECT_EQ(a.data[0] & 0x1F, 0x08);
  EXPECT_EQ(std::string(a.data.begin() + 8, a.data.begin() + 16), "DISCREC ");
  EXPECT_EQ(std::string(a.data.begin() + 16, a.data.begin() + 32), "SIM CHANGER     ");
  auto pages = in({0x12, 1, 0x00, 0, 64, 0}, 64);
  ASSERT_TRUE(pages.good());
  EXPECT_EQ(pages.data, (std::vector<uint8_t>{0x08, 0, 0, 2, 0x00, 0x80}));
  auto serial = in({0x12, 1, 0x80, 0, 64, 0}, 64);
  ASSERT_TRUE(serial.good());
  EXPECT_EQ(serial.data.size(), 4u + serial.data[3]);
  EXPECT_EQ(std::string(serial.data.begin() + 4, serial.data.begin() + 8), "SIMC");
  EXPECT_SENSE(in({0x12, 1, 0x83, 0, 64, 0}, 64), 5, 0x24, 0x00);
  EXPECT_SENSE(in({0x12, 0, 0x80, 0, 64, 0}, 64), 5, 0x24, 0x00);
  // Allocation length honoured.
  EXPECT_EQ(in({0x12, 0, 0, 0, 5, 0}, 96).data.size(), 5u);
}

TEST_F(ChangerTest, TestUnitReadyRequestSenseAndUnknownOpcodes) {
  open_changer("timing=off");
  EXPECT_GOOD(none({0x00, 0, 0, 0, 0, 0}));
  auto s = in({0x03, 0, 0, 0, 18, 0}, 18);
  ASSERT_TRUE(s.good());
  EXPECT_EQ(s.data[0], 0x70);
  EXPECT_EQ(s.data[2] & 0x0F, 0);
  EXPECT_SENSE(none({0x01, 0, 0, 0, 0, 0}), 5, 0x20, 0x00);
  EXPECT_SENSE(none({0xA6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), 5, 0x20, 0x00);  // EXCHANGE MEDIUM
  EXPECT_SENSE(none({0x2B, 0, 0, 0, 0, 0, 0, 0, 0, 0}), 5, 0x20, 0x00);       // POSITION TO ELEMENT
  EXPECT_SENSE(none({0xC0, 0, 0, 0, 0, 0}), 5, 0x20, 0x00);
  EXPECT_SENSE(none({0xA5, 0, 0, 0, 0, 0}), 5, 0x24, 0x00);  // a MOVE MEDIUM too short
  EXPECT_SENSE(none({0x1E, 0, 0, 0, 0x02, 0}), 5, 0x24, 0x00);
}

TEST_F(ChangerTest, ModeSenseElementAddressAssignment) {
  open_changer("slots=6&drives=2&import_export=1&timing=off");
  auto check_1d = [](const std::vector<uint8_t>& p) {
    ASSERT_GE(p.size(), 20u);
    EXPECT_EQ(p[0] & 0x3F, 0x1D);
    EXPECT_EQ(p[1], 18);
    EXPECT_EQ(be16_of(p, 2), 0x0001);  // medium transport
    EXPECT_EQ(be16_of(p, 4), 1);
    EXPECT_EQ(be16_of(p, 6), 0x1000);  // storage
    EXPECT_EQ(be16_of(p, 8), 6);
    EXPECT_EQ(be16_of(p, 10), 0x0010);  // import/export
    EXPECT_EQ(be16_of(p, 12), 1);
    EXPECT_EQ(be16_of(p, 14), 0x0100);  // data transfer
    EXPECT_EQ(be16_of(p, 16), 2);
  };
  auto six = in({0x1A, 0x08, 0x1D, 0, 255, 0}, 255);
  ASSERT_TRUE(six.good());
  ASSERT_EQ(six.data.size(), 24u);
  EXPECT_EQ(six.data[0], 23);  // mode data length
  EXPECT_EQ(six.data[3], 0);   // no block descriptors
  check_1d({six.data.begin() + 4, six.data.end()});
  auto ten = in({0x5A, 0x08, 0x1D, 0, 0, 0, 0, 0, 255, 0}, 255);
  ASSERT_TRUE(ten.good());
  ASSERT_EQ(ten.data.size(), 28u);
  EXPECT_EQ(be16_of(ten.data, 0), 26);
  EXPECT_EQ(be16_of(ten.data, 6), 0);
  check_1d({ten.data.begin() + 8, ten.data.end()});

  // All pages: 1Dh, 1Eh, 1Fh in order; 1Fh says discs rest in slots,
  // import/export and drives, and move between any of them.
  auto all = in({0x5A, 0x08, 0x3F, 0, 0, 0, 0, 0x01, 0x00, 0}, 256);
  ASSERT_TRUE(all.good());
  ASSERT_EQ(all.data.size(), 8u + 20 + 4 + 20);
  EXPECT_EQ(all.data[8 + 20], 0x1E);
  size_t caps = 8 + 20 + 4;
  EXPECT_EQ(all.data[caps], 0x1F);
  EXPECT_EQ(all.data[caps + 2], 0x0E);
  EXPECT_EQ(all.data[caps + 4], 0x00);  // the picker holds nothing to move from
  EXPECT_EQ(all.data[caps + 5], 0x0E);
  EXPECT_EQ(all.data[caps + 6], 0x0E);
  EXPECT_EQ(all.data[caps + 7], 0x0E);

  auto changeable = in({0x5A, 0x08, 0x40 | 0x1D, 0, 0, 0, 0, 0, 255, 0}, 255);
  ASSERT_TRUE(changeable.good());
  EXPECT_EQ(be16_of(changeable.data, 8 + 6), 0);
  EXPECT_SENSE(in({0x5A, 0x08, 0xC0 | 0x1D, 0, 0, 0, 0, 0, 255, 0}, 255), 5, 0x39, 0x00);
  EXPECT_SENSE(in({0x5A, 0x08, 0x05, 0, 0, 0, 0, 0, 255, 0}, 255), 5, 0x24, 0x00);
  EXPECT_SENSE(in({0x5A, 0x08, 0x1D, 0x01, 0, 0, 0, 0, 255, 0}, 255), 5, 0x24, 0x00);
  // Allocation length honoured; the length field still tells the whole.
  auto cut = in({0x1A, 0x08, 0x1D, 0, 6, 0}, 255);
  ASSERT_TRUE(cut.good());
  EXPECT_EQ(cut.data.size(), 6u);
  EXPECT_EQ(cut.data[0], 23);
}

TEST_F(ChangerTest, ReadElementStatusReportsEveryElementInAddressOrder) {
  open_changer("slots=6&drives=2&import_export=1&timing=off");
  auto a = in(res_cdb(0, 0, 0xFFFF, true, 4096), 4096);
  ASSERT_TRUE(a.good());
  // Header + four pages (transport, import/export, drives, slots) of
  // 52-byte descriptors: 12 + 36 (volume tag) + 4 (no identifier).
  size_t expected = 8 + 4 * 8 + (1 + 1 + 2 + 6) * 52;
  ASSERT_EQ(a.data.size(), expected);
  auto r = parse(a.data);
  EXPECT_EQ(r.first, 0x0001);
  EXPECT_EQ(r.count, 10);
  EXPECT_EQ(r.byte_count, expected - 8);
  for (size_t page : {size_t{8}, size_t{8 + 8 + 52}, size_t{8 + 2 * (8 + 52)}, size_t{8 + 3 * (8 + 52) + 52}}) {
    EXPECT_EQ(a.data[page + 1], 0x80) << "PVolTag";
    EXPECT_EQ(be16_of(a.data, page + 2), 52);
  }
  ASSERT_EQ(r.elements.size(), 10u);
  std::vector<uint16_t> addresses;
  for (const auto& e : r.elements) addresses.push_back(e.address);
  EXPECT_EQ(addresses, (std::vector<uint16_t>{0x0001, 0x0010, 0x0100, 0x0101, 0x1000, 0x1001, 0x1002, 0x1003,
                                              0x1004, 0x1005}));
  EXPECT_EQ(r.elements[0].type, 1);
  EXPECT_FALSE(r.elements[0].full());
  EXPECT_EQ(r.elements[1].type, 3);
  EXPECT_EQ(r.elements[1].flags, 0x38);  // InEnab, ExEnab, Access; empty
  EXPECT_EQ(r.elements[2].type, 4);
  EXPECT_EQ(r.elements[2].flags, 0x08);  // Access; empty
  for (int i = 0; i < 6; ++i) {
    const auto& slot = r.elements[4 + i];
    EXPECT_EQ(slot.type, 2);
    EXPECT_EQ(slot.flags, 0x09);  // Access, Full
    EXPECT_EQ(slot.tag, "DISC0" + std::to_string(i + 1));
    EXPECT_FALSE(slot.svalid);  // never moved
  }
  // The blank discs are on disk, named by their tags.
  EXPECT_TRUE(std::filesystem::exists(library_dir() + "/DISC01.img.state"));
  EXPECT_TRUE(std::filesystem::exists(library_dir() + "/DISC06.img.state"));
  EXPECT_TRUE(std::filesystem::exists(library_dir() + "/library.state"));
}

TEST_F(ChangerTest, ReadElementStatusFiltersByTypeStartAndCount) {
  open_changer("slots=6&drives=2&import_export=1&discs=4&timing=off");
  auto a = in(res_cdb(2, 0x1002, 3, false, 4096), 4096);
  ASSERT_TRUE(a.good());
  // Without VolTag: 16-byte descriptors, PVolTag clear.
  ASSERT_EQ(a.data.size(), 8u + 8 + 3 * 16);
  EXPECT_EQ(a.data[9], 0x00);
  EXPECT_EQ(be16_of(a.data, 10), 16);
  auto r = parse(a.data);
  ASSERT_EQ(r.elements.size(), 3u);
  EXPECT_EQ(r.first, 0x1002);
  EXPECT_EQ(r.elements[0].address, 0x1002);
  EXPECT_TRUE(r.elements[1].full());    // slot 4: DISC04
  EXPECT_FALSE(r.elements[2].full());   // slot 5: discs=4
  EXPECT_TRUE(r.elements[0].tag.empty());

  // Drives only, starting below them.
  auto drives = status(4, 0);
  ASSERT_EQ(drives.elements.size(), 2u);
  EXPECT_EQ(drives.elements[0].address, 0x0100);
  // A start between elements reports from the next one.
  EXPECT_EQ(status(0, 0x0002).first, 0x0010);
  // Zero elements asked: the header only.
  auto zero = in(res_cdb(0, 0, 0, true, 4096), 4096);
  ASSERT_TRUE(zero.good());
  EXPECT_EQ(zero.data, (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_SENSE(in(res_cdb(5, 0, 10, true, 4096), 4096), 5, 0x24, 0x00);
  EXPECT_SENSE(in(res_cdb(4, 0x0102, 10, true, 4096), 4096), 5, 0x21, 0x01);
  EXPECT_SENSE(in(res_cdb(0, 0x1006, 10, true, 4096), 4096), 5, 0x21, 0x01);
}

TEST_F(ChangerTest, ReadElementStatusTruncatesButAnnouncesTheWholeReport) {
  open_changer("slots=6&drives=2&import_export=1&timing=off");
  size_t whole = 8 + 4 * 8 + 10 * 52;
  for (uint32_t alloc : {8u, 16u, 100u}) {
    auto a = in(res_cdb(0, 0, 0xFFFF, true, alloc), 4096);
    ASSERT_TRUE(a.good());
    ASSERT_EQ(a.data.size(), alloc);
    EXPECT_EQ(be16_of(a.data, 2), 10) << "elements available, not those that fit";
    EXPECT_EQ(uint32_t{a.data[5]} << 16 | uint32_t{a.data[6]} << 8 | a.data[7], whole - 8);
    EXPECT_EQ(a.result.residual, 4096 - alloc);
  }
  // A host buffer smaller than the allocation length.
  auto small = in(res_cdb(0, 0, 0xFFFF, true, 4096), 12);
  ASSERT_TRUE(small.good());
  EXPECT_EQ(small.data.size(), 12u);
  auto none_at_all = in(res_cdb(0, 0, 0xFFFF, true, 0), 64);
  ASSERT_TRUE(none_at_all.good());
  EXPECT_TRUE(none_at_all.data.empty());
}

TEST_F(ChangerTest, ReadElementStatusDvcidNamesEachDriveBySerialNumber) {
  open_changer("slots=2&drives=2&timing=off");
  auto a = in(res_cdb(4, 0, 2, true, 4096, true), 4096);
  ASSERT_TRUE(a.good());
  EXPECT_EQ(be16_of(a.data, 10), 12 + 36 + 4 + 32);
  auto r = parse(a.data);
  ASSERT_EQ(r.elements.size(), 2u);
  SimDrive* drive2 = open_drive(2);
  ASSERT_NE(drive2, nullptr);
  auto serial = run(*drive2, {0x12, 1, 0x80, 0, 64, 0}, DataDirection::kIn, 64);
  ASSERT_TRUE(serial.good());
  EXPECT_EQ(r.elements[1].identifier, std::string(serial.data.begin() + 4, serial.data.end()));
  EXPECT_NE(r.elements[0].identifier, r.elements[1].identifier);
  // Slots carry an empty identification.
  auto slots = in(res_cdb(2, 0, 2, false, 4096, true), 4096);
  EXPECT_EQ(be16_of(slots.data, 10), 16);
}

TEST_F(ChangerTest, MoveMediumMovesTheDiscAndRecordsWhereItCameFrom) {
  open_changer("slots=6&drives=2&import_export=1&timing=off");
  EXPECT_GOOD(move(kSlot1, kDrive1));
  auto drive = element(kDrive1);
  ASSERT_TRUE(drive);
  EXPECT_TRUE(drive->full());
  EXPECT_EQ(drive->tag, "DISC01");
  EXPECT_TRUE(drive->svalid);
  EXPECT_EQ(drive->source, kSlot1);
  EXPECT_FALSE(element(kSlot1)->full());
  // On to the mail slot: the source stays the slot it lived in.
  EXPECT_GOOD(move(kDrive1, kMailSlot, 0x0001));
  auto mail = element(kMailSlot);
  EXPECT_TRUE(mail->full());
  EXPECT_EQ(mail->source, kSlot1);
  EXPECT_EQ(mail->flags & 0x02, 0) << "ImpExp: put there by the picker";
  // Home again, then into another slot: the source follows.
  EXPECT_GOOD(move(kMailSlot, kSlot1));
  EXPECT_GOOD(move(0x1001, kDrive1));
  EXPECT_GOOD(move(kSlot1, 0x1001));
  EXPECT_EQ(element(0x1001)->source, kSlot1);
  EXPECT_EQ(element(0x1001)->tag, "DISC01");
  EXPECT_GOOD(move(0x1001, 0x1001));  // to where it is: nothing to do
  EXPECT_EQ(changer_->snapshot().moves, 5u);
}

TEST_F(ChangerTest, MoveMediumErrors) {
  open_changer("slots=3&drives=1&import_export=1&timing=off");
  EXPECT_SENSE(move(kMailSlot, kDrive1), 5, 0x3B, 0x0E);  // source empty
  EXPECT_SENSE(move(kSlot1, 0x1001), 5, 0x3B, 0x0D);      // destination full
  EXPECT_SENSE(move(0x1003, kDrive1), 5, 0x21, 0x01);     // no slot 4
  EXPECT_SENSE(move(kSlot1, 0x0101), 5, 0x21, 0x01);      // no drive 2
  EXPECT_SENSE(move(kSlot1, 0x0011), 5, 0x21, 0x01);
  EXPECT_SENSE(move(0x0001, kDrive1), 5, 0x21, 0x01);     // the picker is no source
  EXPECT_SENSE(move(kSlot1, 0x0001), 5, 0x21, 0x01);
  EXPECT_SENSE(move(kSlot1, kDrive1, 0x0002), 5, 0x21, 0x01);  // no such picker
  EXPECT_SENSE(none({0xA5, 0, 0, 0, 0x10, 0x00, 0x01, 0x00, 0, 0, 0x01, 0}), 5, 0x24, 0x00);  // Invert
  // Nothing moved.
  EXPECT_EQ(element(kSlot1)->tag, "DISC01");
  EXPECT_FALSE(element(kDrive1)->full());
  EXPECT_EQ(changer_->snapshot().moves, 0u);
}

TEST_F(ChangerTest, AnElementInExceptionCannotBeReached) {
  open_changer("slots=2&drives=1&timing=off");
  ASSERT_TRUE(changer_->library().set_exception(kDrive1, SenseCode{0x4, 0x83, 0x02}).ok());
  auto drive = element(kDrive1);
  EXPECT_EQ(drive->flags, 0x04);  // Except, no Access
  EXPECT_EQ(drive->asc, 0x83);
  EXPECT_EQ(drive->ascq, 0x02);
  EXPECT_EQ(element(kSlot1)->asc, 0x00);
  EXPECT_SENSE(move(kSlot1, kDrive1), 4, 0x15, 0x01);
  EXPECT_EQ(element(kSlot1)->tag, "DISC01");
  ASSERT_TRUE(changer_->library().set_exception(kDrive1, std::nullopt).ok());
  EXPECT_EQ(element(kDrive1)->flags, 0x08);
  EXPECT_GOOD(move(kSlot1, kDrive1));
  EXPECT_EQ(element(kDrive1)->flags, 0x09);
  EXPECT_FALSE(changer_->library().set_exception(0x0999, SenseCode{0x4, 0x83, 0x02}).ok());
}

TEST_F(ChangerTest, ADriveWhoseDiscIsLockedRefusesToGiveItUp) {
  open_changer("slots=2&drives=1&timing=off");
  SimDrive* drive = open_drive(1);
  ASSERT_NE(drive, nullptr);
  EXPECT_GOOD(move(kSlot1, kDrive1));
  EXPECT_SENSE(tur(*drive), 6, 0x28, 0x00);
  EXPECT_GOOD(run(*drive, {0x1E, 0, 0, 0, 0x01, 0}, DataDirection::kNone, 0));  // PREVENT
  EXPECT_SENSE(move(kDrive1, kSlot1), 5, 0x53, 0x02);
  EXPECT_EQ(element(kDrive1)->tag, "DISC01");
  EXPECT_GOOD(tur(*drive));  // still loaded
  EXPECT_GOOD(run(*drive, {0x1E, 0, 0, 0, 0x00, 0}, DataDirection::kNone, 0));  // ALLOW
  EXPECT_GOOD(move(kDrive1, kSlot1));
  EXPECT_SENSE(tur(*drive), 2, 0x3A, 0x00);
}

TEST_F(ChangerTest, TheImportExportDoorTakesBlankDiscsAndGivesRecordedOnes) {
  open_changer("slots=2&drives=1&import_export=2&timing=off");
  // The host locks the door: the operator cannot open it.
  EXPECT_GOOD(none({0x1E, 0, 0, 0, 0x01, 0}));
  EXPECT_TRUE(changer_->snapshot().door_locked);
  auto locked = changer_->import_blank_disc();
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_GOOD(none({0x1E, 0, 0, 0, 0x00, 0}));

  auto tag = changer_->import_blank_disc();
  ASSERT_TRUE(tag.ok()) << tag.error().to_string();
  EXPECT_EQ(*tag, "DISC03");
  // The host hears of it once: 6/28/01, import or export element accessed.
  EXPECT_SENSE(none({0x00, 0, 0, 0, 0, 0}), 6, 0x28, 0x01);
  EXPECT_GOOD(none({0x00, 0, 0, 0, 0, 0}));
  auto mail = element(kMailSlot);
  EXPECT_TRUE(mail->full());
  EXPECT_EQ(mail->tag, "DISC03");
  EXPECT_EQ(mail->flags, 0x3B);  // InEnab, ExEnab, Access, ImpExp, Full
  EXPECT_FALSE(mail->svalid);
  EXPECT_TRUE(std::filesystem::exists(library_dir() + "/DISC03.img.state"));
  EXPECT_EQ(*changer_->import_blank_disc(0x0011), "DISC04");
  EXPECT_FALSE(changer_->import_blank_disc().ok()) << "both mail slots full";
  EXPECT_FALSE(changer_->import_blank_disc(kSlot1).ok()) << "not a mail slot";

  // The blank disc goes into the drive, the recorded one out through the door.
  EXPECT_SENSE(none({0x00, 0, 0, 0, 0, 0}), 6, 0x28, 0x01);
  EXPECT_GOOD(move(kMailSlot, kDrive1));
  EXPECT_EQ(element(kDrive1)->source, kMailSlot) << "never in a slot: it came through the door";
  EXPECT_GOOD(move(kDrive1, kMailSlot));
  auto out = changer_->take_out(kMailSlot);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, library_dir() + "/DISC03.img");
  EXPECT_TRUE(std::filesystem::exists(*out));
  EXPECT_SENSE(none({0x00, 0, 0, 0, 0, 0}), 6, 0x28, 0x01);
  EXPECT_FALSE(element(kMailSlot)->full());
  EXPECT_FALSE(changer_->take_out(kMailSlot).ok()) << "empty now";
  EXPECT_FALSE(changer_->take_out(kSlot1).ok()) << "not a mail slot";
  // Volume tags are never handed out twice.
  EXPECT_EQ(*changer_->import_blank_disc(), "DISC05");
}

TEST_F(ChangerTest, MovesTakeTheirTimeOnTheClock) {
  open_changer("slots=3&drives=1&import_export=1");  // timing on: 8 s a move
  TimePoint t0 = clock_.now();
  EXPECT_GOOD(move(kSlot1, kDrive1));
  EXPECT_EQ(clock_.now() - t0, std::chrono::seconds(8));
  // A failed move costs nothing.
  t0 = clock_.now();
  EXPECT_SENSE(move(kSlot1, kDrive1), 5, 0x3B, 0x0E);
  EXPECT_EQ(clock_.now(), t0);
  // READ ELEMENT STATUS is instant; INITIALIZE ELEMENT STATUS scans every
  // element (3 + 1 + 1) at 100 ms each.
  status();
  EXPECT_EQ(clock_.now(), t0);
  EXPECT_GOOD(none({0x07, 0, 0, 0, 0, 0}));
  EXPECT_EQ(clock_.now() - t0, std::chrono::milliseconds(500));
  // A move longer than the host waits: a timeout, and the disc moved anyway.
  t0 = clock_.now();
  CommandRequest r;
  std::vector<uint8_t> cdb{0xA5, 0, 0, 0, 0x01, 0x00, 0x10, 0x00, 0, 0, 0, 0};  // drive -> slot 1
  r.cdb = cdb;
  r.timeout = std::chrono::seconds(2);
  auto timed_out = changer_->execute(r);
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.error().code(), ErrorCode::kTimeout);
  EXPECT_EQ(clock_.now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(changer_->snapshot().transport_free_at, t0 + std::chrono::seconds(8));
  EXPECT_EQ(element(kSlot1)->tag, "DISC01");
  // The picker is still busy: the next move starts when it is free.
  EXPECT_GOOD(move(0x1001, kDrive1));
  EXPECT_EQ(clock_.now() - t0, std::chrono::seconds(16));

  open_changer("move_ms=1500");
  t0 = clock_.now();
  EXPECT_GOOD(move(0x1000, 0x1001));
  EXPECT_EQ(clock_.now() - t0, std::chrono::milliseconds(1500));
  open_changer("timing=off");
  t0 = clock_.now();
  EXPECT_GOOD(move(0x1001, 0x1000));
  EXPECT_GOOD(none({0x07, 0, 0, 0, 0, 0}));
  EXPECT_EQ(clock_.now(), t0);
}

TEST_F(ChangerTest, TheLibrarySurvivesAReopen) {
  open_changer("slots=4&drives=2&import_export=1&timing=off");
  EXPECT_GOOD(move(kSlot1, 0x0101));
  ASSERT_TRUE(changer_->import_blank_disc().ok());
  // One changer per library.
  auto second = SimChanger::open(uri(""), TransportOptions{&clock_});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), ErrorCode::kUnavailable);
  changer_.reset();

  // A crash while replacing the state left a torn temporary file: the
  // state itself is whole, and the next save replaces the leftover.
  { std::ofstream(library_dir() + "/library.state.tmp") << "discrec-sim-lib"; }
  open_changer("");  // the shape from library.state
  auto r = status();
  ASSERT_EQ(r.elements.size(), 1u + 1 + 2 + 4);
  auto drive2 = element(0x0101);
  EXPECT_EQ(drive2->tag, "DISC01");
  EXPECT_EQ(drive2->source, kSlot1);
  EXPECT_EQ(element(kMailSlot)->tag, "DISC05");
  EXPECT_TRUE(element(kMailSlot)->flags & 0x02);
  EXPECT_FALSE(element(kSlot1)->full());
  EXPECT_EQ(*changer_->take_out(kMailSlot), library_dir() + "/DISC05.img");
  EXPECT_EQ(*changer_->import_blank_disc(), "DISC06");
  EXPECT_SENSE(none({0x00, 0, 0, 0, 0, 0}), 6, 0x28, 0x01);
  EXPECT_EQ(element(kMailSlot)->tag, "DISC06");
  changer_.reset();

  // The URI must agree with what is there.
  for (const char* contradiction : {"slots=5", "drives=1", "import_export=0", "profile=dvd+r", "blocks=4096"}) {
    auto c = SimChanger::open(uri(contradiction), TransportOptions{&clock_});
    ASSERT_FALSE(c.ok()) << contradiction;
    EXPECT_EQ(c.error().code(), ErrorCode::kFailedPrecondition) << contradiction;
  }
  // A torn write never happened: the state is replaced whole.
  EXPECT_FALSE(std::filesystem::exists(library_dir() + "/library.state.tmp"));
}

TEST_F(ChangerTest, OpenTransportKnowsTheScheme) {
  auto changer = open_transport(uri("slots=2&drives=1&timing=off"), TransportOptions{&clock_});
  ASSERT_TRUE(changer.ok()) << changer.error().to_string();
  auto a = run(**changer, {0x12, 0, 0, 0, 36, 0}, DataDirection::kIn, 36);
  EXPECT_EQ(a.data[0] & 0x1F, 0x08);
  auto drive = open_transport(uri("timing=off&drive=1"), TransportOptions{&clock_});
  ASSERT_TRUE(drive.ok()) << drive.error().to_string();
  auto b = run(**drive, {0x12, 0, 0, 0, 36, 0}, DataDirection::kIn, 36);
  EXPECT_EQ(b.data[0] & 0x1F, 0x05);
  EXPECT_EQ((*drive)->describe(), uri("timing=off&drive=1"));
  auto no_drive = open_transport(uri("drive=2"), TransportOptions{&clock_});
  ASSERT_FALSE(no_drive.ok());
  EXPECT_EQ(no_drive.error().code(), ErrorCode::kInvalidArgument);
  // A changer URI is not a drive, nor the other way round.
  EXPECT_FALSE(SimDrive::open(uri(""), TransportOptions{&clock_}).ok());
  EXPECT_FALSE(SimChanger::open(uri("drive=1"), TransportOptions{&clock_}).ok());
}

TEST_F(ChangerTest, TheDriveCodeSeesTheDiscTheChangerLoads) {
  open_changer("slots=2&drives=1&profile=bd-r&blocks=40000&timing=off");
  auto drive = Drive::open(uri("timing=off&drive=1"), TransportOptions{&clock_});
  ASSERT_TRUE(drive.ok()) << drive.error().to_string();
  auto empty = (*drive)->probe();
  ASSERT_TRUE(empty.ok()) << empty.error().to_string();
  EXPECT_FALSE(empty->medium_present);
  EXPECT_EQ(empty->current_profile, 0);
  EXPECT_EQ(empty->product, "SIM BD WRITER");

  EXPECT_GOOD(move(kSlot1, kDrive1));
  (void)(*drive)->test_unit_ready();  // the unit attention of the new disc
  auto loaded = (*drive)->probe();
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_TRUE(loaded->medium_present);
  EXPECT_TRUE(loaded->ready);
  EXPECT_EQ(loaded->current_profile, 0x0041);
  EXPECT_EQ(loaded->free_blocks, 40000u);
  EXPECT_EQ(loaded->next_writable_address, 0u);
}

}  // namespace
}  // namespace discrec::device::sim::testing
