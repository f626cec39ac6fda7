// Journal records: every type survives encode -> replay; damaged tails are
// dropped (and reported), contradictions are errors, nothing crashes.
#include <gtest/gtest.h>
#include <zlib.h>

#include "recorder/journal/journal_format.h"
#include "tests/recorder/journal/journal_test_support.h"

namespace discrec::recorder::journal {
namespace {

using namespace test;

void expect_extent_eq(const RecordedExtent& a, const RecordedExtent& b) {
  EXPECT_EQ(a.recording_id, b.recording_id);
  EXPECT_EQ(a.lba, b.lba);
  EXPECT_EQ(a.blocks, b.blocks);
  EXPECT_EQ(a.file_offset, b.file_offset);
  EXPECT_EQ(a.input_begin, b.input_begin);
  EXPECT_EQ(a.input_end, b.input_end);
  EXPECT_EQ(a.length, b.length);
  EXPECT_EQ(a.padding_bytes, b.padding_bytes);
  EXPECT_EQ(a.time_begin, b.time_begin);
  EXPECT_EQ(a.time_end, b.time_end);
}

TEST(JournalFormat, EveryRecordTypeRoundTrips) {
  auto records = every_record();
  auto bytes = concat(records);
  auto state = replay(bytes);
  ASSERT_TRUE(state.ok()) << state.error().to_string();

  EXPECT_EQ(state->records, records.size());
  EXPECT_EQ(state->valid_bytes, bytes.size());
  EXPECT_FALSE(state->torn_tail);
  EXPECT_TRUE(state->tail_problem.empty());

  ASSERT_TRUE(state->disc.has_value());
  const DiscBegin want = sample_disc();
  const DiscBegin& d = *state->disc;
  EXPECT_EQ(d.drive_uri, want.drive_uri);
  EXPECT_EQ(d.vendor, want.vendor);
  EXPECT_EQ(d.product, want.product);
  EXPECT_EQ(d.revision, want.revision);
  EXPECT_EQ(d.profile, want.profile);
  EXPECT_EQ(d.sequential, want.sequential);
  EXPECT_EQ(d.capacity_sectors, want.capacity_sectors);
  EXPECT_EQ(d.unit_blocks, want.unit_blocks);
  EXPECT_EQ(d.block_size, want.block_size);
  EXPECT_EQ(d.data_start, want.data_start);
  EXPECT_EQ(d.data_limit, want.data_limit);
  EXPECT_EQ(d.started_unix_ns, want.started_unix_ns);

  ASSERT_EQ(state->recordings.size(), 1u);
  ASSERT_TRUE(state->recordings.count(1));
  const JournalRecording& rec = state->recordings.at(1);
  const RecordingBegin wb = sample_recording(1);
  EXPECT_EQ(rec.begin.writer_id, 1u);
  EXPECT_EQ(rec.begin.id, wb.id);
  EXPECT_EQ(rec.begin.title, wb.title);
  EXPECT_EQ(rec.begin.source_url, wb.source_url);
  EXPECT_EQ(rec.begin.priority, wb.priority);
  EXPECT_EQ(rec.begin.start_unix_ns, wb.start_unix_ns);

  ASSERT_EQ(rec.recorded.size(), 2u);
  expect_extent_eq(rec.recorded[0], sample_extent(1, 544, 64, 0));
  expect_extent_eq(rec.recorded[1], sample_extent(1, 608, 32, 64 * 2048));

  ASSERT_EQ(rec.lost.size(), 1u);
  const LostExtent wl = sample_lost(1);
  EXPECT_EQ(rec.lost[0].recording_id, wl.recording_id);
  EXPECT_EQ(rec.lost[0].lba, wl.lba);
  EXPECT_EQ(rec.lost[0].blocks, wl.blocks);
  EXPECT_EQ(rec.lost[0].file_offset, wl.file_offset);
  EXPECT_EQ(rec.lost[0].input_begin, wl.input_begin);
  EXPECT_EQ(rec.lost[0].input_end, wl.input_end);
  EXPECT_EQ(rec.lost[0].time_begin, wl.time_begin);
  EXPECT_EQ(rec.lost[0].time_end, wl.time_end);
  EXPECT_EQ(rec.lost[0].code, wl.code);
  EXPECT_EQ(rec.lost[0].sense, wl.sense);
  EXPECT_EQ(rec.lost[0].message, wl.message);

  ASSERT_EQ(rec.shed.size(), 1u);
  const ShedRange ws = sample_shed(1);
  EXPECT_EQ(rec.shed[0].recording_id, ws.recording_id);
  EXPECT_EQ(rec.shed[0].input_begin, ws.input_begin);
  EXPECT_EQ(rec.shed[0].input_end, ws.input_end);
  EXPECT_EQ(rec.shed[0].time_begin, ws.time_begin);
  EXPECT_EQ(rec.shed[0].time_end, ws.time_end);

  ASSERT_EQ(rec.overflows.size(), 1u);
  const OverflowRange wo = sample_overflow();
  EXPECT_EQ(rec.overflows[0].input_position, wo.input_position);
  EXPECT_EQ(rec.overflows[0].bytes, wo.bytes);
  EXPECT_EQ(rec.overflows[0].gops, wo.gops);
  EXPECT_EQ(rec.overflows[0].time_begin, wo.time_begin);
  EXPECT_EQ(rec.overflows[0].time_end, wo.time_end);

  ASSERT_TRUE(rec.end.has_value());
  EXPECT_EQ(rec.end->writer_id, 1u);
  EXPECT_EQ(rec.end->end_unix_ns, sample_end(1).end_unix_ns);
  EXPECT_EQ(rec.end->error, sample_end(1).error);

  // Unit CRCs are keyed by the LBA of each unit.
  const UnitCrcs wc = sample_crcs();
  ASSERT_EQ(state->unit_crcs.size(), wc.crcs.size());
  for (size_t i = 0; i < wc.crcs.size(); ++i)
    EXPECT_EQ(state->unit_crcs.at(wc.first_lba + static_cast<uint32_t>(i) * wc.unit_blocks), wc.crcs[i]);

  ASSERT_TRUE(state->finalize.has_value());
  EXPECT_EQ(state->finalize->volume_label, sample_finalize().volume_label);
  EXPECT_EQ(state->finalize->finalized_unix_ns, sample_finalize().finalized_unix_ns);
  EXPECT_EQ(state->finalize->data_end, sample_finalize().data_end);
  EXPECT_EQ(state->finalize->close_disc, sample_finalize().close_disc);
  EXPECT_EQ(state->finalize->zero_fill_lost_extents, sample_finalize().zero_fill_lost_extents);
  EXPECT_TRUE(state->finalized);
}

TEST(JournalFormat, EmptyJournalIsAnEmptyState) {
  auto state = replay({});
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->disc.has_value());
  EXPECT_EQ(state->records, 0u);
  EXPECT_FALSE(state->torn_tail);
}

TEST(JournalFormat, ARegrownExtentReplacesTheOneWithTheSameIndex) {
  auto bytes = concat({encode(sample_disc()), encode(sample_recording(4)), encode(0, sample_extent(4, 544, 32, 0)),
                       encode(0, sample_extent(4, 544, 96, 0))});
  auto state = replay(bytes);
  ASSERT_TRUE(state.ok()) << state.error().to_string();
  ASSERT_EQ(state->recordings.at(4).recorded.size(), 1u);
  EXPECT_EQ(state->recordings.at(4).recorded[0].blocks, 96u);
}

// A ring that stays full grows its last overflow range; it is logged again.
TEST(JournalFormat, AGrownOverflowRangeReplacesTheOneWithTheSameIndex) {
  OverflowRange grown = sample_overflow();
  grown.bytes *= 3;
  grown.gops = 5;
  OverflowRange second = sample_overflow();
  second.input_position += 1 << 20;
  auto bytes = concat({encode(sample_disc()), encode(sample_recording(4)), encode(4, 0, sample_overflow()),
                       encode(4, 0, grown), encode(4, 1, second)});
  auto state = replay(bytes);
  ASSERT_TRUE(state.ok()) << state.error().to_string();
  const auto& overflows = state->recordings.at(4).overflows;
  ASSERT_EQ(overflows.size(), 2u);
  EXPECT_EQ(overflows[0].bytes, grown.bytes);
  EXPECT_EQ(overflows[0].gops, 5u);
  EXPECT_EQ(overflows[1].input_position, second.input_position);
}

// A journal a previous discrec wrote (its finalize record has no zero-fill
// byte) is still resumed, with lost extents as they were written then.
TEST(JournalFormat, AFinalizeRecordWithoutTheZeroFillByteReplays) {
  std::vector<uint8_t> record = encode(sample_finalize());
  record.pop_back();
  const uint32_t length = static_cast<uint32_t>(record.size() - 9);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, record.data() + 8, static_cast<uInt>(record.size() - 8));  // type and payload
  for (int i = 0; i < 4; ++i) {
    record[i] = static_cast<uint8_t>(length >> (8 * i));
    record[4 + i] = static_cast<uint8_t>(static_cast<uint32_t>(crc) >> (8 * i));
  }
  auto state = replay(concat({encode(sample_disc()), record}));
  ASSERT_TRUE(state.ok()) << state.error().to_string();
  EXPECT_FALSE(state->torn_tail) << state->tail_problem;
  ASSERT_TRUE(state->finalize.has_value());
  EXPECT_EQ(state->finalize->data_end, sample_finalize().data_end);
  EXPECT_FALSE(state->finalize->zero_fill_lost_extents);
}

