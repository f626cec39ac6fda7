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
#include "tests/recorder/journal/journal_test_support.h"

namespace {

using namespace discrec::recorder::journal;

// A valid journal to edit: two recordings and every record type, built from
// the samples the journal unit tests use.
std::vector<uint8_t> seed_journal() {
  using namespace discrec::recorder::journal::test;
  return concat({encode(sample_disc()), encode(sample_recording(1)), encode(sample_recording(2)),
                 encode(0, sample_extent(1, 544, 64, 0)), encode(0, sample_extent(2, 608, 64, 0)),
                 encode(sample_crcs()), encode(1, sample_extent(1, 672, 32, 64 * 2048)), encode(0, sample_lost(1)),
                 encode(0, sample_shed(2)), encode(2, 0, sample_overflow()), encode(sample_end(1)), encode(sample_finalize()), encode_finalized(7)});
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
