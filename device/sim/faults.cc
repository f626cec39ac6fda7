#include "device/sim/faults.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace discrec::device::sim {
namespace {

struct Kind {
  std::string_view name;
  FaultKind kind;
  uint32_t default_count;
};
constexpr Kind kKinds[] = {
    {"write-error", FaultKind::kWriteError, 0}, {"read-error", FaultKind::kReadError, 0},
    {"latency", FaultKind::kLatency, 1},        {"stall", FaultKind::kStall, 1},
    {"not-ready", FaultKind::kNotReady, 1},     {"remove", FaultKind::kMediumRemoval, 1},
    {"hang", FaultKind::kHang, 1},              {"opc-fail", FaultKind::kOpcFailure, 0},
    {"unit-attention", FaultKind::kUnitAttention, 1}, {"reset", FaultKind::kReset, 1},
};

bool parse_number(std::string_view s, uint64_t& out) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

const char* fault_kind_name(FaultKind kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return k.name.data();
  return "?";
}

Result<std::vector<FaultSpec>> parse_fault_script(std::string_view text) {
  std::vector<FaultSpec> faults;
  std::istringstream in{std::string(text)};
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string word;
    if (!(words >> word)) continue;
    auto fail = [&](const std::string& why) {
      return Error(ErrorCode::kInvalidArgument,
                   "fault script line " + std::to_string(line_no) + ": " + why);
    };
    const Kind* kind = nullptr;
    for (const auto& k : kKinds)
      if (k.name == word) kind = &k;
    if (!kind) return fail("unknown fault kind '" + word + "'");
    FaultSpec f;
    f.kind = kind->kind;
    f.count = kind->default_count;
    if (f.kind == FaultKind::kUnitAttention) f.ascq = 0x00;  // 6/29/00 power on, reset
    while (words >> word) {
      size_t eq = word.find('=');
      if (eq == std::string::npos) return fail("expected key=value, got '" + word + "'");
      std::string_view key = std::string_view(word).substr(0, eq);
      std::string_view value = std::string_view(word).substr(eq + 1);
      uint64_t a = 0, b = 0;
      if (key == "lba") {
        size_t dash = value.find('-');
        if (!parse_number(value.substr(0, dash), a)) return fail("bad lba '" + std::string(value) + "'");
        b = a;
        if (dash != std::string_view::npos && !parse_number(value.substr(dash + 1), b))
          return fail("bad lba '" + std::string(value) + "'");
        if (b < a || b > 0xFFFFFFFFu) return fail("bad lba range '" + std::string(value) + "'");
        f.lba_first = static_cast<uint32_t>(a);
        f.lba_last = static_cast<uint32_t>(b);
        continue;
      }
      if (!parse_number(value, a)) return fail("bad number in '" + word + "'");
      if (key == "at") {
        f.at = std::chrono::milliseconds(a);
      } else if (key == "for" || key == "delay") {
        f.duration = std::chrono::milliseconds(a);
      } else if (key == "count") {
        f.count = static_cast<uint32_t>(a);
      } else if (key == "opcode") {
        if (a > 0xFF) return fail("opcode out of range");
        f.opcode = static_cast<uint8_t>(a);
      } else if (key == "ascq") {
        if (a > 0xFF) return fail("ascq out of range");
        f.ascq = static_cast<uint8_t>(a);
      } else if (key == "asc") {
        if (a > 0xFF) return fail("asc out of range");
        f.asc = static_cast<uint8_t>(a);
      } else if (key == "executed") {
        if (a > 1) return fail("executed is 0 or 1");
        f.executed = a == 1;
      } else {
        return fail("unknown key '" + std::string(key) + "'");
      }
    }
    bool needs_range = f.kind == FaultKind::kWriteError || f.kind == FaultKind::kReadError;
    if (needs_range && !f.lba_first) return fail(std::string(kind->name) + " needs lba=");
    bool needs_duration = f.kind == FaultKind::kLatency || f.kind == FaultKind::kStall ||
                          f.kind == FaultKind::kNotReady;
    if (needs_duration && f.duration.count() == 0) return fail(std::string(kind->name) + " needs for=/delay=");
    faults.push_back(f);
  }
  return faults;
}

Result<std::vector<FaultSpec>> load_fault_script(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error(ErrorCode::kIo, "cannot read fault script " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto faults = parse_fault_script(text.str());
  if (!faults.ok()) {
    Error e = std::move(faults).error();
    e.with_context(path);
    return e;
  }
  return faults;
}

}  // namespace discrec::device::sim
