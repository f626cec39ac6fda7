// Names of recordings, and the recordings an existing volume already holds.
#include <cstdio>

#include "recorder/udf/volume_builder.h"

namespace discrec::recorder::udf {

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
      const bool zero_run = x.type == ExtentType::kRecorded && x.lba >= kPartitionStart + partition_block::kZeros &&
                            uint64_t{x.lba} + n <= kPartitionStart + partition_block::kZeros + partition_block::kZeroCount;
      const bool recorded = x.type == ExtentType::kRecorded && !zero_run;
      FileExtent* last = spec.extents.empty() ? nullptr : &spec.extents.back();
      if (last && !zero_run && last->recorded == recorded && uint64_t{last->lba} + last->sectors == x.lba) {
        last->sectors += n;
      } else if (n > 0) {
        spec.extents.push_back({x.lba, n, recorded});
      }
      sectors += n;
    }
    if (sectors != (f.size + kSectorSize - 1) / kSectorSize) {
      return Error(ErrorCode::kMalformedResponse, f.path + ": extents do not match the size");
    }
    out.push_back(std::move(spec));
  }
  return out;
}

std::string recording_file_name(TimePoint start, std::string_view title) {
  uint8_t ts[12];
  put_timestamp(ts, 0, start);
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "%04u-%02u-%02uT%02u-%02u-%02uZ_", get16(ts, 2), ts[4], ts[5], ts[6], ts[7],
                ts[8]);
  std::string clean;
  for (size_t i = 0; i < title.size();) {
    const uint8_t c = static_cast<uint8_t>(title[i]);
    // A character outside the BMP (4 bytes) or any invalid byte becomes one '_'.
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    std::string_view ch = n && i + n <= title.size() ? title.substr(i, n) : std::string_view();
    if (n == 4 && !ch.empty()) {  // UDF 2.01 names hold only BMP characters
      if (clean.size() + 1 > 100) break;
      clean += '_';
      i += 4;
      continue;
    }
    if (ch.empty() || !encode_cs0(ch).ok() || c < 0x20 || c == 0x7F ||
        std::string_view("/\\:*?\"<>|").find(static_cast<char>(c)) != std::string_view::npos) {
      if (clean.size() + 1 > 100) break;
      clean += '_';
      i += 1;  // an invalid lead byte: its stray continuation bytes follow as '_' too
      continue;
    }
    if (clean.size() + ch.size() > 100) break;
    clean += ch;
    i += ch.size();
  }
  return std::string(prefix) + clean + ".ts";
}

}  // namespace discrec::recorder::udf
