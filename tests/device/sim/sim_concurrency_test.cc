// SimDrive's thread-safety contract: one thread executes commands while
// others inject faults, pull the disc and take snapshots; and the library's:
// the changer swaps the disc of a drive that another thread is writing to
// (run under TSan).
#include <atomic>
#include <thread>

#include "tests/device/sim/changer_test_util.h"
#include "tests/device/sim/sim_test_util.h"

namespace discrec::device::sim::testing {
namespace {

TEST_F(SimTest, FaultsAndSnapshotsFromOtherThreadsWhileWriting) {
  open("profile=bd-re&formatted=spares&blocks=65536&seek_ms=1&opc_ms=1");
  std::atomic<bool> done{false};
  std::thread control([&] {
    uint32_t i = 0;
    while (!done.load()) {
      auto s = drive_->snapshot();
      EXPECT_EQ(s.profile == 0, !s.medium_present);
      if (++i % 50 == 0) {
        drive_->remove_medium();
        drive_->insert_medium();
      }
      if (i % 70 == 0) {
        ASSERT_TRUE(drive_->inject_script("latency delay=1 count=1").ok());
      }
      if (i % 90 == 0) drive_->clear_faults();
      std::this_thread::yield();
    }
  });
  std::vector<uint8_t> data(32 * 2048, 3);
  int good = 0, attention = 0, absent = 0;
  for (uint32_t n = 0; n < 2000; ++n) {
    auto r = raw(rw12(0xAA, (n * 32) % 60000, 32, true), DataDirection::kOut, data);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    if (r->good()) ++good;
    else if (r->sense[2] == 0x06) ++attention;
    else if (r->sense[12] == 0x3A) ++absent;
    else FAIL() << "unexpected sense " << int(r->sense[2]) << "/" << int(r->sense[12]);
  }
  done = true;
  control.join();
  EXPECT_GT(good, 0);
  EXPECT_EQ(drive_->snapshot().bytes_written, uint64_t(good) * data.size());
  (void)attention;
  (void)absent;
}

TEST_F(ChangerTest, TheChangerSwapsDiscsWhileADriveRecords) {
  open_changer("slots=2&drives=1&import_export=1&profile=bd-re&formatted=spares&blocks=65536&timing=off");
  SimDrive* drive = open_drive(1, "timing=off");
  ASSERT_NE(drive, nullptr);
  std::atomic<bool> done{false};
  std::atomic<int> moves{0};
  std::atomic<int> commands{0};  // the writer's
  std::thread picker([&] {
    // Slot 1 -> drive -> slot 1 -> ..., and the operator at the door.
    uint16_t from = 0x1000, to = 0x0100;
    while (!done.load()) {
      CommandRequest r;
      std::vector<uint8_t> cdb{0xA5, 0, 0, 0, uint8_t(from >> 8), uint8_t(from), uint8_t(to >> 8), uint8_t(to),
                               0, 0, 0, 0};
      r.cdb = cdb;
      auto a = changer_->execute(r);
      if (!a.ok()) {
        ADD_FAILURE() << a.error().to_string();
        return;
      }
      if (a->good()) {
        std::swap(from, to);
        ++moves;
        // Let the writer see the disc for a few commands.
        for (int seen = commands.load(); !done.load() && commands.load() < seen + 4;) std::this_thread::yield();
        if (moves % 16 == 5 && changer_->import_blank_disc().ok()) (void)changer_->take_out(0x0010);
      }
      std::this_thread::yield();
    }
  });
  std::thread observer([&] {
    while (!done.load()) {
      (void)changer_->snapshot();
      (void)changer_->library().elements();
      (void)drive->snapshot();
      (void)drive->tray_empty();
      std::this_thread::yield();
    }
  });
  std::vector<uint8_t> data(32 * 2048, 3);
  int good = 0;
  // Until the picker has swapped the disc a good many times under the
  // writer (threads start when they start), with a bound.
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (uint32_t n = 0; !(n >= 2000 && moves.load() >= 50 && good > 0) && std::chrono::steady_clock::now() < give_up;
       ++n) {
    uint32_t lba = (n * 32) % 60000;
    std::vector<uint8_t> cdb{0xAA, 0, 0, 0, uint8_t(lba >> 8), uint8_t(lba), 0, 0, 0, 32, 0x80, 0};
    CommandRequest r;
    r.cdb = cdb;
    r.direction = DataDirection::kOut;
    r.data = data;
    auto a = drive->execute(r);
    ++commands;
    if (!a.ok()) {
      ADD_FAILURE() << a.error().to_string();
      break;
    }
    if (a->good()) {
      ++good;
    } else if (a->sense[2] != 0x06 && a->sense[12] != 0x3A) {
      ADD_FAILURE() << "unexpected sense " << int(a->sense[2]) << "/" << std::hex << int(a->sense[12]);
      break;
    }
  }
  done = true;
  picker.join();
  observer.join();
  EXPECT_GT(good, 0);
  EXPECT_GE(moves.load(), 50);
}

}  // namespace
}  // namespace discrec::device::sim::testing
