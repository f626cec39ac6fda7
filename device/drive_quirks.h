// Drive quirks as data: known misbehaviour of particular drives, keyed by
// their INQUIRY vendor / product / revision, read from a small text file
// (daemon/drive-quirks.txt ships one; the daemon config may name another).
//
// The format, one entry per line:
//
//   # vendor | product          | revision | quirks                 | reason
//   HL-DT-ST | BD-RE  GGW-H20*  | *        | streaming-min-write=64 | libburn: ...
//
// - Blank lines and lines whose first non-blank character is '#' are
//   skipped. There are no trailing comments: the reason runs to the end of
//   the line.
// - Fields are separated by '|'; blanks around a field are dropped, blanks
//   inside it kept ("BD-RE  GGW-H20" has two, as the drive sends it).
// - A pattern is '*' (anything), text ending in '*' (a prefix) or text (the
//   whole field). INQUIRY's padding blanks are trimmed before matching;
//   letters match without regard to case. A pattern longer than its INQUIRY
//   field (8, 16, 4 characters) could never match and is an error.
// - Quirks are separated by ',' or blanks: `name` or `name=value`. Unknown
//   names, a missing or unexpected value, and a quirk named twice on one
//   line are errors.
// - The reason (where the misbehaviour is known from) is required: probe
//   shows it beside the quirk.
//
// Several entries may match one drive: all of them apply, in file order, and
// a quirk named again by a later matching entry replaces the earlier one
// (value, reason and line). So a general entry ("HL-DT-ST | *") can be
// refined by a more specific one written after it.
//
// Thread-safety: value types; parse and lookup are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace discrec::device {

enum class QuirkKind {
  // A streaming WRITE(12) shorter than `value` KiB goes to the drive without
  // the Streaming bit (libburn: the LG GGW-H20 writes junk when streaming
  // 32 KiB commands).
  kStreamingMinWrite,
  // Real-Time Streaming (feature 0x0107) is not to be trusted: probe()
  // reports it not current.
  kNoStreaming,
  // SEND OPC INFORMATION is not sent (drives that hang on it); send_opc()
  // answers kUnsupported.
  kNoOpc,
  // READ TRACK INFORMATION's next writable address is wrong (tgt keeps it at
  // 0 whatever was written): next_writable_address_at() answers kUnsupported
  // rather than pass it on.
  kNwaNotReported,
};

// "streaming-min-write", ... (the name in the file).
const char* quirk_name(QuirkKind kind);

// One quirk as it applies to a drive, with where it is known from.
struct DriveQuirk {
  QuirkKind kind = QuirkKind::kNoOpc;
  std::optional<uint32_t> value;  // for quirks that take one (streaming-min-write: KiB)
  std::string reason;             // the entry's reason text
  std::string source;             // "drive-quirks.txt:12"

  std::string name() const { return quirk_name(kind); }
  // "streaming-min-write=64".
  std::string to_string() const;
};

// One line of the file.
struct QuirkEntry {
  std::string vendor;    // patterns as written ("*", "HL-DT-ST", "GGW-H20*")
  std::string product;
  std::string revision;
  std::vector<DriveQuirk> quirks;
};

class QuirkTable {
 public:
  QuirkTable() = default;

  // Parses the text of a quirks file. `source_name` (a path) names the file
  // in errors ("drive-quirks.txt:7: unknown quirk 'no-opcc'") and in each
  // quirk's source. kInvalidArgument for the first bad line.
  static Result<QuirkTable> parse(std::string_view text, const std::string& source_name);

  // The quirks for a drive that answers INQUIRY with these strings (padding
  // blanks are trimmed here too), merged as the header describes, in the
  // order they were first named.
  std::vector<DriveQuirk> lookup(std::string_view vendor, std::string_view product,
                                 std::string_view revision) const;

  const std::vector<QuirkEntry>& entries() const { return entries_; }

 private:
  std::vector<QuirkEntry> entries_;
};

// The quirks that apply to one drive, as the Drive consults them.
struct DriveQuirks {
  std::vector<DriveQuirk> applied;

  const DriveQuirk* find(QuirkKind kind) const;
  bool has(QuirkKind kind) const { return find(kind) != nullptr; }
  // streaming-min-write in bytes, 0 without the quirk.
  uint32_t streaming_min_write_bytes() const;
};

}  // namespace discrec::device
