// Property fuzzing of the builder: whatever volume spec the input describes,
// build_volume either refuses it with an Error or builds a volume that
// read_volume reads back and check_recordings finds identical.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "recorder/udf/volume_builder.h"
#include "recorder/udf/volume_reader.h"

using namespace discrec::recorder::udf;

namespace {

// Reads the input front to back; zeros once it runs out.
struct Input {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
  uint8_t byte() { return pos < size ? data[pos++] : 0; }
  uint32_t u16() { return byte() | (byte() << 8); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  const bool random_access = in.byte() & 1;
  const uint32_t capacity = 2000 + in.u16() % 3000;
  auto layout = plan_layout({random_access ? MediaKind::kRandomAccess : MediaKind::kSequentialWriteOnce, capacity,
                             (in.byte() & 1) ? 32u : 16u, 1 + in.byte() % 8u});
  if (!layout.ok()) return 0;
  VolumeSpec spec;
  spec.lost_extents = (in.byte() & 1) ? LostExtentEncoding::kZeroFilled : LostExtentEncoding::kAllocatedNotRecorded;
  for (uint8_t n = in.byte() % 12; n > 0; --n) spec.label += static_cast<char>(in.byte());
  spec.created = TimePoint(std::chrono::seconds(1'700'000'000 + in.u16()));
  spec.finalized = spec.created + std::chrono::microseconds(in.u16());
  uint32_t next_lba = layout->data_start;
  for (uint8_t files = in.byte() % 10; files > 0; --files) {
    FileSpec f;
    for (uint8_t n = in.byte() % 24; n > 0; --n) f.name += static_cast<char>(in.byte());
    f.created = spec.created + std::chrono::seconds(in.u16());
    f.modified = f.created + std::chrono::microseconds(in.u16());
    uint64_t sectors = 0;
    for (uint8_t e = in.byte() % 6; e > 0; --e) {
      const uint8_t shape = in.byte();
      FileExtent x{next_lba + (shape & 3), 1u + in.byte() % 48u, (shape & 4) == 0};
      next_lba = x.lba + x.sectors;
      sectors += x.sectors;
      f.extents.push_back(x);
    }
    // Usually a consistent size; sometimes not, which must be refused.
    const uint32_t slack = in.byte();
    f.size = sectors * 2048 - (sectors > 0 ? slack % 2048 : 0) + ((slack & 0x80) && (slack & 1) ? 4096 : 0);
    spec.files.push_back(std::move(f));
  }
  spec.data_end = (in.byte() & 1) ? next_lba + in.byte() : 0;

  auto writes = build_volume(*layout, spec);
  if (!writes.ok()) return 0;
  std::vector<uint8_t> image(size_t{writes->back().lba} * 2048 + writes->back().bytes.size());
  for (const SectorWrite& w : *writes) {
    std::copy(w.bytes.begin(), w.bytes.end(), image.begin() + size_t{w.lba} * 2048);
  }
  MemorySectorSource source(image);
  auto volume = read_volume(source);
  if (!volume.ok()) abort();  // we built something we cannot read
  if (!check_recordings(*volume, spec).ok()) abort();
  return 0;
}
