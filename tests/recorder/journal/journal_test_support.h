// A journal with one record of every type, shared by the journal tests.
#pragma once

#include <cstdint>
#include <vector>

#include "recorder/journal/journal_format.h"

namespace discrec::recorder::journal::test {

inline TimePoint at_ms(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

inline DiscBegin sample_disc() {
  DiscBegin d;
  d.drive_uri = "sim:///var/lib/discrec/bd0.img?profile=bd-re";
  d.vendor = "DISCREC";
  d.product = "SIM BD-RE";
  d.revision = "1.0";
  d.profile = 0x43;
  d.sequential = false;
  d.capacity_sectors = 12219392;
  d.unit_blocks = 32;
  d.block_size = 2048;
  d.data_start = 544;
  d.data_limit = 12000000;
  d.started_unix_ns = 1764115200123456789;
  return d;
}

inline RecordingBegin sample_recording(uint32_t writer_id) {
  RecordingBegin b;
  b.writer_id = writer_id;
  b.id = "rec-" + std::to_string(writer_id);
  b.title = "Évening news";  // UTF-8 passes through as bytes
  b.source_url = "udp://239.0.0.1:1234";
  b.priority = -3;
  b.start_unix_ns = 1764115201000000000;
  return b;
}

inline RecordedExtent sample_extent(uint32_t writer_id, uint32_t lba, uint32_t blocks, uint64_t offset) {
  RecordedExtent e;
  e.recording_id = writer_id;
  e.lba = lba;
  e.blocks = blocks;
  e.file_offset = offset;
  e.input_begin = offset + 7;
  e.input_end = offset + 7 + uint64_t{blocks} * 2048 - 100;
  e.length = uint64_t{blocks} * 2048 - 100;
  e.padding_bytes = 100;
  e.time_begin = at_ms(1000 + lba);
  e.time_end = at_ms(2000 + lba);
  return e;
}

inline LostExtent sample_lost(uint32_t writer_id) {
  LostExtent l;
  l.recording_id = writer_id;
  l.lba = 5000;
  l.blocks = 32;
  l.file_offset = 1u << 20;
  l.input_begin = 1u << 20;
  l.input_end = (1u << 20) + 65536;
  l.time_begin = at_ms(3000);
  l.time_end = at_ms(3040);
  l.code = ErrorCode::kCheckCondition;
  l.sense = SenseCode{0x03, 0x0C, 0x00};
  l.message = "WRITE(12) at 5000: medium error";
  return l;
}

inline ShedRange sample_shed(uint32_t writer_id) {
  ShedRange s;
  s.recording_id = writer_id;
  s.input_begin = 9000000;
  s.input_end = 9400000;
  s.time_begin = at_ms(4000);
  s.time_end = at_ms(4500);
  return s;
}

inline OverflowRange sample_overflow() {
  OverflowRange o;
  o.input_position = 12000000;
  o.bytes = 1316 * 400;
  o.gops = 2;
  o.time_begin = at_ms(6000);
  o.time_end = at_ms(7250);
  return o;
}

inline UnitCrcs sample_crcs() {
  UnitCrcs c;
  c.first_lba = 544;
  c.unit_blocks = 32;
  c.crcs = {0xDEADBEEF, 0x01234567, 0, 0xFFFFFFFF};
  return c;
}

inline RecordingEnd sample_end(uint32_t writer_id) {
  RecordingEnd e;
  e.writer_id = writer_id;
  e.end_unix_ns = 1764115300000000000;
  e.error = "source ended";
  return e;
}

inline FinalizeBegin sample_finalize() {
  FinalizeBegin f;
  f.volume_label = "NEWS_2026";
  f.finalized_unix_ns = 1764115400000000000;
  f.data_end = 9000;
  f.close_disc = false;
  f.zero_fill_lost_extents = true;
  return f;
}

// One record of every type, in an order a real session writes them.
inline std::vector<std::vector<uint8_t>> every_record() {
  return {
      encode(sample_disc()),
      encode(sample_recording(1)),
      encode(0, sample_extent(1, 544, 64, 0)),
      encode(sample_crcs()),
      encode(1, sample_extent(1, 608, 32, 64 * 2048)),
      encode(0, sample_lost(1)),
      encode(0, sample_shed(1)),
      encode(1, 0, sample_overflow()),
      encode(sample_end(1)),
      encode(sample_finalize()),
      encode_finalized(1764115500000000000),
  };
}

inline std::vector<uint8_t> concat(const std::vector<std::vector<uint8_t>>& records) {
  std::vector<uint8_t> out;
  for (const auto& r : records) out.insert(out.end(), r.begin(), r.end());
  return out;
}

}  // namespace discrec::recorder::journal::test
