// Test support for the streaming writer in simulated time: a drive model
// behind BlockTarget (throughput, per-command overhead, latency spikes,
// medium errors), TS sources whose packets say who and which they are, and
// a loop that interleaves arrivals with service_once().
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "base/clock.h"
#include "recorder/core/block_target.h"
#include "recorder/core/streaming_writer.h"

namespace discrec::recorder::testing {

using namespace std::chrono_literals;

// A drive: writes take overhead + bytes / rate of simulated time; spikes add
// a one-off delay to the first command that starts at or after their time;
// LBAs in `bad_lbas` fail the command covering them with MEDIUM ERROR.
class ModelTarget final : public BlockTarget {
 public:
  ModelTarget(SimulatedClock& clock, uint64_t bytes_per_second, uint32_t block_size = 2048)
      : clock_(clock), rate_(bytes_per_second), block_size_(block_size) {}

  Status write_blocks(uint32_t lba, std::span<const uint8_t> data, bool streaming) override {
    EXPECT_EQ(data.size() % block_size_, 0u);
    const uint32_t blocks = static_cast<uint32_t>(data.size() / block_size_);
    commands.push_back({lba, blocks, streaming});
    Nanos delay = overhead + Nanos(static_cast<int64_t>(data.size() * 1e9 / static_cast<double>(rate_)));
    auto spike = spikes.begin();
    if (spike != spikes.end() && clock_.now() >= spike->first) {
      delay += spike->second;
      spikes.erase(spike);
    }
    clock_.advance(delay);
    auto bad = bad_lbas.lower_bound(lba);
    if (bad != bad_lbas.end() && *bad < lba + blocks) {
      return Error::scsi("WRITE(12)", SenseCode{0x03, 0x0C, 0x00}, "write error");
    }
    for (uint32_t i = 0; i < blocks; ++i) {
      auto& block = disc[lba + i];
      if (!block.empty()) ADD_FAILURE() << "LBA " << lba + i << " written twice";
      block.assign(data.begin() + i * block_size_, data.begin() + (i + 1) * block_size_);
    }
    return ok_status();
  }
  Status flush() override { return ok_status(); }

  struct Command {
    uint32_t lba, blocks;
    bool streaming;
  };
  SimulatedClock& clock_;
  uint64_t rate_;
  uint32_t block_size_;
  Nanos overhead = 1ms;
  std::map<TimePoint, Nanos> spikes;
  std::set<uint32_t> bad_lbas;
  std::map<uint32_t, std::vector<uint8_t>> disc;
  std::vector<Command> commands;
};

// Packet i of recording r: PID 0x100 + r, then 8 bytes of r and i, then a
// pattern; every `gop_packets` packets a GOP starts. Pushed `chunk_packets`
// at a time at the bitrate.
struct TsSource {
  std::shared_ptr<Recording> recording;
  uint32_t tag = 0;
  uint64_t bitrate_bps = 0;
  uint32_t chunk_packets = 7;
  uint32_t gop_packets = 700;
  TimePoint start{};
  uint64_t next_packet = 0;
  bool stopped = false;
  bool expect_ok = true;  // false: pushes may be refused (failed writer)
  uint64_t rate_first_packet = 0;  // where the current bitrate began (change_rate)

