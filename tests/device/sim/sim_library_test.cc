// The emulated library's drives (sim-changer://...?drive=N): a MOVE MEDIUM
// into or out of a drive open in this process swaps the disc in that live
// SimDrive; a drive opened later finds the disc the library put there; the
// data stays with the disc wherever it goes.
#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/device/sim/changer_test_util.h"

namespace discrec::device::sim::testing {
namespace {

constexpr uint16_t kSlot1 = 0x1000;
constexpr uint16_t kSlot2 = 0x1001;
constexpr uint16_t kDrive1 = 0x0100;
constexpr uint16_t kDrive2 = 0x0101;

class LibraryTest : public ChangerTest {
 protected:
  static Answer write(Transport& drive, uint32_t lba, uint32_t blocks, uint8_t fill) {
    Answer a;
    std::vector<uint8_t> data(size_t{blocks} * 2048, fill);
    std::vector<uint8_t> cdb{0xAA, 0, uint8_t(lba >> 24), uint8_t(lba >> 16), uint8_t(lba >> 8), uint8_t(lba),
                             uint8_t(blocks >> 24), uint8_t(blocks >> 16), uint8_t(blocks >> 8), uint8_t(blocks), 0, 0};
    CommandRequest r;
    r.cdb = cdb;
    r.direction = DataDirection::kOut;
    r.data = data;
    auto result = drive.execute(r);
    EXPECT_TRUE(result.ok());
    if (result.ok()) a.result = *result;
    return a;
  }
  static Answer read(Transport& drive, uint32_t lba, uint32_t blocks) {
    return run(drive,
               {0xA8, 0, uint8_t(lba >> 24), uint8_t(lba >> 16), uint8_t(lba >> 8), uint8_t(lba), uint8_t(blocks >> 24),
                uint8_t(blocks >> 16), uint8_t(blocks >> 8), uint8_t(blocks), 0, 0},
               DataDirection::kIn, size_t{blocks} * 2048);
  }
  static Answer sync(Transport& drive) {
    return run(drive, {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}, DataDirection::kNone, 0);
  }
};

TEST_F(LibraryTest, ADiscMovedIntoAnOpenDriveIsLoadedThere) {
  open_changer("slots=2&drives=2&profile=bd-r&blocks=40000&timing=off");
  SimDrive* drive = open_drive(1);
  ASSERT_NE(drive, nullptr);
  // An empty tray: no medium, no current profile; the drive still names
  // itself after the library's discs.
  EXPECT_SENSE(tur(*drive), 2, 0x3A, 0x00);
  EXPECT_EQ(current_profile(*drive), 0x0000);
  EXPECT_TRUE(drive->tray_empty());
  auto inquiry = run(*drive, {0x12, 0, 0, 0, 36, 0}, DataDirection::kIn, 36);
  EXPECT_EQ(std::string(inquiry.data.begin() + 16, inquiry.data.begin() + 29), "SIM BD WRITER");
  // Loading the tray by hand loads nothing.
  EXPECT_GOOD(run(*drive, {0x1B, 0, 0, 0, 0x03, 0}, DataDirection::kNone, 0));
  EXPECT_SENSE(tur(*drive), 2, 0x3A, 0x00);

  EXPECT_GOOD(move(kSlot1, kDrive1));
  EXPECT_FALSE(drive->tray_empty());
  // As on hardware: the medium changed.
  EXPECT_SENSE(tur(*drive), 6, 0x28, 0x00);
  EXPECT_GOOD(tur(*drive));
  EXPECT_EQ(current_profile(*drive), 0x0041);
  EXPECT_EQ(disc_status(*drive), 0);  // blank
  // READ CAPACITY-free check of the size: the invisible track runs to the
  // library's blocks=.
  auto track = run(*drive, {0x52, 0x01, 0, 0, 0, 1, 0, 0, 48, 0}, DataDirection::kIn, 48);
  ASSERT_TRUE(track.good());
  EXPECT_EQ(be32_of(track.data, 24), 40000u);  // track size
  // The GESN media class says new media.
  auto event = run(*drive, {0x4A, 0x01, 0, 0, 0x10, 0, 0, 0, 8, 0}, DataDirection::kIn, 8);
  ASSERT_TRUE(event.good());
  EXPECT_EQ(event.data[4] & 0x0F, 2);
}

TEST_F(LibraryTest, TheDataTravelsWithTheDisc) {
  open_changer("slots=2&drives=2&profile=bd-r&blocks=40000&timing=off");
  SimDrive* one = open_drive(1);
  SimDrive* two = open_drive(2);
  ASSERT_TRUE(one && two);
  EXPECT_GOOD(move(kSlot1, kDrive1));
  EXPECT_SENSE(tur(*one), 6, 0x28, 0x00);
  EXPECT_GOOD(write(*one, 0, 64, 0xA7));
  EXPECT_GOOD(write(*one, 64, 32, 0x3C));
  EXPECT_GOOD(sync(*one));
  EXPECT_EQ(one->snapshot().next_writable_address, 96u);

  // Back to its slot: the first drive is empty again.
  EXPECT_GOOD(move(kDrive1, kSlot1));
  EXPECT_TRUE(one->tray_empty());
  EXPECT_SENSE(tur(*one), 2, 0x3A, 0x00);
  EXPECT_EQ(current_profile(*one), 0x0000);
  // The other disc goes into the first drive; the written one into the second.
  EXPECT_GOOD(move(kSlot2, kDrive1));
  EXPECT_GOOD(move(kSlot1, kDrive2));
  EXPECT_SENSE(tur(*two), 6, 0x28, 0x00);
  EXPECT_EQ(disc_status(*two), 1);  // incomplete: it has data
  EXPECT_EQ(two->snapshot().next_writable_address, 96u);
  auto a = read(*two, 0, 96);
  ASSERT_TRUE(a.good());
  EXPECT_EQ(a.data[0], 0xA7);
  EXPECT_EQ(a.data[64 * 2048 - 1], 0xA7);
  EXPECT_EQ(a.data[64 * 2048], 0x3C);
  EXPECT_EQ(a.data[96 * 2048 - 1], 0x3C);
  // It goes on recording where it stopped; the other drive has a blank.
  EXPECT_GOOD(write(*two, 96, 32, 0x11));
  EXPECT_SENSE(tur(*one), 6, 0x28, 0x00);
  EXPECT_EQ(disc_status(*one), 0);
  // The disc's own state file knows, whoever holds it.
  EXPECT_GOOD(move(kDrive2, kSlot1));
  std::ifstream state(library_dir() + "/DISC01.img.state");
  std::string text((std::istreambuf_iterator<char>(state)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("track 1 1 0 40000 128 0 0"), std::string::npos) << text;
}

TEST_F(LibraryTest, ADriveOpenedLaterFindsTheDiscTheLibraryPutThere) {
  open_changer("slots=2&drives=2&profile=dvd+r&blocks=8192&timing=off");
  EXPECT_GOOD(move(kSlot2, kDrive2));
  SimDrive* two = open_drive(2);
  ASSERT_NE(two, nullptr);
  EXPECT_GOOD(tur(*two));  // present from the start: no unit attention
  EXPECT_EQ(current_profile(*two), 0x001B);
  EXPECT_GOOD(write(*two, 0, 16, 0x42));
  // A restart of everything: the drive still holds that disc.
  drives_.clear();
  changer_.reset();
  two = open_drive(2);
  ASSERT_NE(two, nullptr);
  EXPECT_GOOD(tur(*two));
  auto a = read(*two, 0, 16);
  ASSERT_TRUE(a.good());
  EXPECT_EQ(a.data[5], 0x42);
  SimDrive* one = open_drive(1);
  ASSERT_NE(one, nullptr);
  EXPECT_SENSE(tur(*one), 2, 0x3A, 0x00);
  // The changer opened after the drives binds to them too.
  open_changer("");
  EXPECT_GOOD(move(kDrive2, kSlot2));
  EXPECT_TRUE(two->tray_empty());
  EXPECT_GOOD(move(kSlot2, kDrive1));
  EXPECT_SENSE(tur(*one), 6, 0x28, 0x00);
  EXPECT_TRUE(read(*one, 0, 16).good());
}

TEST_F(LibraryTest, ADiscIsMarkedOnlyByWhatIsOnIt) {
  open_changer("slots=2&drives=1&profile=bd-r&blocks=40000&timing=off");
  {
    // Someone finalized the disc in slot 2 in another drive (a plain sim://
    // drive on its image): the library does not know, the disc does.
    auto other = SimDrive::open(test::ScratchDir::sim_uri(library_dir() + "/DISC02.img") + "?timing=off", TransportOptions{&clock_});
    ASSERT_TRUE(other.ok()) << other.error().to_string();
    EXPECT_GOOD(write(**other, 0, 32, 0x99));
    EXPECT_GOOD(run(**other, {0x5B, 0, 0x06, 0, 0, 0, 0, 0, 0, 0}, DataDirection::kNone, 0));  // finalize
  }
  EXPECT_EQ(element(kSlot2)->tag, "DISC02");
  SimDrive* drive = open_drive(1);
  ASSERT_NE(drive, nullptr);
  EXPECT_GOOD(move(kSlot2, kDrive1));
  EXPECT_SENSE(tur(*drive), 6, 0x28, 0x00);
  EXPECT_EQ(disc_status(*drive), 2);  // finalized
  EXPECT_SENSE(write(*drive, 32, 32, 0), 5, 0x30, 0x05);
}

TEST_F(LibraryTest, ADiscHeldByAnotherDriveCannotBeLoaded) {
  open_changer("slots=2&drives=1&timing=off");
  SimDrive* drive = open_drive(1);
  ASSERT_NE(drive, nullptr);
  auto other = SimDrive::open(test::ScratchDir::sim_uri(library_dir() + "/DISC01.img") + "?timing=off", TransportOptions{&clock_});
  ASSERT_TRUE(other.ok());
  // The picker cannot put it in: a mechanical error, and it stays.
  EXPECT_SENSE(move(kSlot1, kDrive1), 4, 0x15, 0x01);
  EXPECT_EQ(element(kSlot1)->tag, "DISC01");
  EXPECT_TRUE(drive->tray_empty());
  other->reset();
  EXPECT_GOOD(move(kSlot1, kDrive1));
}

TEST_F(LibraryTest, TheDriveWritesItsBufferBeforeThePickerTakesTheDisc) {
  open_changer("slots=2&drives=1&profile=bd-r&blocks=40000&move_ms=5000");
  SimDrive* drive = open_drive(1, "timing=on&speed=2&buffer=4096");
  ASSERT_NE(drive, nullptr);
  EXPECT_GOOD(move(kSlot1, kDrive1));
  EXPECT_SENSE(tur(*drive), 6, 0x28, 0x00);
  EXPECT_GOOD(write(*drive, 0, 1024, 0x77));  // 2 MiB: into the buffer, not yet on the disc
  TimePoint idle = drive->snapshot().media_idle_at;
  ASSERT_GT(idle, clock_.now());
  EXPECT_GOOD(move(kDrive1, kSlot1));
  EXPECT_EQ(clock_.now(), idle + std::chrono::seconds(5));
}

TEST_F(LibraryTest, TheDiscArrivesInTheDriveWhenTheMoveIsDone) {
  open_changer("slots=2&drives=1&move_ms=6000");
  SimDrive* drive = open_drive(1);
  ASSERT_NE(drive, nullptr);
  TimePoint t0 = clock_.now();
  // The host gives up waiting after 2 s; the picker goes on.
  std::vector<uint8_t> cdb{0xA5, 0, 0, 0, 0x10, 0x00, 0x01, 0x00, 0, 0, 0, 0};
  CommandRequest r;
  r.cdb = cdb;
  r.timeout = std::chrono::seconds(2);
  auto early = changer_->execute(r);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code(), ErrorCode::kTimeout);
  EXPECT_EQ(clock_.now() - t0, std::chrono::seconds(2));
  EXPECT_FALSE(drive->tray_empty());  // the drive holds the image already
  EXPECT_SENSE(tur(*drive), 2, 0x3A, 0x00);
  clock_.advance(std::chrono::milliseconds(3999));
  EXPECT_SENSE(tur(*drive), 2, 0x3A, 0x00);
  clock_.advance(std::chrono::milliseconds(1));
  EXPECT_SENSE(tur(*drive), 6, 0x28, 0x00);
  EXPECT_GOOD(tur(*drive));
}

TEST_F(LibraryTest, ADrivesFaultsStayWithTheDrive) {
  open_changer("slots=2&drives=1&profile=bd-r&blocks=40000&timing=off");
  std::string script = dir_.path() + "/faults.txt";
  { std::ofstream(script) << "write-error lba=0-31\n"; }
  EXPECT_FALSE(SimDrive::open(uri("timing=off&drive=1&faults=" + script + ".missing"), TransportOptions{&clock_}).ok());
  SimDrive* drive = open_drive(1, "timing=off&faults=" + script);
  ASSERT_NE(drive, nullptr);
  for (uint16_t slot : {kSlot1, kSlot2}) {
    EXPECT_GOOD(move(slot, kDrive1));
    EXPECT_SENSE(tur(*drive), 6, 0x28, 0x00);
    EXPECT_SENSE(write(*drive, 0, 32, 0x01), 3, 0x0C, 0x00);
    EXPECT_GOOD(move(kDrive1, slot));
  }
}

TEST_F(LibraryTest, EachDriveOpensOnce) {
  open_changer("slots=2&drives=2&timing=off");
  ASSERT_NE(open_drive(1), nullptr);
  auto again = SimDrive::open(uri("drive=1"), TransportOptions{&clock_});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::kUnavailable);
  auto beyond = SimDrive::open(uri("drive=3"), TransportOptions{&clock_});
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.error().code(), ErrorCode::kInvalidArgument);
  auto shape = SimDrive::open(uri("drives=3&drive=2"), TransportOptions{&clock_});
  ASSERT_FALSE(shape.ok());
  EXPECT_EQ(shape.error().code(), ErrorCode::kFailedPrecondition);
  // Closed, it opens again.
  drives_.clear();
  EXPECT_NE(open_drive(1), nullptr);
}

TEST_F(LibraryTest, ADriveCanCreateTheLibrary) {
  SimDrive* drive = open_drive(2, "slots=3&drives=2&profile=dvd+rw&formatted=nospares&timing=off");
  ASSERT_NE(drive, nullptr);
  EXPECT_TRUE(drive->tray_empty());
  open_changer("");
  EXPECT_EQ(status(2).elements.size(), 3u);
  EXPECT_GOOD(move(kSlot1, kDrive2));
  EXPECT_SENSE(tur(*drive), 6, 0x28, 0x00);
  EXPECT_EQ(current_profile(*drive), 0x001A);
  // formatted=nospares made the blank DVD+RW discs formatted: writable at once.
  EXPECT_GOOD(write(*drive, 100, 16, 0x01));
}

}  // namespace
}  // namespace discrec::device::sim::testing