// A power cut can leave any prefix of the last append on disk.
TEST(JournalFormat, ATornLastRecordDropsOnlyThatRecord) {
  auto records = every_record();
  for (size_t last = 0; last < records.size(); ++last) {
    std::vector<std::vector<uint8_t>> prefix(records.begin(), records.begin() + last);
    auto trusted = concat(prefix);
    for (size_t cut = 1; cut < records[last].size(); ++cut) {
      auto bytes = trusted;
      bytes.insert(bytes.end(), records[last].begin(), records[last].begin() + cut);
      auto state = replay(bytes);
      ASSERT_TRUE(state.ok()) << "record " << last << " cut at " << cut << ": " << state.error().to_string();
      EXPECT_TRUE(state->torn_tail) << "record " << last << " cut at " << cut;
      EXPECT_FALSE(state->tail_problem.empty());
      EXPECT_NE(state->tail_problem.find(std::to_string(trusted.size())), std::string::npos) << state->tail_problem;
      EXPECT_EQ(state->valid_bytes, trusted.size()) << "record " << last << " cut at " << cut;
      EXPECT_EQ(state->records, last) << "record " << last << " cut at " << cut;
    }
  }
  // The torn finalize marker in particular must not count as finalized.
  auto bytes = concat(records);
  bytes.pop_back();
  auto state = replay(bytes);
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->finalized);
  EXPECT_TRUE(state->finalize.has_value());
}