  TimePoint next_arrival() const {
    const double seconds = static_cast<double>((next_packet - rate_first_packet + chunk_packets) * kTsPacketSize * 8) /
                           static_cast<double>(bitrate_bps);
    return start + Nanos(static_cast<int64_t>(seconds * 1e9));
  }
  // From `at` on, packets come at `bps` (what a source sends, whatever its
  // recording declared).
  void change_rate(uint64_t bps, TimePoint at) {
    start = at;
    rate_first_packet = next_packet;
    bitrate_bps = bps;
  }
  static void make_packet(uint8_t* p, uint32_t tag, uint64_t index) {
    p[0] = 0x47;
    p[1] = 0x01;  // PID 0x100 + tag (tag < 256)
    p[2] = static_cast<uint8_t>(tag);  // never 0x1FFF, the null PID
    p[3] = 0x10;
    std::memcpy(p + 4, &tag, 4);
    std::memcpy(p + 8, &index, 8);
    for (size_t i = 16; i < kTsPacketSize; ++i) p[i] = static_cast<uint8_t>(index + i);
  }
  // Pushes every chunk that has arrived by `now`.
  void feed(TimePoint now) {
    std::vector<uint8_t> buf(chunk_packets * kTsPacketSize);
    while (!stopped && next_arrival() <= now) {
      // gop_packets is a multiple of chunk_packets: GOPs start chunks.
      const bool gop = next_packet % gop_packets == 0;
      for (uint32_t i = 0; i < chunk_packets; ++i) {
        make_packet(buf.data() + i * kTsPacketSize, tag, next_packet + i);
      }
      Status s = recording->write_packets_at(buf, gop, next_arrival());
      if (expect_ok) {
        ASSERT_TRUE(s.ok()) << s.error().to_string();
      }
      next_packet += chunk_packets;
    }
  }
};

// Runs arrivals and the writer until `end` in simulated time.
// Adds a recording (2 s latency budget) and its synthetic source, tagged by
// its position; sources start 3 ms apart from `first_start` so chunk
// arrivals interleave. Fails the calling test if the writer refuses it.
inline void add_source(StreamingWriter& writer, std::vector<TsSource>& sources, int priority, uint64_t bps,
                       TimePoint first_start) {
  RecordingConfig c;
  c.name = "rec" + std::to_string(sources.size());
  c.priority = priority;
  c.bitrate_bps = bps;
  c.latency_budget = std::chrono::seconds(2);
  auto rec = writer.add_recording(c);
  ASSERT_TRUE(rec.ok()) << rec.error().to_string();
  TsSource s{*rec, static_cast<uint32_t>(sources.size() + 1), bps};
  s.start = first_start + Nanos(static_cast<int64_t>(sources.size()) * 3'000'000);
  sources.push_back(std::move(s));
}

inline void run_until(SimulatedClock& clock, StreamingWriter& writer, std::vector<TsSource>& sources,
                      TimePoint end) {
  while (clock.now() < end) {
    for (auto& s : sources) s.feed(clock.now());
    const TimePoint wake = writer.service_once();
    TimePoint next = std::min(wake, end);
    for (auto& s : sources) {
      if (!s.stopped) next = std::min(next, s.next_arrival());
    }
    if (next > clock.now()) clock.sleep_until(next);
  }
}

// Stops every source and lets the writer finish them.
inline void stop_all(SimulatedClock& clock, StreamingWriter& writer, std::vector<TsSource>& sources) {
  for (auto& s : sources) {
    s.stopped = true;
    ASSERT_TRUE(writer.stop_recording(s.recording->id()).ok());
  }
  for (int i = 0; i < 1000000; ++i) {
    bool all = true;
    for (auto& s : sources) all = all && s.recording->finished();
    if (all) return;
    const TimePoint wake = writer.service_once();
    if (wake > clock.now()) clock.sleep_until(wake);
  }
  FAIL() << "recordings did not finish";
}

// The recording's file as the extents describe it, read from the model disc.
// Lost extents are filled with 0x00 (they are unreadable on a real disc).
inline std::vector<uint8_t> read_file(const ModelTarget& target, const RecordingExtents& e,
                                      uint32_t block_size = 2048) {
  struct Piece {
    uint64_t offset;
    uint32_t lba, blocks;
    uint64_t length;
    bool lost;
  };
  std::vector<Piece> pieces;
  for (const auto& r : e.recorded) pieces.push_back({r.file_offset, r.lba, r.blocks, r.length, false});
  for (const auto& l : e.lost) pieces.push_back({l.file_offset, l.lba, l.blocks, uint64_t{l.blocks} * block_size, true});
  std::sort(pieces.begin(), pieces.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
  std::vector<uint8_t> file;
  for (const auto& p : pieces) {
    EXPECT_EQ(p.offset, file.size()) << "extents must tile the file";
    const size_t start = file.size();
    file.resize(start + size_t{p.blocks} * block_size, 0);
    for (uint32_t i = 0; i < p.blocks && !p.lost; ++i) {
      auto it = target.disc.find(p.lba + i);
      if (it == target.disc.end()) {
        ADD_FAILURE() << "LBA " << p.lba + i << " in a recorded extent was never written";
        break;
      }
      std::memcpy(file.data() + start + size_t{i} * block_size, it->second.data(), block_size);
    }
    file.resize(start + p.length);
  }
  return file;
}

// Packet indexes found in a file (null packets skipped; anything else that
// is not one of `tag`'s packets fails the test).
inline std::vector<uint64_t> packet_indexes(const std::vector<uint8_t>& file, uint32_t tag,
                                            size_t* null_packets = nullptr) {
  std::vector<uint64_t> out;
  out.reserve(file.size() / kTsPacketSize);
  EXPECT_EQ(file.size() % kTsPacketSize, 0u);
  // Plain checks in the loop: a million EXPECTs are slow in Debug builds.
  for (size_t pos = 0; pos + kTsPacketSize <= file.size(); pos += kTsPacketSize) {
    const uint8_t* p = file.data() + pos;
    if (p[0] != 0x47) {
      ADD_FAILURE() << "no sync byte at " << pos;
      return out;
    }
    if (p[1] == 0x1F && p[2] == 0xFF) {
      if (null_packets) ++*null_packets;
      continue;
    }
    uint32_t t;
    uint64_t index;
    std::memcpy(&t, p + 4, 4);
    std::memcpy(&index, p + 8, 8);
    if (t != tag) {
      ADD_FAILURE() << "foreign packet (tag " << t << ") at " << pos;
      return out;
    }
    out.push_back(index);
  }
  return out;
}

// True when `data` equals bytes [input_offset, input_offset + len) of the
// stream TsSource produces for `tag` (no shedding in between).
inline bool matches_input(const uint8_t* data, size_t len, uint64_t input_offset, uint32_t tag) {
  std::vector<uint8_t> expect(len + 2 * kTsPacketSize);
  const uint64_t first = input_offset / kTsPacketSize;
  const uint64_t last = (input_offset + len) / kTsPacketSize;
  for (uint64_t p = first; p <= last; ++p) {
    TsSource::make_packet(expect.data() + (p - first) * kTsPacketSize, tag, p);
  }
  return std::memcmp(data, expect.data() + input_offset % kTsPacketSize, len) == 0;
}

// The packet indexes of `s` that should be on disc once the `shed` input
// ranges (sorted) are removed: what packet_indexes() must read back.
inline std::vector<uint64_t> expected_packets(const TsSource& s, const std::vector<ShedRange>& shed) {
  std::vector<uint64_t> out;
  size_t k = 0;
  for (uint64_t i = 0; i < s.next_packet; ++i) {
    const uint64_t pos = i * kTsPacketSize;
    while (k < shed.size() && shed[k].input_end <= pos) ++k;
    if (k < shed.size() && shed[k].input_begin <= pos) continue;
    out.push_back(i);
  }
  return out;
}

}  // namespace discrec::recorder::testing
