// Write-once and rewritable rules of every emulated profile, and the disc
// surviving a close and reopen.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "tests/device/sim/sim_test_util.h"

namespace discrec::device::sim::testing {
namespace {

constexpr uint32_t kBlocks = 65536;  // a small disc: 128 MiB

struct WriteOnce {
  const char* name;
  uint16_t profile;
  uint32_t ecc;
  uint8_t finalize_function;
};

class WriteOnceTest : public SimTest, public ::testing::WithParamInterface<WriteOnce> {
 protected:
  // MODE SELECT page 05 with multi-session 11b (next session allowed).
  void allow_next_session() {
    std::vector<uint8_t> p(8 + 52, 0);
    p[8] = 0x05;
    p[9] = 0x32;
    p[10] = 0x40;
    p[11] = 0xC5;
    p[12] = 0x08;
    EXPECT_GOOD(out({0x55, 0x10, 0, 0, 0, 0, 0, 0, uint8_t(p.size()), 0}, p));
  }
  void SetUp() override {
    SimTest::SetUp();
    open(std::string("profile=") + GetParam().name + "&timing=off&blocks=" + std::to_string(kBlocks));
  }
};

TEST_P(WriteOnceTest, BlankDiscHasOneInvisibleTrack) {
  auto di = disc_info();
  ASSERT_TRUE(di.good());
  EXPECT_EQ(di.data[2] & 0x03, 0);         // blank
  EXPECT_EQ((di.data[2] >> 2) & 0x03, 0);  // last session empty
  EXPECT_EQ(di.data[2] & 0x10, 0);         // not erasable
  auto ti = track_info(0xFF);
  ASSERT_TRUE(ti.good());
  EXPECT_EQ(ti.data[2], 1);
  EXPECT_TRUE(ti.data[6] & 0x40);  // blank
  EXPECT_TRUE(ti.data[7] & 0x01);  // NWA valid
  EXPECT_EQ(be32_of(ti.data, 12), 0u);
  EXPECT_EQ(be32_of(ti.data, 16), kBlocks);
  EXPECT_EQ(be32_of(ti.data, 20), GetParam().ecc);
}

TEST_P(WriteOnceTest, WritesOnlyAtTheNextWritableAddress) {
  EXPECT_GOOD(write12(0, 32));
  EXPECT_EQ(nwa(), 32u);
  EXPECT_SENSE(write12(100, 32), 5, 0x21, 0x02);  // ahead of the NWA
  EXPECT_SENSE(write12(0, 32), 5, 0x21, 0x02);    // rewriting
  EXPECT_SENSE(write10(16, 16), 5, 0x21, 0x02);
  EXPECT_GOOD(write10(32, 16));
  EXPECT_EQ(nwa(), 48u);
  auto di = disc_info();
  EXPECT_EQ(di.data[2] & 0x03, 1);         // appendable
  EXPECT_EQ((di.data[2] >> 2) & 0x03, 1);  // session incomplete
  auto ti = track_info(1);
  EXPECT_TRUE(ti.data[7] & 0x02);          // LRA valid
  EXPECT_EQ(be32_of(ti.data, 28), 47u);
  EXPECT_EQ(be32_of(ti.data, 16), kBlocks - 48);
}

TEST_P(WriteOnceTest, ReadsOnlyRecordedBlocks) {
  ASSERT_TRUE(write12(0, 32, true, 0x11).good());
  auto r = read12(0, 32);
  ASSERT_TRUE(r.good());
  EXPECT_EQ(r.data.size(), 32u * 2048);
  EXPECT_EQ(r.data.front(), 0x11);
  EXPECT_EQ(r.data.back(), 0x11);
  EXPECT_SENSE(read12(32, 1), 5, 0x21, 0x00);  // beyond the recorded data
  EXPECT_SENSE(read12(16, 32), 5, 0x21, 0x00);  // straddling its end
  auto cap = in({0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 8);
  EXPECT_EQ(be32_of(cap.data, 0), 31u);
  EXPECT_EQ(be32_of(cap.data, 4), 2048u);
}

TEST_P(WriteOnceTest, ReserveTrackFixesItsSize) {
  uint32_t ecc = GetParam().ecc;
  EXPECT_GOOD(reserve(100));
  uint32_t size = (100 + ecc - 1) / ecc * ecc;
  auto t1 = track_info(1);
  EXPECT_TRUE(t1.data[6] & 0x80);  // reserved
  EXPECT_EQ(be32_of(t1.data, 24), size);
  auto t2 = track_info(0xFF);
  EXPECT_EQ(t2.data[2], 2);
  EXPECT_EQ(be32_of(t2.data, 8), size);
  EXPECT_EQ(be32_of(t2.data, 12), size);
  // Both tracks take writes at their own NWA.
  EXPECT_GOOD(write12(size, 16));
  EXPECT_GOOD(write12(0, 16));
  EXPECT_SENSE(write12(16, size), 5, 0x63, 0x00);  // does not fit in track 1
  EXPECT_SENSE(reserve(64), 5, 0x2C, 0x00);  // the invisible track has data
  // Filling the reserved track completes it.
  EXPECT_GOOD(write12(16, size - 16));
  EXPECT_FALSE(track_info(1).data[7] & 0x01);
  EXPECT_SENSE(reserve(0), 5, 0x24, 0x00);
}

TEST_P(WriteOnceTest, CloseTrackAndSessionStartANewOne) {
  uint32_t ecc = GetParam().ecc;
  ASSERT_TRUE(write12(0, 10).good());
  EXPECT_GOOD(close(1, 1));
  auto t2 = track_info(0xFF);
  EXPECT_EQ(t2.data[2], 2);
  EXPECT_EQ(be32_of(t2.data, 12), ecc);  // the closed track was padded to an ECC unit
  EXPECT_SENSE(write12(10, 1), 5, 0x21, 0x02);
  ASSERT_TRUE(write12(ecc, 5).good());
  // DVD-R closes a session for good unless page 05 allows another one.
  if (GetParam().profile == 0x0011) allow_next_session();
  EXPECT_GOOD(close(2));
  auto di = disc_info();
  EXPECT_EQ(di.data[2] & 0x03, 1);         // still appendable
  EXPECT_EQ((di.data[2] >> 2) & 0x03, 0);  // the new session is empty
  EXPECT_EQ(di.data[4], 2);                // sessions
  EXPECT_EQ(di.data[5], 3);                // first track in the last session
  EXPECT_EQ(track_info(0xFF).data[3], 2);  // session of the invisible track
  EXPECT_EQ(nwa(), 2 * ecc);
  EXPECT_GOOD(read12(0, 10));
  EXPECT_GOOD(read12(10, 1));  // padding of a closed track reads
  EXPECT_SENSE(close(2), 5, 0x2C, 0x00);  // nothing to close
  EXPECT_SENSE(close(7), 5, 0x24, 0x00);
}

TEST_P(WriteOnceTest, TrackInformationByLbaTrackAndSession) {
  uint32_t ecc = GetParam().ecc;
  ASSERT_TRUE(write12(0, 10).good());
  ASSERT_TRUE(close(1, 1).good());
  ASSERT_TRUE(write12(ecc, 3 * ecc).good());
  auto by_lba = track_info(ecc + 5, 0);  // address type 00b: the track holding that LBA
  ASSERT_TRUE(by_lba.good());
  EXPECT_EQ(by_lba.data[2], 2);
  EXPECT_EQ(be32_of(by_lba.data, 8), ecc);
  EXPECT_EQ(track_info(3, 0).data[2], 1);
  auto by_session = track_info(1, 2);  // address type 10b: first track of session 1
  ASSERT_TRUE(by_session.good());
  EXPECT_EQ(by_session.data[2], 1);
  EXPECT_TRUE(by_session.data[7] & 0x02);
  EXPECT_FALSE(by_session.data[7] & 0x01);  // closed: no NWA
  EXPECT_EQ(be32_of(by_session.data, 24), ecc);  // padded size
  EXPECT_SENSE(track_info(kBlocks, 0), 5, 0x24, 0x00);
  EXPECT_SENSE(track_info(9), 5, 0x24, 0x00);
  EXPECT_SENSE(track_info(0), 5, 0x24, 0x00);
  EXPECT_SENSE(track_info(2, 2), 5, 0x24, 0x00);
  EXPECT_SENSE(track_info(1, 3), 5, 0x24, 0x00);
}

TEST_P(WriteOnceTest, FinalizedDiscIsReadOnly) {
  EXPECT_SENSE(close(GetParam().finalize_function), 5, 0x2C, 0x00);  // blank disc
  ASSERT_TRUE(write12(0, 64, true, 0x33).good());
  ASSERT_TRUE(sync_cache().good());
  EXPECT_GOOD(close(GetParam().finalize_function));
  auto di = disc_info();
  EXPECT_EQ(di.data[2] & 0x03, 2);         // complete
  EXPECT_EQ((di.data[2] >> 2) & 0x03, 3);  // session complete
  EXPECT_SENSE(write12(64, 16), 5, 0x30, 0x05);
  EXPECT_SENSE(reserve(16), 5, 0x30, 0x05);
  EXPECT_SENSE(track_info(0xFF), 5, 0x24, 0x00);
  EXPECT_GOOD(read12(0, 64));
  EXPECT_SENSE(read12(64, 1), 5, 0x21, 0x00);
}

TEST_P(WriteOnceTest, DiscFull) {
  EXPECT_SENSE(write12(kBlocks, 1), 5, 0x21, 0x00);
  EXPECT_SENSE(write12(0, kBlocks + 32), 5, 0x63, 0x00);
  EXPECT_GOOD(write12(0, kBlocks));
  EXPECT_FALSE(track_info(1).data[7] & 0x01);  // no NWA left
}

TEST_P(WriteOnceTest, CannotBeFormatted) { EXPECT_SENSE(format(0x00), 5, 0x30, 0x06); }

INSTANTIATE_TEST_SUITE_P(Profiles, WriteOnceTest,
                         ::testing::Values(WriteOnce{"dvd+r", 0x001B, 16, 5}, WriteOnce{"dvd-r", 0x0011, 16, 2},
                                           WriteOnce{"bd-r", 0x0041, 32, 6}),
                         [](const auto& info) {
                           std::string n;
                           for (char ch : std::string(info.param.name))
                             n += ch == '+' ? "plus" : ch == '-' ? "minus" : std::string(1, ch);
                           return n;
                         });

TEST_F(SimTest, FinalizeFunctionsPerMedium) {
  open("profile=bd-r&timing=off&blocks=65536");
  ASSERT_TRUE(write12(0, 32).good());
  EXPECT_SENSE(close(5), 5, 0x24, 0x00);  // DVD+R minimal-radius finalize
  drive_.reset();
  auto other = sim_uri(dir_.path() + "/plus.img") + "?profile=dvd+r&timing=off&blocks=65536";
  drive_ = std::move(SimDrive::open(other, TransportOptions{&clock_})).value();
  ASSERT_TRUE(write12(0, 32).good());
  EXPECT_GOOD(close(6));
  EXPECT_EQ(disc_info().data[2] & 0x03, 2);
}

TEST_F(SimTest, DvdMinusRCloseSessionKeepsDiscOpenWithMultisessionPage) {
  open("profile=dvd-r&timing=off&blocks=65536");
  // MODE SELECT page 05: multi-session 11b (next session allowed).
  std::vector<uint8_t> p(8 + 52, 0);
  p[8] = 0x05;
  p[9] = 0x32;
  p[10] = 0x40;
  p[11] = 0xC5;
  p[12] = 0x08;
  EXPECT_GOOD(out({0x55, 0x10, 0, 0, 0, 0, 0, 0, uint8_t(p.size()), 0}, p));
  ASSERT_TRUE(write12(0, 16).good());
  EXPECT_GOOD(close(2));
  EXPECT_EQ(disc_info().data[2] & 0x03, 1);  // appendable, not finalized
}

struct Rewritable {
  const char* name;
  uint8_t format_type;
  bool spares;
};

class RewritableTest : public SimTest, public ::testing::WithParamInterface<Rewritable> {
 protected:
  void SetUp() override {
    SimTest::SetUp();
    open(std::string("profile=") + GetParam().name + "&timing=off&blocks=" + std::to_string(kBlocks));
  }
  bool feature_current(uint16_t code) {
    auto a = in({0x46, 0x02, uint8_t(code >> 8), uint8_t(code), 0, 0, 0, 0, 64, 0}, 64);
    return a.good() && a.data.size() > 10 && (a.data[10] & 0x01);
  }
};

TEST_P(RewritableTest, UnformattedRefusesReadAndWrite) {
  EXPECT_SENSE(write12(0, 32), 5, 0x30, 0x10);
  EXPECT_SENSE(read12(0, 1), 5, 0x30, 0x10);
  EXPECT_FALSE(feature_current(0x0020));
  EXPECT_TRUE(feature_current(0x0023));
  auto fc = in({0x23, 0, 0, 0, 0, 0, 0, 0, 252, 0}, 252);
  ASSERT_TRUE(fc.good());
  EXPECT_EQ(fc.data[8] & 0x03, 0x01);  // unformatted
  ASSERT_GE(fc.data[3], 16);
  bool listed = false;
  for (size_t at = 12; at + 8 <= 4u + fc.data[3]; at += 8) listed |= (fc.data[at + 4] >> 2) == GetParam().format_type;
  EXPECT_TRUE(listed);
}

TEST_P(RewritableTest, FormattedTakesRandomWrites) {
  EXPECT_GOOD(format(GetParam().format_type));
  auto fc = in({0x23, 0, 0, 0, 0, 0, 0, 0, 252, 0}, 252);
  EXPECT_EQ(fc.data[8] & 0x03, 0x02);  // formatted
  uint32_t cap = be32_of(fc.data, 4);
  EXPECT_EQ(cap < kBlocks, GetParam().spares);
  EXPECT_TRUE(feature_current(0x0020));
  EXPECT_EQ(feature_current(0x0024), GetParam().spares);
  EXPECT_GOOD(write12(1000, 32, true, 0x44));
  EXPECT_GOOD(write12(0, 32, true, 0x55));
  EXPECT_GOOD(write12(1000, 32, false, 0x66));  // overwrite
  EXPECT_GOOD(write10(500, 16));
  EXPECT_EQ(read12(1000, 1).data[0], 0x66);
  EXPECT_EQ(read12(0, 1).data[0], 0x55);
  EXPECT_EQ(read12(2000, 1).data[0], 0x00);  // never written: zeros
  EXPECT_SENSE(write12(cap, 1), 5, 0x21, 0x00);
  EXPECT_SENSE(write12(cap - 16, 32), 5, 0x21, 0x00);
  EXPECT_SENSE(read12(cap, 1), 5, 0x21, 0x00);
  auto ti = track_info(1);
  EXPECT_EQ(be32_of(ti.data, 12), 0u);  // NWA 0 on overwritable media
  EXPECT_EQ(be32_of(ti.data, 16), cap);
  auto cap10 = in({0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 8);
  EXPECT_EQ(be32_of(cap10.data, 0), cap - 1);
  EXPECT_SENSE(reserve(32), 5, 0x2C, 0x00);
  EXPECT_EQ(disc_info().data[2] & 0x10, 0x10);  // erasable
}

INSTANTIATE_TEST_SUITE_P(Profiles, RewritableTest,
                         ::testing::Values(Rewritable{"bd-re", 0x30, true}, Rewritable{"dvd-ram", 0x00, true},
                                           Rewritable{"dvd+rw", 0x26, false}),
                         [](const auto& info) {
                           std::string n;
                           for (char ch : std::string(info.param.name))
                             n += ch == '+' ? "plus" : ch == '-' ? "minus" : std::string(1, ch);
                           return n;
                         });

TEST_F(SimTest, BdReFormatWithoutSparesUsesTheWholeDisc) {
  open("profile=bd-re&timing=off&blocks=65536");
  EXPECT_GOOD(format(0x31));
  auto fc = in({0x23, 0, 0, 0, 0, 0, 0, 0, 252, 0}, 252);
  EXPECT_EQ(be32_of(fc.data, 4), kBlocks);
  EXPECT_SENSE(format(0x31, kBlocks + 32), 5, 0x26, 0x00);
  EXPECT_SENSE(format(0x26), 5, 0x26, 0x00);
  // FORMAT UNIT without parameter data: the default (with spares).
  EXPECT_GOOD(out({0x04, 0, 0, 0, 0, 0}, {}));
  fc = in({0x23, 0, 0, 0, 0, 0, 0, 0, 252, 0}, 252);
  EXPECT_LT(be32_of(fc.data, 4), kBlocks);
}

TEST_F(SimTest, DvdRamFormatWithoutSpareArea) {
  open("profile=dvd-ram&timing=off&blocks=65536");
  EXPECT_GOOD(format(0x00, kBlocks));
  auto a = in({0x46, 0x02, 0x00, 0x24, 0, 0, 0, 0, 64, 0}, 64);
  EXPECT_FALSE(a.data[10] & 0x01);  // no defect management
}

TEST_F(SimTest, ReopenGivesTheSameDisc) {
  open("profile=dvd+r&timing=off&blocks=65536");
  ASSERT_TRUE(write12(0, 64, true, 0x77).good());
  ASSERT_TRUE(close(1, 1).good());
  ASSERT_TRUE(write12(64, 16, true, 0x78).good());
  drive_.reset();
  open("timing=off");  // the profile and size come from the state file
  EXPECT_EQ(nwa(), 80u);
  EXPECT_EQ(track_info(0xFF).data[2], 2);
  EXPECT_EQ(read12(63, 1).data[0], 0x77);
  EXPECT_EQ(read12(64, 1).data[0], 0x78);
  auto cfg = in({0x46, 0x01, 0, 0, 0, 0, 0, 0, 8, 0}, 8);
  EXPECT_EQ(be16_of(cfg.data, 6), 0x001B);
  // LBA n is at byte n*2048 of a plain file.
  std::ifstream f(image(), std::ios::binary);
  f.seekg(64 * 2048);
  EXPECT_EQ(f.get(), 0x78);
  struct stat st {};
  ASSERT_EQ(stat(image().c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 80 * 2048);
}

TEST_F(SimTest, ReopenRejectsAContradictingUri) {
  open("profile=bd-re&timing=off&blocks=65536");
  drive_.reset();
  auto d = SimDrive::open(uri("profile=dvd+r"), TransportOptions{&clock_});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kFailedPrecondition);
  d = SimDrive::open(uri("blocks=4096"), TransportOptions{&clock_});
  ASSERT_FALSE(d.ok());
}

TEST_F(SimTest, OneDrivePerImageButManyImages) {
  open("profile=bd-r&timing=off&blocks=65536");
  auto second = SimDrive::open(uri("timing=off"), TransportOptions{&clock_});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), ErrorCode::kUnavailable);
  auto other = SimDrive::open(sim_uri(dir_.path() + "/other.img") + "?profile=dvd+r&timing=off&blocks=4096",
                              TransportOptions{&clock_});
  ASSERT_TRUE(other.ok()) << other.error().to_string();
  std::vector<uint8_t> data(2048 * 16, 1);
  auto cdb = rw12(0xAA, 0, 16, true);
  CommandRequest r{cdb, DataDirection::kOut, data};
  EXPECT_TRUE((*other)->execute(r)->good());
  EXPECT_GOOD(write12(0, 32));
  EXPECT_EQ(nwa(), 32u);
}

// Forks a child that writes, flushes part of it and dies without cleanup.
void write_and_die(const std::string& uri) {
  SimulatedClock clock;
  auto d = SimDrive::open(uri, TransportOptions{&clock});
  if (!d.ok()) _exit(2);
  std::vector<uint8_t> data(2048 * 32, 9);
  auto w = [&](uint32_t lba) {
    std::vector<uint8_t> cdb = {0xAA, 0, 0, 0, uint8_t(lba >> 8), uint8_t(lba), 0, 0, 0, 32, 0x80, 0};
    CommandRequest r{cdb, DataDirection::kOut, data};
    return (*d)->execute(r).ok();
  };
  std::vector<uint8_t> sync = {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  CommandRequest s{sync, DataDirection::kNone, {}};
  if (!w(0) || !(*d)->execute(s).ok() || !w(32)) _exit(3);
  _exit(0);  // no destructors: the process dies here
}

TEST_F(SimTest, PowerCutLosesWhatWasNotSynchronized) {
  std::string u = uri("profile=dvd+r&timing=off&blocks=65536&powercut=on");
  pid_t pid = fork();
  if (pid == 0) write_and_die(u);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  open("powercut=on&timing=off");
  EXPECT_EQ(nwa(), 32u);
  struct stat st {};
  ASSERT_EQ(stat(image().c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 32 * 2048);
  EXPECT_SENSE(read12(32, 1), 5, 0x21, 0x00);
}

TEST_F(SimTest, WithoutPowerCutModelACrashKeepsTheData) {
  std::string u = uri("profile=dvd+r&timing=off&blocks=65536");
  pid_t pid = fork();
  if (pid == 0) write_and_die(u);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  open("timing=off");
  EXPECT_EQ(nwa(), 64u);
  EXPECT_EQ(read12(63, 1).data[0], 9);
}

TEST_F(SimTest, PowerCutOnRewritableMediaRollsBackUnflushedWrites) {
  std::string u = uri("profile=bd-re&formatted=spares&timing=off&blocks=65536&powercut=on");
  pid_t pid = fork();
  if (pid == 0) {
    SimulatedClock clock;
    auto d = SimDrive::open(u, TransportOptions{&clock});
    if (!d.ok()) _exit(2);
    auto w = [&](uint32_t lba, uint8_t fill) {
      std::vector<uint8_t> data(2048 * 16, fill);
      std::vector<uint8_t> cdb = {0xAA, 0, 0, 0, uint8_t(lba >> 8), uint8_t(lba), 0, 0, 0, 16, 0x80, 0};
      CommandRequest r{cdb, DataDirection::kOut, data};
      auto res = (*d)->execute(r);
      return res.ok() && res->good();
    };
    std::vector<uint8_t> sync = {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CommandRequest s{sync, DataDirection::kNone, {}};
    if (!w(0, 0x11) || !w(16, 0x11) || !(*d)->execute(s).ok()) _exit(3);
    if (!w(0, 0x22) || !w(8, 0x23) || !w(1000, 0x33)) _exit(4);  // never flushed
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << WEXITSTATUS(status);
  open("powercut=on&timing=off");
  auto a = read12(0, 32);
  ASSERT_TRUE(a.good());
  for (size_t i = 0; i < a.data.size(); i += 2048) EXPECT_EQ(a.data[i], 0x11) << "block " << i / 2048;
  EXPECT_EQ(read12(1000, 1).data[0], 0x00);
  struct stat st {};
  ASSERT_EQ(stat(image().c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 32 * 2048);
  // A clean close keeps everything, flushed or not.
  ASSERT_TRUE(write12(0, 16, true, 0x44).good());
  open("powercut=on&timing=off");
  EXPECT_EQ(read12(0, 1).data[0], 0x44);
}

TEST_F(SimTest, PreformattedAndAbsentMediumFromUri) {
  open("profile=bd-re&timing=off&blocks=65536&formatted=spares&medium=absent");
  EXPECT_SENSE(tur(), 2, 0x3A, 0x00);
  EXPECT_GOOD(none({0x1B, 0, 0, 0, 0x03, 0}));  // load
  EXPECT_GOOD(tur());
  EXPECT_GOOD(write12(100, 32));
}

}  // namespace
}  // namespace discrec::device::sim::testing