TEST(JournalFormat, AFlippedByteStopsReplayAtItsRecord) {
  auto records = every_record();
  auto clean = concat(records);
  size_t start = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    for (size_t k = 0; k < records[i].size(); ++k) {
      for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xFF}}) {
        auto bytes = clean;
        bytes[start + k] ^= mask;
        auto state = replay(bytes);
        ASSERT_TRUE(state.ok()) << "record " << i << " byte " << k << ": " << state.error().to_string();
        EXPECT_TRUE(state->torn_tail) << "record " << i << " byte " << k;
        EXPECT_EQ(state->valid_bytes, start) << "record " << i << " byte " << k;
        EXPECT_EQ(state->records, i) << "record " << i << " byte " << k;
      }
    }
    start += records[i].size();
  }
}

TEST(JournalFormat, GarbageAfterAValidJournalIsATornTail) {
  auto bytes = concat(every_record());
  const size_t good = bytes.size();
  bytes.insert(bytes.end(), {0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3, 4, 5, 6, 7});  // a huge length
  auto state = replay(bytes);
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->torn_tail);
  EXPECT_EQ(state->valid_bytes, good);
  EXPECT_TRUE(state->finalized);
}

void expect_malformed(const std::vector<std::vector<uint8_t>>& records, const std::string& why) {
  auto state = replay(concat(records));
  ASSERT_FALSE(state.ok()) << why;
  EXPECT_EQ(state.error().code(), ErrorCode::kMalformedResponse) << state.error().to_string();
  EXPECT_NE(state.error().message().find(why), std::string::npos) << state.error().to_string();
}

TEST(JournalFormat, ContradictoryRecordsAreMalformed) {
  expect_malformed({encode(sample_disc()), encode(sample_recording(1)), encode(0, sample_extent(2, 544, 32, 0))},
                   "unknown recording 2");
  expect_malformed({encode(sample_disc()), encode(sample_recording(1)), encode(0, sample_lost(7))},
                   "unknown recording 7");
  expect_malformed({encode(sample_disc()), encode(0, sample_shed(1))}, "unknown recording 1");
  expect_malformed({encode(sample_disc()), encode(4, 0, sample_overflow())}, "unknown recording 4");
  expect_malformed({encode(sample_disc()), encode(sample_end(3))}, "unknown recording 3");
  expect_malformed({encode(sample_disc()), encode(sample_disc())}, "a second disc");
  expect_malformed({encode(sample_recording(1))}, "recording before the disc");
  expect_malformed({encode(sample_disc()), encode(sample_recording(1)), encode(sample_recording(1))},
                   "recording begins twice");
  expect_malformed({encode(sample_disc()), encode(sample_recording(1)), encode(2, sample_extent(1, 544, 32, 0))},
                   "hole in its extents");

  DiscBegin no_unit = sample_disc();
  no_unit.unit_blocks = 0;
  expect_malformed({encode(no_unit)}, "impossible disc layout");
  DiscBegin no_block = sample_disc();
  no_block.block_size = 0;
  expect_malformed({encode(no_block)}, "impossible disc layout");
  DiscBegin inverted = sample_disc();
  inverted.data_start = inverted.data_limit + 1;
  expect_malformed({encode(inverted)}, "impossible disc layout");

  UnitCrcs zero_unit = sample_crcs();
  zero_unit.unit_blocks = 0;
  expect_malformed({encode(sample_disc()), encode(zero_unit)}, "bad checksum record");
}

