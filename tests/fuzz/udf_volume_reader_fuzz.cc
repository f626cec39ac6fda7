// Fuzzes read_volume and read_file_bytes. Random bytes would never get past the
// anchor at sector 256, so the input edits a valid discrec volume instead: each
// 5-byte record picks a metadata sector, an offset and a value, and says whether
// to re-seal the descriptor there (so parsing continues past the tag check).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "recorder/udf/volume_builder.h"
#include "recorder/udf/volume_reader.h"

using namespace discrec::recorder::udf;

namespace {

std::vector<uint8_t> make_image() {
  auto layout = plan_layout({MediaKind::kSequentialWriteOnce, 100'000, 16, 4});
  const uint32_t d = layout->data_start;
  const TimePoint t = TimePoint(std::chrono::seconds(1'795'000'000));
  VolumeSpec spec{"FUZZ", t, t, {}, 0};
  spec.files.push_back({"a.ts", 4 * 2048, t, t, {{d, 4}}});
  std::vector<FileExtent> many;  // enough to chain allocation extent blocks
  for (uint32_t i = 0; i < 300; ++i) many.push_back({d + 4 + i, 1, i % 3 != 0});
  spec.files.push_back({"\xc3\xa9.ts", 300 * 2048 - 7, t, t, many});
  auto writes = build_volume(*layout, spec);
  std::vector<uint8_t> image(size_t{writes->back().lba} * 2048 + writes->back().bytes.size());
  for (const SectorWrite& w : *writes) std::copy(w.bytes.begin(), w.bytes.end(), image.begin() + size_t{w.lba} * 2048);
  return image;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<uint8_t> pristine = make_image();
  std::vector<uint8_t> image = pristine;
  const size_t sectors = image.size() / 2048;
  for (size_t i = 0; i + 5 <= size; i += 5) {
    const size_t lba = (data[i] | (data[i + 1] << 8)) % sectors;
    const size_t offset = (data[i + 2] | ((data[i + 3] & 0x07) << 8)) % 2048;
    std::span<uint8_t> s(image.data() + lba * 2048, 2048);
    s[offset] = data[i + 4];
    if (data[i + 3] & 0x80) {
      const size_t length = 16 + get16(s, 10);
      if (length <= 2048) finish_tag(s.first(length), static_cast<TagId>(get16(s, 0)), get32(s, 12));
    }
  }
  if (size % 5 != 0) image.resize(image.size() - (size % 5) * 977);  // truncated media too
  MemorySectorSource source(image);
  auto volume = read_volume(source);
  if (!volume.ok()) return 0;
  std::vector<uint8_t> buf(4096);
  for (const ParsedFile& f : volume->files) {
    if (f.directory) continue;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(f.size, buf.size()));
    (void)read_file_bytes(source, f, 0, std::span<uint8_t>(buf).first(n));
  }
  return 0;
}
