// The drive quirks file: parser and lookup (see drive_quirks.h).
#include "device/drive_quirks.h"

#include <algorithm>
#include <cstdio>

namespace discrec::device {
namespace {

struct QuirkSpec {
  QuirkKind kind;
  const char* name;
  bool takes_value;
  uint32_t min_value;
  uint32_t max_value;
};

// streaming-min-write: whole KiB, at least one 2 KiB block and at most what
// any drive buffer takes in one command.
constexpr QuirkSpec kQuirks[] = {
    {QuirkKind::kStreamingMinWrite, "streaming-min-write", true, 2, 65536},
    {QuirkKind::kNoStreaming, "no-streaming", false, 0, 0},
    {QuirkKind::kNoOpc, "no-opc", false, 0, 0},
    {QuirkKind::kNwaNotReported, "nwa-not-reported", false, 0, 0},
};

const QuirkSpec* spec_named(std::string_view name) {
  for (const auto& s : kQuirks)
    if (name == s.name) return &s;
  return nullptr;
}

std::string known_names() {
  std::string out;
  for (const auto& s : kQuirks) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

std::string_view trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool matches(std::string_view pattern, std::string_view field) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return field.size() >= pattern.size() && equal_nocase(pattern, field.substr(0, pattern.size()));
  }
  return equal_nocase(pattern, field);
}

class LineError {
 public:
  LineError(const std::string& source, size_t line) : where_(source + ":" + std::to_string(line) + ": ") {}
  Error operator()(const std::string& what) const { return Error(ErrorCode::kInvalidArgument, where_ + what); }

 private:
  std::string where_;
};

Result<std::string> read_pattern(std::string_view text, const char* field, size_t width, const LineError& bad) {
  if (text.empty()) return bad(std::string("empty ") + field + " (write '*' for any)");
  const size_t star = text.find('*');
  if (star != std::string_view::npos && star != text.size() - 1)
    return bad(std::string(field) + " '" + std::string(text) + "': '*' may only end a pattern");
  const size_t length = star == std::string_view::npos ? text.size() : star;
  if (length > width)
    return bad(std::string(field) + " '" + std::string(text) + "' is longer than INQUIRY's " +
               std::to_string(width) + " characters, so it never matches");
  return std::string(text);
}

Result<uint32_t> read_value(std::string_view text, const QuirkSpec& spec, const LineError& bad) {
  const std::string what = std::string(spec.name) + "=" + std::string(text);
  uint64_t n = 0;
  if (text.empty() || text.size() > 9) return bad(what + ": the value must be a number");
  for (char c : text) {
    if (c < '0' || c > '9') return bad(what + ": the value must be a number");
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n < spec.min_value || n > spec.max_value)
    return bad(what + ": the value must be between " + std::to_string(spec.min_value) + " and " +
               std::to_string(spec.max_value));
  return static_cast<uint32_t>(n);
}

Result<std::vector<DriveQuirk>> read_quirks(std::string_view text, const LineError& bad) {
  std::vector<DriveQuirk> out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = std::min(text.find_first_of(", \t", at), text.size());
    const std::string_view word = text.substr(at, end - at);
    at = end + 1;
    if (word.empty()) continue;
    const size_t eq = word.find('=');
    const std::string_view name = word.substr(0, eq);
    const QuirkSpec* spec = spec_named(name);
    if (!spec) return bad("unknown quirk '" + std::string(name) + "' (known: " + known_names() + ")");
    DriveQuirk quirk;
    quirk.kind = spec->kind;
    if (spec->takes_value) {
      if (eq == std::string_view::npos) return bad(std::string(spec->name) + " needs a value (" + spec->name + "=N)");
      ASSIGN_OR_RETURN(quirk.value, read_value(word.substr(eq + 1), *spec, bad));
    } else if (eq != std::string_view::npos) {
      return bad(std::string(spec->name) + " takes no value");
    }
    for (const auto& q : out)
      if (q.kind == quirk.kind) return bad(std::string(spec->name) + " is named twice");
    out.push_back(std::move(quirk));
  }
  if (out.empty()) return bad("no quirks (known: " + known_names() + ")");
  return out;
}

