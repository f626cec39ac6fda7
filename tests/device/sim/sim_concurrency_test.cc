// SimDrive's thread-safety contract: one thread executes commands while
// others inject faults, pull the disc and take snapshots (run under TSan).
#include <atomic>
#include <thread>

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

}  // namespace
}  // namespace discrec::device::sim::testing
