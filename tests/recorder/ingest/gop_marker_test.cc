#include "recorder/ingest/gop_marker.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/recorder/ingest/ingest_test_support.h"

namespace discrec::recorder::ingest {
namespace {

using testing::RecordingSink;

// A TS packet on `pid`; with `pes_pts` >= 0 it starts a PES carrying that PTS,
// and `rai` sets random_access_indicator in an adaptation field.
std::vector<uint8_t> ts_packet(int pid, bool pusi, bool rai, int64_t pes_pts = -1) {
  std::vector<uint8_t> p(188, 0xff);
  p[0] = 0x47;
  p[1] = static_cast<uint8_t>((pusi ? 0x40 : 0) | ((pid >> 8) & 0x1f));
  p[2] = static_cast<uint8_t>(pid & 0xff);
  size_t off = 4;
  if (rai) {
    p[3] = 0x30;  // adaptation field + payload
    p[4] = 1;
    p[5] = 0x40;
    off = 6;
  } else {
    p[3] = 0x10;
  }
  if (pusi && pes_pts >= 0) {
    uint8_t* pes = p.data() + off;
    pes[0] = 0, pes[1] = 0, pes[2] = 1, pes[3] = 0xc0, pes[4] = 0, pes[5] = 0;
    pes[6] = 0x80, pes[7] = 0x80, pes[8] = 5;
    pes[9] = static_cast<uint8_t>(0x21 | ((pes_pts >> 29) & 0x0e));
    pes[10] = static_cast<uint8_t>(pes_pts >> 22);
    pes[11] = static_cast<uint8_t>(((pes_pts >> 14) & 0xfe) | 1);
    pes[12] = static_cast<uint8_t>(pes_pts >> 7);
    pes[13] = static_cast<uint8_t>(((pes_pts << 1) & 0xfe) | 1);
  }
  return p;
}

void append(std::vector<uint8_t>& to, const std::vector<uint8_t>& p) { to.insert(to.end(), p.begin(), p.end()); }

TEST(GopMarkerTest, MarksExactlyAtRandomAccessPesStartOfMarkedPid) {
  std::vector<uint8_t> ts;
  append(ts, ts_packet(0, true, false));         // 0 PAT
  append(ts, ts_packet(0x100, true, true, 0));   // 1 key frame PES start
  append(ts, ts_packet(0x100, false, false));    // 2
  append(ts, ts_packet(0x101, true, true, 0));   // 3 audio RAI: other PID, no mark
  append(ts, ts_packet(0x100, true, false, 3600)); // 4 non-key PES start
  append(ts, ts_packet(0x100, false, true));     // 5 RAI without PUSI: no mark
  append(ts, ts_packet(0x100, true, true, 7200)); // 6 key frame
  RecordingSink sink;
  GopMarker marker(sink, 0x100, 0);
  ASSERT_TRUE(marker.consume(ts.data(), ts.size()).ok());
  EXPECT_EQ(sink.gop_packet_indices(), (std::vector<size_t>{1, 6}));
  EXPECT_EQ(sink.bytes(), ts);
  EXPECT_EQ(marker.ts_packets(), 7u);
  EXPECT_EQ(marker.gop_starts(), 2u);
  EXPECT_EQ(sink.calls(), 3u);  // [0], [1..5], [6]
}

TEST(GopMarkerTest, CarriesPartialPacketsAcrossWrites) {
  std::vector<uint8_t> ts;
  for (int i = 0; i < 10; ++i) append(ts, ts_packet(0x100, true, i % 4 == 2, i * 3600));
  RecordingSink sink;
  GopMarker marker(sink, 0x100, 0);
  // Odd-sized chunks split packets everywhere, including a mark packet.
  for (size_t off = 0; off < ts.size();) {
    size_t n = std::min<size_t>(ts.size() - off, 1 + (off * 7) % 301);
    ASSERT_TRUE(marker.consume(ts.data() + off, n).ok());
    off += n;
  }
  EXPECT_EQ(marker.carried_bytes(), 0u);
  EXPECT_TRUE(sink.all_calls_whole_packets());
  EXPECT_EQ(sink.bytes(), ts);
  EXPECT_EQ(sink.gop_packet_indices(), (std::vector<size_t>{2, 6}));
}

TEST(GopMarkerTest, AudioOnlyMarksAreThinnedByPts) {
  std::vector<uint8_t> ts;
  for (int i = 0; i < 20; ++i) append(ts, ts_packet(0x100, true, true, i * 9000));  // every 0.1 s
  RecordingSink sink;
  GopMarker marker(sink, 0x100, 45000);  // 0.5 s
  ASSERT_TRUE(marker.consume(ts.data(), ts.size()).ok());
  EXPECT_EQ(sink.gop_packet_indices(), (std::vector<size_t>{0, 5, 10, 15}));
}

TEST(GopMarkerTest, LostSyncIsAnInternalError) {
  std::vector<uint8_t> ts = ts_packet(0x100, true, true, 0);
  append(ts, std::vector<uint8_t>(188, 0x00));
  RecordingSink sink;
  GopMarker marker(sink, 0x100, 0);
  Status s = marker.consume(ts.data(), ts.size());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kInternal);
}

TEST(GopMarkerTest, SinkErrorIsReturned) {
  std::vector<uint8_t> ts;
  for (int i = 0; i < 4; ++i) append(ts, ts_packet(0x100, true, true, i * 3600));
  RecordingSink sink;
  sink.fail_after_packets(2);
  GopMarker marker(sink, 0x100, 0);
  Status s = marker.consume(ts.data(), ts.size());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kResourceExhausted);
}

TEST(GopMarkerTest, PesPtsParses) {
  auto p = ts_packet(0x100, true, true, (int64_t{1} << 32) + 12345);
  auto pts = pes_start_pts(std::span<const uint8_t, 188>(p.data(), 188));
  ASSERT_TRUE(pts.has_value());
  EXPECT_EQ(*pts, (int64_t{1} << 32) + 12345);
  auto q = ts_packet(0x100, false, false);
  EXPECT_FALSE(pes_start_pts(std::span<const uint8_t, 188>(q.data(), 188)).has_value());
}

}  // namespace
}  // namespace discrec::recorder::ingest
