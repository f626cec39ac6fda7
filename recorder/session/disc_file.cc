#include "recorder/session/disc_file.h"

#include <algorithm>
#include <vector>

#include "recorder/ts_sink.h"

namespace discrec::recorder {

udf::FileSpec disc_file_for(const RecordingExtents& extents, const std::string& name, udf::TimePoint created,
                            udf::TimePoint modified, uint32_t block_size) {
  struct Piece {
    uint64_t offset;
    uint64_t bytes;
    udf::FileExtent extent;
  };
  std::vector<Piece> pieces;
  for (const auto& r : extents.recorded) pieces.push_back({r.file_offset, r.length, {r.lba, r.blocks, true}});
  for (const auto& l : extents.lost)
    pieces.push_back({l.file_offset, uint64_t{l.blocks} * block_size, {l.lba, l.blocks, false}});
  std::sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) { return a.offset < b.offset; });
  udf::FileSpec file;
  file.name = name;
  file.created = created;
  file.modified = modified;
  for (const auto& p : pieces) file.size = std::max(file.size, p.offset + p.bytes);
  file.size -= file.size % kTsPacketSize;
  uint64_t sectors_needed = (file.size + block_size - 1) / block_size;
  uint64_t sectors = 0;
  for (const auto& p : pieces) {
    if (sectors >= sectors_needed) break;
    udf::FileExtent e = p.extent;
    e.sectors = static_cast<uint32_t>(std::min<uint64_t>(e.sectors, sectors_needed - sectors));
    if (e.sectors == 0) continue;
    sectors += e.sectors;
    file.extents.push_back(e);
  }
  return file;
}

}  // namespace discrec::recorder
