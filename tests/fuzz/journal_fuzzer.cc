// replay() on hostile journals never crashes or reads out of bounds, and
// whatever it accepts is self-consistent:
//  - the first input byte picks the mode: even = the bytes are the journal;
//    odd = a valid journal (one record of every type, built here so the
//    fuzzer starts deep inside the format) edited by the rest of the input
//    (xor at offsets, truncation, inserted bytes);
//  - an accepted journal's trusted prefix replays again to the same state
//    with no torn tail (so a reopen after a crash appends after good records).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "recorder/journal/journal_format.h"

namespace {

using namespace discrec::recorder::journal;

discrec::TimePoint ms(int64_t v) { return discrec::TimePoint(std::chrono::milliseconds(v)); }

std::vector<uint8_t> seed_journal() {
  DiscBegin d;
  d.drive_uri = "sim:///x.img?profile=bd-re";
  d.vendor = "DISCREC";
  d.product = "SIM";
  d.revision = "1";
  d.profile = 0x43;
  d.capacity_sectors = 12219392;
  d.unit_blocks = 32;
  d.data_start = 544;
  d.data_limit = 12000000;
  RecordingBegin b;
  b.writer_id = 1;
  b.id = "r1";
  b.title = "t";
  b.source_url = "udp://239.0.0.1:1234";
  RecordingBegin b2 = b;
  b2.writer_id = 2;
  b2.id = "r2";
  discrec::recorder::RecordedExtent e;
  e.recording_id = 1;
  e.lba = 544;
  e.blocks = 64;
  e.length = 64 * 2048 - 10;
  e.input_end = e.length;
  e.padding_bytes = 10;
  e.time_begin = ms(1);
  e.time_end = ms(2);
  discrec::recorder::RecordedExtent e2 = e;
  e2.recording_id = 2;
  e2.lba = 608;
  discrec::recorder::LostExtent l;
  l.recording_id = 1;
  l.lba = 700;
  l.blocks = 32;
  l.message = "medium error";
  discrec::recorder::ShedRange s;
  s.recording_id = 2;
  s.input_begin = 10;
  s.input_end = 20;
  UnitCrcs c;
  c.first_lba = 544;
  c.unit_blocks = 32;
  c.crcs = {1, 2, 3};
  RecordingEnd end;
  end.writer_id = 1;
  end.error = "done";
  FinalizeBegin f;
  f.volume_label = "V";
  f.data_end = 800;
  std::vector<std::vector<uint8_t>> records = {
      encode(d),        encode(b),   encode(b2), encode(0, e), encode(0, e2), encode(c),
      encode(1, e),     encode(0, l), encode(0, s), encode(end), encode(f),   encode_finalized(7)};
  std::vector<uint8_t> out;
  for (const auto& r : records) out.insert(out.end(), r.begin(), r.end());
  return out;
}

std::vector<uint8_t> mutate(const uint8_t* data, size_t size) {
  static const std::vector<uint8_t> seed = seed_journal();
  std::vector<uint8_t> j = seed;
  // Each edit is 4 bytes: op, offset (u16), value.
  for (size_t i = 0; i + 4 <= size && !j.empty(); i += 4) {
    size_t at = (size_t{data[i + 1]} | size_t{data[i + 2]} << 8) % j.size();
    uint8_t v = data[i + 3];
    switch (data[i] % 4) {
      case 0: j[at] ^= v ? v : 1; break;
      case 1: j.resize(at); break;
      case 2: j.insert(j.begin() + static_cast<std::ptrdiff_t>(at), v); break;
      case 3: j.erase(j.begin() + static_cast<std::ptrdiff_t>(at)); break;
    }
  }
  return j;
}

void check(const std::vector<uint8_t>& bytes) {
  auto state = replay(bytes);
  if (!state.ok()) {
    if (state.error().message().empty()) __builtin_trap();
    return;
  }
  if (state->valid_bytes > bytes.size()) __builtin_trap();
  // Whatever follows the trusted prefix is either zeroed space (a clean
  // end) or a torn tail.
  const bool zero_rest = std::all_of(bytes.begin() + static_cast<std::ptrdiff_t>(state->valid_bytes), bytes.end(),
                                     [](uint8_t b) { return b == 0; });
  if (state->torn_tail == zero_rest) __builtin_trap();
  if (state->torn_tail && state->tail_problem.empty()) __builtin_trap();
  if (!state->disc && !state->recordings.empty()) __builtin_trap();
  auto again = replay(std::span<const uint8_t>(bytes.data(), state->valid_bytes));
  if (!again.ok() || again->torn_tail || again->records != state->records ||
      again->recordings.size() != state->recordings.size() || again->finalized != state->finalized ||
      again->unit_crcs != state->unit_crcs)
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    check(std::vector<uint8_t>(data + 1, data + size));
  } else {
    check(mutate(data + 1, size - 1));
  }
  return 0;
}