// A record with a good checksum but a payload that does not parse (written
// by a different version, or by hand) is an error, not a silent stop.
TEST(JournalFormat, WellSealedButUnparsableRecordsAreMalformed) {
  auto seal = [](uint8_t type, std::vector<uint8_t> payload) {
    // Frames an arbitrary payload with a correct length and CRC (the
    // encoder only frames well-formed payloads).
    std::vector<uint8_t> out(9 + payload.size());
    uint32_t length = static_cast<uint32_t>(payload.size());
    for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(length >> (8 * i));
    std::vector<uint8_t> crc_input{type};
    crc_input.insert(crc_input.end(), payload.begin(), payload.end());
    // CRC-32 (IEEE, zlib's): bitwise, so the test does not reuse the code under test.
    uint32_t crc = 0xFFFFFFFFu;
    for (uint8_t b : crc_input) {
      crc ^= b;
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    crc ^= 0xFFFFFFFFu;
    for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<uint8_t>(crc >> (8 * i));
    out[8] = type;
    std::copy(payload.begin(), payload.end(), out.begin() + 9);
    return out;
  };
  // Sanity: the hand framing equals the encoder's.
  const auto finalized = encode_finalized(5);
  ASSERT_EQ(seal(9, std::vector<uint8_t>(finalized.begin() + 9, finalized.end())), finalized);

  expect_malformed({seal(42, {})}, "unknown record type 42");
  expect_malformed({seal(0, {1, 2, 3})}, "unknown record type 0");
  expect_malformed({seal(static_cast<uint8_t>(RecordType::kDiscBegin), {1, 2, 3})}, "bad disc record");
  // A string length running past the payload.
  expect_malformed({seal(static_cast<uint8_t>(RecordType::kDiscBegin), {0xFF, 0xFF, 0, 0, 'a'})}, "bad disc record");
  // Trailing bytes after a complete record are as bad as missing ones.
  std::vector<uint8_t> long_payload(finalized.begin() + 9, finalized.end());
  long_payload.push_back(0);
  expect_malformed({seal(static_cast<uint8_t>(RecordType::kFinalized), long_payload)}, "bad finalized record");
  // A checksum record whose count disagrees with its size.
  expect_malformed({encode(sample_disc()),
                    seal(static_cast<uint8_t>(RecordType::kUnitCrcs), {0, 0, 0, 0, 32, 0, 0, 0, 5, 0, 0, 0, 1, 2, 3, 4})},
                   "bad checksum record");
  expect_malformed({encode(sample_disc()), seal(static_cast<uint8_t>(RecordType::kUnitCrcs), {1, 2})},
                   "bad checksum record");
  // An error code beyond the enum in a lost extent.
  auto lost = encode(0, sample_lost(1));
  std::vector<uint8_t> payload(lost.begin() + 9, lost.end());
  const size_t code_at = 4 + 4 + 4 + 4 + 8 + 8 + 8 + 8 + 8;
  payload[code_at] = 200;
  expect_malformed({encode(sample_disc()), encode(sample_recording(1)),
                    seal(static_cast<uint8_t>(RecordType::kLostExtent), payload)},
                   "bad lost-extent record");
}

TEST(JournalFormat, OverlongStringsAreCappedNotCorrupting) {
  RecordingBegin b = sample_recording(1);
  b.title = std::string(200000, 'x');  // beyond the 64 KiB string limit
  auto state = replay(concat({encode(sample_disc()), encode(b)}));
  ASSERT_TRUE(state.ok()) << state.error().to_string();
  EXPECT_EQ(state->recordings.at(1).begin.title.size(), 64u << 10);
  EXPECT_EQ(state->recordings.at(1).begin.source_url, b.source_url);
}

}  // namespace
}  // namespace discrec::recorder::journal

namespace discrec::recorder::journal {
namespace {

// Journals outlive the daemon that wrote them (a restart after an upgrade
// takes up an open disc): the bytes of every record type are pinned. A
// change here is a format change and needs a new record type or version.
TEST(JournalFormat, TheBytesOnDiskStayTheSame) {
  const auto bytes = concat(every_record());
  const uLong crc = crc32(crc32(0L, Z_NULL, 0), bytes.data(), static_cast<uInt>(bytes.size()));
  EXPECT_EQ(bytes.size(), 681u);
  EXPECT_EQ(crc, 1417108140u);
}

}  // namespace
}  // namespace discrec::recorder::journal
