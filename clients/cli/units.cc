#include "clients/cli/units.h"

#include <cstdio>
#include <limits>

namespace discrec::cli {
namespace {

using Wide = unsigned __int128;

// "2.5M" -> whole 2, fraction "5", rest "M". False unless it starts with a digit.
bool split_number(std::string_view text, uint64_t* whole, std::string_view* fraction, std::string_view* rest) {
  size_t i = 0;
  *whole = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const auto digit = static_cast<uint64_t>(text[i] - '0');
    if (*whole > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    *whole = *whole * 10 + digit;
    ++i;
  }
  if (i == 0) return false;
  *fraction = {};
  if (i < text.size() && text[i] == '.') {
    size_t start = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start || i - start > 9) return false;  // "8." or more digits than any unit needs
    *fraction = text.substr(start, i - start);
  }
  while (i < text.size() && text[i] == ' ') ++i;
  *rest = text.substr(i);
  return true;
}

// whole.fraction * multiplier, rounded to the nearest unit; nullopt past 2^64.
std::optional<uint64_t> scale(uint64_t whole, std::string_view fraction, uint64_t multiplier) {
  Wide value = static_cast<Wide>(whole) * multiplier;
  if (!fraction.empty()) {
    Wide digits = 0, denominator = 1;
    for (char c : fraction) {
      digits = digits * 10 + static_cast<Wide>(c - '0');
      denominator *= 10;
    }
    value += (digits * multiplier + denominator / 2) / denominator;
  }
  if (value > std::numeric_limits<uint64_t>::max()) return std::nullopt;
  return static_cast<uint64_t>(value);
}

std::string shortest(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

std::optional<Quantity> parse_bit_rate(std::string_view text, std::string* error) {
  auto refuse = [&](const std::string& why) -> std::optional<Quantity> {
    *error = "'" + std::string(text) + "' is not a bit rate" + why +
             ": give bit/s as 8000000, 8M, 8Mbit/s, 8000k or 2.5M";
    return std::nullopt;
  };
  uint64_t whole;
  std::string_view fraction, unit;
  if (!split_number(text, &whole, &fraction, &unit)) return refuse("");
  uint64_t multiplier = 1;
  std::string_view suffix = unit;
  if (!unit.empty()) {
    switch (unit[0]) {
      case 'k': case 'K': multiplier = 1000; break;
      case 'm': case 'M': multiplier = 1000 * 1000; break;
      case 'g': case 'G': multiplier = 1000 * 1000 * 1000; break;
      default: multiplier = 0;
    }
    if (multiplier) suffix = unit.substr(1);
    else multiplier = 1;
  }
  if (suffix.find('B') != std::string_view::npos) return refuse(" (B is bytes; rates are in bits)");
  if (!suffix.empty() && suffix[0] == 'i') return refuse(" (rates take decimal prefixes: k, M, G)");
  if (!suffix.empty() && suffix != "bit/s" && suffix != "b/s" && suffix != "bps" && suffix != "bit")
    return refuse("");
  auto value = scale(whole, fraction, multiplier);
  if (!value) return refuse(" (too large)");
  return Quantity{*value, !unit.empty()};
}

std::optional<Quantity> parse_size(std::string_view text, uint64_t plain_unit, std::string* error) {
  auto refuse = [&](const std::string& why) -> std::optional<Quantity> {
    *error = "'" + std::string(text) + "' is not a size" + why +
             ": give 64MiB, 64M (also MiB), 64MB (64,000,000 bytes), 1G or 1.5GiB";
    return std::nullopt;
  };
  uint64_t whole;
  std::string_view fraction, unit;
  if (!split_number(text, &whole, &fraction, &unit)) return refuse("");
  uint64_t multiplier = plain_unit;
  if (!unit.empty()) {
    int power = 0;
    switch (unit[0]) {
      case 'k': case 'K': power = 1; break;
      case 'm': case 'M': power = 2; break;
      case 'g': case 'G': power = 3; break;
      case 't': case 'T': power = 4; break;
    }
    std::string_view suffix = power ? unit.substr(1) : unit;
    uint64_t base;
    if (power && (suffix.empty() || suffix == "i" || suffix == "iB")) base = 1024;
    else if (power && suffix == "B") base = 1000;
    else if (!power && suffix == "B") base = 1;
    else if (suffix == "b" || suffix == "bit") return refuse(" (b is bits; sizes are in bytes: B)");
    else return refuse("");
    multiplier = 1;
    for (int i = 0; i < power; ++i) multiplier *= base;
  }
  auto value = scale(whole, fraction, multiplier);
  if (!value) return refuse(" (too large)");
  return Quantity{*value, !unit.empty()};
}

std::string group_thousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string describe_bit_rate(uint64_t bps) {
  std::string text = group_thousands(bps) + " bit/s";
  const double v = static_cast<double>(bps);
  if (bps >= 1000 * 1000 * 1000) text += " (" + shortest(v / 1e9) + " Gbit/s)";
  else if (bps >= 1000 * 1000) text += " (" + shortest(v / 1e6) + " Mbit/s)";
  else if (bps >= 1000) text += " (" + shortest(v / 1e3) + " kbit/s)";
  return text;
}

std::string describe_size(uint64_t bytes) {
  std::string text = group_thousands(bytes) + (bytes == 1 ? " byte" : " bytes");
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  if (u >= 0) text += " (" + shortest(v) + " " + units[u] + ")";
  return text;
}

}  // namespace discrec::cli
