// Bit rates and sizes as people type them on a command line. Pure functions,
// no I/O: the CLI echoes what they understood when a unit was given.
//
// Bit rates are decimal (SI), as codecs and networks count them:
//   8000000, 8M, 8Mbit/s, 8 Mbps, 8000k, 8000kb/s, 2.5M, 1G   (bit/s)
//   A plain number is bit/s. Bytes ("1MB/s") and binary prefixes ("8Mi")
//   are refused rather than guessed.
// Sizes follow GNU coreutils (dd, truncate, sort -S):
//   K, M, G, T and KiB, MiB, GiB, TiB are binary (64M = 64MiB = 67,108,864)
//   KB, MB, GB, TB are decimal (64MB = 64,000,000); B is bytes
//   A plain number counts in the unit the caller names (MiB for --ring).
// Fractions are allowed ("2.5M", "1.5G") and rounded to a whole bit or byte.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace discrec::cli {

struct Quantity {
  uint64_t value = 0;       // bit/s or bytes
  bool unit_given = false;  // the text named a unit: worth echoing back
};

// nullopt and `*error` (which says what is accepted) when `text` is not one.
std::optional<Quantity> parse_bit_rate(std::string_view text, std::string* error);
std::optional<Quantity> parse_size(std::string_view text, uint64_t plain_unit, std::string* error);

// 8000000 -> "8,000,000"
std::string group_thousands(uint64_t n);
// "8,000,000 bit/s (8 Mbit/s)"
std::string describe_bit_rate(uint64_t bits_per_second);
// "67,108,864 bytes (64 MiB)"
std::string describe_size(uint64_t bytes);

}  // namespace discrec::cli
