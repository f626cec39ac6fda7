// ExtentJournal between the streaming writer and the crash journal, as the
// session runs them: the writer hands each closed extent out once, the
// journal file keeps them all, and memory does not grow with what is
// recorded (issue 17.4: it grew ~4.7 kB per MB with four interleaved
// streams, every extent, shed GOP and overflow kept twice over).
#include "recorder/session/extent_journal.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>
#include <filesystem>

#include "recorder/journal/journal_file.h"
#include "recorder/session/checksum_target.h"
#include "tests/recorder/writer_test_support.h"
#include "tests/support/process.h"

namespace discrec::recorder {
namespace {

using namespace std::chrono_literals;
using testing::TsSource;

constexpr uint32_t kUnitBlocks = 32;  // a BD's 64 KiB cluster
constexpr uint32_t kEndLba = 2'000'000'000;

// A drive that writes at a rate in simulated time and keeps nothing (the
// disc is not what is measured); every `stall_every` one command takes
// `stall` longer, so the rings fill and turn GOPs away.
class RateTarget final : public BlockTarget {
 public:
  RateTarget(SimulatedClock& clock, double bytes_per_second) : clock_(clock), rate_(bytes_per_second) {}
  Status write_blocks(uint32_t, std::span<const uint8_t> data, bool) override {
    Nanos took = 1ms + Nanos(static_cast<int64_t>(static_cast<double>(data.size()) * 1e9 / rate_));
    if (stall_every > Nanos::zero() && clock_.now() >= next_stall_) {
      took += stall;
      next_stall_ = clock_.now() + stall_every;
    }
    clock_.advance(took);
    return ok_status();
  }
  Status flush() override {
    if (fail_flushes > 0) {
      --fail_flushes;
      return Error(ErrorCode::kTransport, "sim", "the drive did not answer SYNCHRONIZE CACHE");
    }
    return ok_status();
  }
  Nanos stall_every{0};
  Nanos stall{0};
  int fail_flushes = 0;

 private:
  SimulatedClock& clock_;
  double rate_;
  TimePoint next_stall_{};
};

// Four interleaved recordings over a drive slower than they are, the
// journal synced every simulated second as DriveSession does it.
class ExtentJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    target_.stall_every = 10s;
    target_.stall = 2500ms;
    WriterOptions o;
    o.ecc_unit_blocks = kUnitBlocks;
    o.end_lba = kEndLba;
    // Admission takes the drive at its word; it delivers less.
    o.guaranteed_bytes_per_second = 25'000'000;
    writer_ = std::make_unique<StreamingWriter>(checksums_, clock_, o);
    auto file = journal::JournalFile::create(path_);
    ASSERT_TRUE(file.ok()) << file.error().to_string();
    file_ = std::move(file).value();
    journal::DiscBegin disc;
    disc.unit_blocks = kUnitBlocks;
    disc.data_limit = kEndLba;
    ASSERT_TRUE(file_->append(journal::encode(disc)).ok());
    for (int i = 0; i < 4; ++i) {
      RecordingConfig c;
      c.name = "cam" + std::to_string(i);
      c.priority = i;
      c.bitrate_bps = 40'000'000;
      c.latency_budget = 1s;
      auto rec = writer_->add_recording(c);
      ASSERT_TRUE(rec.ok()) << rec.error().to_string();
      journal::RecordingBegin begin;
      begin.writer_id = (*rec)->id();
      begin.id = c.name;
      ASSERT_TRUE(file_->append(journal::encode(begin)).ok());
      journal_.begin_recording(*rec);
      TsSource s{*rec, static_cast<uint32_t>(i + 1), c.bitrate_bps};
      s.gop_packets = 140;  // 26 kB GOPs: many of them to shed
      s.start = clock_.now() + Nanos(i * 3'000'000);
      sources_.push_back(std::move(s));
    }
  }

  void sync() {
    journal_.collect(*writer_);
    if (!target_.flush().ok()) return;  // collected, logged after the next flush
    Status appended = journal_.append_to(*file_);
    ASSERT_TRUE(appended.ok()) << appended.error().to_string();
  }

  void run_for(Nanos duration) {
    const TimePoint end = clock_.now() + duration;
    while (clock_.now() < end) {
      for (auto& s : sources_) s.feed(clock_.now());
      const TimePoint wake = writer_->service_once();
      if (clock_.now() >= next_sync_) {
        sync();
        next_sync_ = clock_.now() + 1s;
      }
      TimePoint next = std::min({wake, end, next_sync_});
      for (auto& s : sources_) next = std::min(next, s.next_arrival());
      if (next > clock_.now()) clock_.sleep_until(next);
    }
  }

  // What the writer and the journal's way there hold for extents.
  size_t bookkeeping_bytes() const {
    size_t bytes = writer_->bookkeeping_bytes() + journal_.bookkeeping_bytes();
    for (const auto& s : sources_) bytes += s.recording->bookkeeping_bytes();
    return bytes;
  }

  test::TempDir dir_;
  const std::string path_ = dir_.file("journal.bin");
  SimulatedClock clock_{TimePoint{} + 1s};
  RateTarget target_{clock_, 16e6};
  ChecksumTarget checksums_{target_, 0, kEndLba, kUnitBlocks};
  std::unique_ptr<StreamingWriter> writer_;
  std::unique_ptr<journal::JournalFile> file_;
  ExtentJournal journal_{checksums_};
  std::vector<TsSource> sources_;
  TimePoint next_sync_{};
};