Result<QuirkEntry> read_entry(std::string_view line, const std::string& source, size_t number,
                              const LineError& bad) {
  std::vector<std::string_view> fields;
  size_t at = 0;
  for (;;) {
    const size_t bar = line.find('|', at);
    fields.push_back(trim(line.substr(at, bar == std::string_view::npos ? std::string_view::npos : bar - at)));
    if (bar == std::string_view::npos) break;
    at = bar + 1;
  }
  if (fields.size() != 5)
    return bad("expected 5 fields separated by '|' (vendor | product | revision | quirks | reason), found " +
               std::to_string(fields.size()));
  QuirkEntry entry;
  ASSIGN_OR_RETURN(entry.vendor, read_pattern(fields[0], "vendor", 8, bad));
  ASSIGN_OR_RETURN(entry.product, read_pattern(fields[1], "product", 16, bad));
  ASSIGN_OR_RETURN(entry.revision, read_pattern(fields[2], "revision", 4, bad));
  ASSIGN_OR_RETURN(entry.quirks, read_quirks(fields[3], bad));
  if (fields[4].empty()) return bad("no reason: say where the misbehaviour is known from");
  for (auto& q : entry.quirks) {
    q.reason = std::string(fields[4]);
    q.source = source + ":" + std::to_string(number);
  }
  return entry;
}

}  // namespace

const char* quirk_name(QuirkKind kind) {
  for (const auto& s : kQuirks)
    if (s.kind == kind) return s.name;
  return "?";
}

std::string DriveQuirk::to_string() const {
  std::string out = quirk_name(kind);
  if (value) out += "=" + std::to_string(*value);
  return out;
}

Result<QuirkTable> QuirkTable::parse(std::string_view text, const std::string& source_name) {
  QuirkTable table;
  size_t number = 0;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t newline = text.find('\n', at);
    const std::string_view line = text.substr(at, newline == std::string_view::npos ? std::string_view::npos
                                                                                    : newline - at);
    at = newline == std::string_view::npos ? text.size() + 1 : newline + 1;
    ++number;
    const LineError bad(source_name, number);
    // INQUIRY strings are ASCII; so is every pattern that can match them,
    // and a reason that prints the same on every terminal.
    for (char ch : line) {
      const auto c = static_cast<unsigned char>(ch);
      if (c >= 0x7F || (c < 0x20 && c != '\t' && c != '\r')) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", c);
        return bad(std::string("byte ") + hex + ": the quirks file must be printable ASCII");
      }
    }
    const std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    ASSIGN_OR_RETURN(QuirkEntry entry, read_entry(content, source_name, number, bad));
    table.entries_.push_back(std::move(entry));
  }
  return table;
}

std::vector<DriveQuirk> QuirkTable::lookup(std::string_view vendor, std::string_view product,
                                           std::string_view revision) const {
  vendor = trim(vendor);
  product = trim(product);
  revision = trim(revision);
  std::vector<DriveQuirk> out;
  for (const auto& e : entries_) {
    if (!matches(e.vendor, vendor) || !matches(e.product, product) || !matches(e.revision, revision)) continue;
    for (const auto& q : e.quirks) {
      auto same = std::find_if(out.begin(), out.end(), [&](const DriveQuirk& o) { return o.kind == q.kind; });
      if (same != out.end()) {
        *same = q;
      } else {
        out.push_back(q);
      }
    }
  }
  return out;
}

const DriveQuirk* DriveQuirks::find(QuirkKind kind) const {
  for (const auto& q : applied)
    if (q.kind == kind) return &q;
  return nullptr;
}

uint32_t DriveQuirks::streaming_min_write_bytes() const {
  const DriveQuirk* q = find(QuirkKind::kStreamingMinWrite);
  return q && q->value ? *q->value * 1024 : 0;
}

}  // namespace discrec::device
