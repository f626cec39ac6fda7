// Names of recordings, and the recordings an existing volume already holds.
#include <cstdio>
#include <optional>

#include "recorder/udf/volume_builder.h"

namespace discrec::recorder::udf {

namespace {

// Appends a run to a file's extents, merging it into the last one when they
// are of one kind and adjacent on disc (zero-filled runs share their blocks,
// so they never are).
void append_extent(std::vector<FileExtent>& extents, const FileExtent& x) {
  FileExtent* last = extents.empty() ? nullptr : &extents.back();
  if (last && last->recorded == x.recorded && uint64_t{last->lba} + last->sectors == x.lba) {
    last->sectors += x.sectors;
  } else if (x.sectors > 0) {
    extents.push_back(x);
  }
}

// "<stem>.part007.ts" → {"<stem>.ts", 7}; nullopt for any other name.
std::optional<std::pair<std::string, size_t>> split_part_name(const std::string& name) {
  const size_t stem_end = name.ends_with(".ts") ? name.size() - 3 : name.size();
  const size_t dot = name.rfind(".part", stem_end);
  if (dot == std::string::npos) return std::nullopt;
  const std::string digits = name.substr(dot + 5, stem_end - dot - 5);
  if (digits.size() < 3 || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::pair{name.substr(0, dot) + name.substr(stem_end), std::stoul(digits)};
}

// Joins each run of parts (build_volume's LongFileForm::kParts: consecutive,
// numbered from 1, at least two, every part but the last whole sectors) back
// into the file they were cut from.
std::vector<FileSpec> join_parts(std::vector<FileSpec> files) {
  std::vector<FileSpec> out;
  for (size_t i = 0; i < files.size();) {
    const auto first = split_part_name(files[i].name);
    size_t parts = 0;
    if (first && first->second == 1) {
      for (parts = 1; i + parts < files.size(); ++parts) {
        const auto next = split_part_name(files[i + parts].name);
        if (!next || next->first != first->first || next->second != parts + 1 ||
            files[i + parts - 1].size % kSectorSize != 0) {
          break;
        }
      }
    }
    if (parts < 2) {
      out.push_back(std::move(files[i++]));
      continue;
    }
    FileSpec whole = std::move(files[i]);
    whole.name = first->first;
    for (size_t k = 1; k < parts; ++k) {
      const FileSpec& part = files[i + k];
      for (const FileExtent& x : part.extents) append_extent(whole.extents, x);
      whole.size += part.size;
      whole.modified = part.modified;
    }
    out.push_back(std::move(whole));
    i += parts;
  }
  return out;
}

}  // namespace

Result<std::vector<FileSpec>> recordings_from(const ParsedVolume& volume) {
  const std::string prefix = "/" + std::string(kRecordingDirectory) + "/";
  std::vector<FileSpec> out;
  for (const ParsedFile& f : volume.files) {
    if (f.directory || f.path.rfind(prefix, 0) != 0 || f.path.find('/', prefix.size()) != std::string::npos) continue;
    FileSpec spec{f.path.substr(prefix.size()), f.size, f.created, f.modified, {}};
    uint64_t sectors = 0;
    for (const ParsedExtent& x : f.extents) {
      if (x.type != ExtentType::kRecorded && x.type != ExtentType::kAllocatedNotRecorded) {
        return Error(ErrorCode::kMalformedResponse, f.path + ": unallocated extent");
      }
      const uint32_t n = static_cast<uint32_t>((uint64_t{x.bytes} + kSectorSize - 1) / kSectorSize);
      // A zero-filled lost extent points at the start of a zero run (file_ads
      // never points into one), so only an exact start counts: a run's range
      // can hold real data on a layout whose run sits elsewhere (a DVD's data
      // from 320 lies inside where a BD's run would be; the fuzzer found it).
      // The run sits after the anchor's unit (ECC block or cluster), or at
      // block 5 on discs written before first_block existed; on a later
      // session at the same offset from its file set descriptor; after an
      // update (volume_update.h) just before the new file set descriptor.
      const auto zero_run_at = [&](uint64_t at) {
        return x.type == ExtentType::kRecorded && x.lba == at && n <= partition_block::kZeroCount;
      };
      bool zero_run = false;
      for (uint32_t first : {0u, 15u, 31u}) zero_run |= zero_run_at(kPartitionStart + first + partition_block::kZeros);
      zero_run |= zero_run_at(uint64_t{volume.partition_start} + volume.fsd_block + partition_block::kZeros);
      if (volume.fsd_block >= partition_block::kZeroCount) {
        zero_run |= zero_run_at(uint64_t{volume.partition_start} + volume.fsd_block - partition_block::kZeroCount);
      }
      append_extent(spec.extents, {x.lba, n, x.type == ExtentType::kRecorded && !zero_run});
      sectors += n;
    }
    if (sectors != (f.size + kSectorSize - 1) / kSectorSize) {
      return Error(ErrorCode::kMalformedResponse, f.path + ": extents do not match the size");
    }
    out.push_back(std::move(spec));
  }
  return join_parts(std::move(out));
}

namespace {
// Extents as the disc can tell them apart: adjacent runs of one kind merge, and
// zero-filled lost extents keep no location.
std::vector<FileExtent> normalized(const FileSpec& f, LostExtentEncoding encoding) {
  std::vector<FileExtent> out;
  for (FileExtent e : f.extents) {
    const bool placed = e.recorded || encoding == LostExtentEncoding::kAllocatedNotRecorded;
    if (!placed) e.lba = 0;
    FileExtent* last = out.empty() ? nullptr : &out.back();
    if (last && last->recorded == e.recorded && (!placed || uint64_t{last->lba} + last->sectors == e.lba)) {
      last->sectors += e.sectors;
    } else {
      out.push_back(e);
    }
  }
  return out;
}

int64_t micros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
}  // namespace

Status check_recordings(const ParsedVolume& disc, const VolumeSpec& expected) {
  auto found = recordings_from(disc);
  if (!found.ok()) return Error(ErrorCode::kDataLoss, found.error().message());
  const auto differ = [](const std::string& what) { return Error(ErrorCode::kDataLoss, "UDF read-back: " + what); };
  // The label as the logical volume descriptor holds it (cut to 126 characters).
  uint8_t field[128];
  put_dstring(field, 0, sizeof field, expected.label);
  if (disc.label != get_dstring(field, 0, sizeof field).value_or("")) return differ("label \"" + disc.label + "\"");
  if (found->size() != expected.files.size()) {
    return differ(std::to_string(found->size()) + " recordings, expected " + std::to_string(expected.files.size()));
  }
  for (size_t i = 0; i < found->size(); ++i) {
    const FileSpec& got = (*found)[i];
    const FileSpec& want = expected.files[i];
    const std::string who = "recording " + std::to_string(i) + " (" + want.name + "): ";
    if (got.name != want.name) return differ(who + "named \"" + got.name + "\"");
    if (got.size != want.size) return differ(who + "size " + std::to_string(got.size));
    if (micros(got.created) != micros(want.created) || micros(got.modified) != micros(want.modified)) {
      return differ(who + "times differ");
    }
    const auto a = normalized(got, expected.lost_extents);
    const auto b = normalized(want, expected.lost_extents);
    if (a.size() != b.size()) return differ(who + std::to_string(a.size()) + " extents, expected " + std::to_string(b.size()));
    for (size_t k = 0; k < a.size(); ++k) {
      if (a[k].lba != b[k].lba || a[k].sectors != b[k].sectors || a[k].recorded != b[k].recorded) {
        return differ(who + "extent " + std::to_string(k) + " at " + std::to_string(a[k].lba) + "+" +
                      std::to_string(a[k].sectors) + (a[k].recorded ? "" : " lost") + ", expected " +
                      std::to_string(b[k].lba) + "+" + std::to_string(b[k].sectors) + (b[k].recorded ? "" : " lost"));
      }
    }
  }
  return ok_status();
}

namespace {

// Recording ids are checked by the session (letters, digits, '-', '_'); a
// journal from elsewhere is not, so anything else still becomes '_'.
std::string sanitized_id(std::string_view id) {
  std::string out;
  for (char c : id.substr(0, 63)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    out += ok ? c : '_';
  }
  return out.empty() ? "rec" : out;
}

}  // namespace

std::string recording_file_name(TimePoint start, std::string_view recording_id, std::string_view title) {
  uint8_t ts[12];
  put_timestamp(ts, 0, start);
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "%04u-%02u-%02uT%02u-%02u-%02uZ_", get16(ts, 2), ts[4], ts[5], ts[6], ts[7],
                ts[8]);
  // The id makes the name unique on its disc whatever the titles are (ids
  // are unique per disc); the title gets what is left of 92 bytes, so the
  // whole name, even with a part number (".part00001", build_volume's
  // LongFileForm::kParts), stays within 127 characters, the most a 16-bit
  // CS0 name holds.
  constexpr size_t kIdAndTitleBytes = 92;
  std::string id = sanitized_id(recording_id);
  const size_t title_room = id.size() + 1 >= kIdAndTitleBytes ? 0 : kIdAndTitleBytes - id.size() - 1;
  std::string clean;
  for (size_t i = 0; i < title.size();) {
    const uint8_t c = static_cast<uint8_t>(title[i]);
    // A character outside the BMP (4 bytes) or any invalid byte becomes one '_'.
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    std::string_view ch = n && i + n <= title.size() ? title.substr(i, n) : std::string_view();
    if (n == 4 && !ch.empty()) {  // UDF 2.01 names hold only BMP characters
      if (clean.size() + 1 > title_room) break;
      clean += '_';
      i += 4;
      continue;
    }
    if (ch.empty() || !encode_cs0(ch).ok() || c < 0x20 || c == 0x7F ||
        std::string_view("/\\:*?\"<>|").find(static_cast<char>(c)) != std::string_view::npos) {
      if (clean.size() + 1 > title_room) break;
      clean += '_';
      i += 1;  // an invalid lead byte: its stray continuation bytes follow as '_' too
      continue;
    }
    if (clean.size() + ch.size() > title_room) break;
    clean += ch;
    i += ch.size();
  }
  return std::string(prefix) + id + (clean.empty() ? "" : "_" + clean) + ".ts";
}

Status check_volume_label(std::string_view label) {
  auto cs0 = encode_cs0(label);
  if (!cs0.ok())
    return Error(ErrorCode::kInvalidArgument,
                 "volume label must be UTF-8 characters of the Unicode BMP (no emoji or other characters above U+FFFF)");
  for (unsigned char c : label)
    if (c < 0x20 || c == 0x7F) return Error(ErrorCode::kInvalidArgument, "volume label contains a control character");
  // The Primary Volume Descriptor's volume identifier is a 32-byte d-string:
  // one compression byte, one length byte, 30 bytes of characters.
  if (cs0->size() > 31)
    return Error(ErrorCode::kInvalidArgument, "volume label \"" + std::string(label) +
                                                  "\" is too long: at most 30 characters of Latin-1, or 15 with "
                                                  "characters beyond it");
  return ok_status();
}

}  // namespace discrec::recorder::udf
