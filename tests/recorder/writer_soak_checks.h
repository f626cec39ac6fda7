// What the writer soak (writer_soak_test.cc) checks: each recording's
// accounting against its extents, the bytes its file must hold, the file
// the finalize step makes of it, and what the process holds.
#pragma once

#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "recorder/core/recording.h"
#include "recorder/udf/volume_builder.h"
#include "writer_test_support.h"

namespace discrec::recorder::testing {

// What the process holds, to compare early and late in the day.
struct Footprint {
  uint64_t heap_bytes = 0;  // malloc'd and not freed
  uint64_t rss_bytes = 0;
  int threads = 0;
  int fds = 0;
};

inline Footprint footprint() {
  Footprint f;
  f.heap_bytes = mallinfo2().uordblks;
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  f.rss_bytes = resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Threads:", 0) == 0) f.threads = std::stoi(line.substr(8));
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd"); it != std::filesystem::directory_iterator();
       ++it)
    ++f.fds;
  return f;
}

// Bytes [begin, end) of a recording's input with its shed GOPs left out,
// as a TsSource tagged `tag` sent them from packet `first_packet` on. Input
// byte p is byte p + (what the full ring dropped before p) of what it sent.
inline std::vector<uint8_t> expected_payload(uint32_t tag, uint64_t first_packet, uint64_t begin, uint64_t end,
                                             const std::vector<ShedRange>& shed,
                                             const std::vector<OverflowRange>& overflows) {
  std::vector<uint8_t> out;
  out.reserve(end - begin);
  uint8_t packet[kTsPacketSize];
  size_t k = 0;
  for (uint64_t p = begin - begin % kTsPacketSize; p < end; p += kTsPacketSize) {
    while (k < shed.size() && shed[k].input_end <= p) ++k;
    if (k < shed.size() && shed[k].input_begin <= p) continue;
    uint64_t dropped = 0;
    for (const auto& o : overflows) dropped += o.input_position <= p ? o.bytes : 0;
    TsSource::make_packet(packet, tag, first_packet + (p + dropped) / kTsPacketSize);
    const uint64_t from = std::max(p, begin), to = std::min(p + kTsPacketSize, end);
    out.insert(out.end(), packet + (from - p), packet + (to - p));
  }
  return out;
}

// Length of [b, e) inside the union of `ranges` (disjoint).
inline uint64_t overlap(uint64_t b, uint64_t e, const std::vector<ShedRange>& ranges) {
  uint64_t n = 0;
  for (const auto& r : ranges) n += std::max(b, r.input_begin) < std::min(e, r.input_end)
                                        ? std::min(e, r.input_end) - std::max(b, r.input_begin)
                                        : 0;
  return n;
}

// Every byte a finished recording accepted (`accepted_bytes`: the pushes
// that returned ok) is in exactly one of: a recorded extent, a lost extent,
// a shed GOP, or the producer's overflow; the writer's counters say the same
// as its extents `e`; the extents tile the file.
inline void check_accounting(const Recording& rec, uint64_t accepted_bytes, const RecordingExtents& e,
                             uint32_t block_size) {
  SCOPED_TRACE(rec.config().name);
  const RecordingStats st = rec.stats();
  EXPECT_TRUE(st.finished);
  uint64_t overflowed = 0;
  for (const auto& o : rec.overflows()) overflowed += o.bytes;
  EXPECT_EQ(st.overflow_bytes, overflowed);
  EXPECT_EQ(st.bytes_in + st.overflow_bytes, accepted_bytes) << "what the recording took: in the ring or dropped";
  EXPECT_EQ(st.bytes_written + st.shed_bytes + st.lost_bytes, st.bytes_in) << "every byte written, shed or lost";
  EXPECT_EQ(e.lost.size(), st.lost_extents);
  EXPECT_EQ(e.shed.size(), st.shed_gops) << "one shed range per GOP";

  uint64_t shed = 0;
  for (size_t i = 0; i < e.shed.size(); ++i) {
    const auto& r = e.shed[i];
    EXPECT_LT(r.input_begin, r.input_end);
    if (i > 0) {
      EXPECT_GE(r.input_begin, e.shed[i - 1].input_end) << "shed ranges in order, disjoint";
    }
    shed += r.input_end - r.input_begin;
  }
  EXPECT_EQ(shed, st.shed_bytes);
  // Recorded and lost input ranges, disjoint; with the shed ranges they
  // cover [0, bytes_in) exactly: their union's measure is bytes_in and none
  // reaches past it.
  struct Piece {
    uint64_t input_begin, input_end, file_offset, file_bytes;
    bool lost;
  };
  std::vector<Piece> pieces;
  for (const auto& r : e.recorded) pieces.push_back({r.input_begin, r.input_end, r.file_offset, uint64_t{r.blocks} * block_size, false});
  for (const auto& l : e.lost) pieces.push_back({l.input_begin, l.input_end, l.file_offset, uint64_t{l.blocks} * block_size, true});
  std::sort(pieces.begin(), pieces.end(), [](auto& a, auto& b) { return a.input_begin < b.input_begin; });
  uint64_t written = 0, lost = 0, covered = shed, prev_end = 0;
  for (const auto& p : pieces) {
    EXPECT_LE(p.input_begin, p.input_end);
    EXPECT_GE(p.input_begin, prev_end) << "recorded and lost ranges overlap";
    EXPECT_LE(p.input_end, st.bytes_in);
    prev_end = p.input_end;
    const uint64_t shed_inside = overlap(p.input_begin, p.input_end, e.shed);
    (p.lost ? lost : written) += p.input_end - p.input_begin - shed_inside;
    covered += p.input_end - p.input_begin - shed_inside;
  }
  EXPECT_EQ(written, st.bytes_written) << "recorded extents hold the bytes written";
  EXPECT_EQ(lost, st.lost_bytes) << "lost extents hold the bytes lost";
  EXPECT_EQ(covered, st.bytes_in) << "recorded, lost and shed tile the input";
  // In file order, each piece starts where the one before ended (a lost
  // extent of no blocks shares its offset with what follows it in input).
  std::sort(pieces.begin(), pieces.end(), [](auto& a, auto& b) {
    return std::tie(a.file_offset, a.input_begin) < std::tie(b.file_offset, b.input_begin);
  });
  uint64_t file_end = 0;
  for (const auto& p : pieces) {
    EXPECT_EQ(p.file_offset, file_end) << "extents tile the file";
    file_end = p.file_offset + p.file_bytes;
  }
}

// File times: the day starts at a fixed wall-clock time (2026-11-17).
inline udf::TimePoint wall_time(TimePoint simulated) {
  return udf::TimePoint(std::chrono::seconds(1'795'000'000)) + (simulated - TimePoint{});
}

}  // namespace discrec::recorder::testing