TEST_F(ExtentJournalTest, MemoryDoesNotGrowWithWhatIsRecorded) {
  // Warm-up: the lists reach the sizes one second needs, the listings
  // (the most recent kListed of each) fill.
  run_for(100s);
  const size_t table = checksums_.bookkeeping_bytes();
  EXPECT_LT(table, size_t{kEndLba} / kUnitBlocks * 5) << "4 bytes and a bit per unit, fixed by the disc";

  struct Mark {
    uint64_t blocks;
    size_t heap;
    size_t bookkeeping;
  };
  auto mark = [&] { return Mark{writer_->stats().blocks_written, mallinfo2().uordblks, bookkeeping_bytes()}; };
  const Mark a = mark();
  run_for(30s);
  const Mark b = mark();
  run_for(30s);
  const Mark c = mark();
  const double mb_bc = static_cast<double>(c.blocks - b.blocks) * 2048 / 1e6;
  const DriveStats stats = writer_->stats();
  ASSERT_GT(mb_bc, 300) << "the drive must have written a lot";
  ASSERT_GT(stats.shed_gops, 1000u) << "and shed many GOPs";
  uint64_t overflow_gops = 0;
  for (const auto& s : sources_) overflow_gops += s.recording->stats().overflow_gops;
  ASSERT_GT(overflow_gops, 10u) << "and its rings turned GOPs away";

  const double heap_per_mb = (static_cast<double>(c.heap) - static_cast<double>(b.heap)) / mb_bc;
  RecordProperty("heap_bytes_per_mb", std::to_string(heap_per_mb));
  std::printf("heap: %+.1f bytes per MB recorded (%.0f MB, %llu GOPs shed); bookkeeping %zu -> %zu -> %zu bytes\n",
              heap_per_mb, mb_bc, static_cast<unsigned long long>(stats.shed_gops), a.bookkeeping, b.bookkeeping,
              c.bookkeeping);
  // Before: ~500-600 bytes per MB here (every extent, shed GOP and overflow
  // range published by the writer for ever, and mirrored by the journal's
  // sync); ~4,200 in the issue, where commands were a unit or two.
  EXPECT_LT(heap_per_mb, 20.0);
  EXPECT_LE(c.bookkeeping, b.bookkeeping + 4096) << "the accounting says the same";
  EXPECT_LT(c.bookkeeping, size_t{1} << 20);
}

TEST_F(ExtentJournalTest, TheJournalHasEveryExtentAndListingsTheMostRecent) {
  target_.fail_flushes = 2;  // the first syncs log nothing: what they collected waits
  run_for(25s);
  for (auto& s : sources_) {
    s.stopped = true;
    ASSERT_TRUE(writer_->stop_recording(s.recording->id()).ok());
  }
  for (int i = 0; i < 1'000'000 && !std::all_of(sources_.begin(), sources_.end(), [](const TsSource& s) {
                    return s.recording->finished();
                  });
       ++i) {
    const TimePoint wake = writer_->service_once();
    if (wake > clock_.now()) clock_.sleep_until(wake);
  }
  sync();

  auto state = journal::load_journal(path_);
  ASSERT_TRUE(state.ok()) << state.error().to_string();
  ASSERT_EQ(state->recordings.size(), 4u);
  uint64_t blocks = 0;
  for (const auto& s : sources_) {
    const auto& rec = state->recordings.at(s.recording->id());
    const RecordingStats st = s.recording->stats();
    // The file tiles from 0 and ends with the padded unit.
    uint64_t offset = 0;
    for (const auto& e : rec.recorded) {
      EXPECT_EQ(e.file_offset, offset);
      offset += uint64_t{e.blocks} * 2048;
      blocks += e.blocks;
    }
    ASSERT_FALSE(rec.recorded.empty());
    EXPECT_GT(rec.recorded.back().padding_bytes, 0u) << "the last extent, closed at the stop, is logged";
    EXPECT_EQ(rec.shed.size(), st.shed_gops);
    uint64_t turned_away = 0, turned_away_gops = 0;
    for (const auto& o : rec.overflows) {
      turned_away += o.bytes;
      turned_away_gops += o.gops;
    }
    EXPECT_EQ(turned_away, st.overflow_bytes);
    EXPECT_EQ(turned_away_gops, st.overflow_gops);

    // Listings: the most recent, as the journal has them.
    const auto listed = journal_.listing(*writer_, *s.recording);
    ASSERT_EQ(listed.shed.size(), std::min<size_t>(rec.shed.size(), ExtentJournal::kListed));
    ASSERT_EQ(listed.overflows.size(), std::min<size_t>(rec.overflows.size(), ExtentJournal::kListed));
    for (size_t i = 0; i < listed.shed.size(); ++i) {
      const auto& want = rec.shed[rec.shed.size() - listed.shed.size() + i];
      EXPECT_EQ(listed.shed[i].input_begin, want.input_begin) << i;
      EXPECT_EQ(listed.shed[i].input_end, want.input_end) << i;
    }
    if (!listed.overflows.empty()) {
      EXPECT_EQ(listed.overflows.back(), rec.overflows.back());
    }
    EXPECT_EQ(listed.origin, rec.recorded.front().time_begin);
  }
  EXPECT_EQ(blocks, writer_->stats().blocks_written);
  EXPECT_EQ(state->unit_crcs.size(), blocks / kUnitBlocks) << "every unit's checksum, once";
  for (const auto& run : state->unit_crcs.runs())
    for (size_t i = 0; i < run.crcs.size(); ++i)
      ASSERT_EQ(checksums_.crc_of(run.first_lba + static_cast<uint32_t>(i) * run.unit_blocks), run.crcs[i]);
  for (const auto& e : writer_->extents()) {
    EXPECT_TRUE(e.recorded.empty() && e.lost.empty() && e.shed.empty()) << "all drained";
    EXPECT_GT(e.first_recorded, 0u);
  }
}

}  // namespace
}  // namespace discrec::recorder
