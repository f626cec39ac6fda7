// Fuzzes the updater (udf/volume_update.h) on volumes it did not make: a
// valid random-access volume edited by the input (as udf_volume_reader_fuzz
// does: each 5-byte record sets a byte in a metadata sector and may re-seal
// the descriptor there) is read; whatever reads is planned for an update
// (add a recording in its free space, remove one). A planned update must
// never write where the volume or the added data lies, and the disc it
// leaves must read back listing the added recording.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "recorder/udf/volume_builder.h"
#include "recorder/udf/volume_reader.h"
#include "recorder/udf/volume_update.h"

using namespace discrec::recorder::udf;

namespace {

constexpr uint32_t kSectors = 6000;
constexpr uint32_t kUnit = 16;

std::vector<uint8_t> make_image() {
  auto layout = plan_layout({MediaKind::kRandomAccess, kSectors, kUnit, 4});
  const uint32_t d = layout->data_start;
  const TimePoint t = TimePoint(std::chrono::seconds(1'795'000'000));
  VolumeSpec spec{"FUZZ", t, t, {}, 0};
  spec.files.push_back({"a.ts", 4 * 2048, t, t, {{d, 4}}});
  std::vector<FileExtent> many;  // enough to chain allocation extent blocks
  for (uint32_t i = 0; i < 300; ++i) many.push_back({d + 16 + i, 1, i % 3 != 0});
  spec.files.push_back({"\xc3\xa9.ts", 300 * 2048 - 7, t, t, many});
  auto writes = build_volume(*layout, spec);
  std::vector<uint8_t> image(size_t{kSectors} * 2048);
  for (const SectorWrite& w : *writes) std::copy(w.bytes.begin(), w.bytes.end(), image.begin() + size_t{w.lba} * 2048);
  return image;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<uint8_t> pristine = make_image();
  std::vector<uint8_t> image = pristine;
  const size_t metadata_sectors = 1024;  // the edits land where the metadata is
  for (size_t i = 0; i + 5 <= size; i += 5) {
    const size_t lba = (data[i] | (data[i + 1] << 8)) % metadata_sectors;
    const size_t offset = (data[i + 2] | ((data[i + 3] & 0x07) << 8)) % 2048;
    std::span<uint8_t> s(image.data() + lba * 2048, 2048);
    s[offset] = data[i + 4];
    if (data[i + 3] & 0x80) {
      const size_t length = 16 + get16(s, 10);
      if (length <= 2048) finish_tag(s.first(length), static_cast<TagId>(get16(s, 0)), get32(s, 12));
    }
  }
  MemorySectorSource source(image);
  auto live = read_volume(source);
  if (!live.ok()) return 0;
  const auto runs = free_runs(*live, kUnit);
  (void)update_reserve_sectors(*live, total_sectors(runs), 2, kUnit);
  if (runs.empty()) return 0;
  const TimePoint t = TimePoint(std::chrono::seconds(1'796'000'000));
  VolumeChange change;
  change.when = t;
  change.add.push_back({"added.ts", 2 * 2048, t, t, {{runs.back().lba, 2}}});
  for (const ParsedFile& f : live->files)
    if (!f.directory && f.path.rfind("/DISCREC/", 0) == 0 && f.path.find('/', 9) == std::string::npos) {
      change.remove.push_back(f.path.substr(9));
      break;
    }
  auto update = plan_update(source, *live, change, kUnit);
  if (!update.ok()) return 0;
  // The prepare writes leave every sector the live volume uses as it was
  // (a unit they share with it carries its bytes unchanged): until the
  // switch, the old volume reads exactly as before.
  std::vector<SectorRun> live_sectors = live->metadata;
  for (const SectorRun& r : {live->main_vds, live->reserve_vds, live->integrity}) live_sectors.push_back(r);
  for (uint32_t a : live->anchors) live_sectors.push_back({a, 1});
  for (const ParsedFile& f : live->files)
    for (const ParsedExtent& x : f.extents) live_sectors.push_back({x.lba, (x.bytes + 2047) / 2048});
  for (const SectorWrite& p : update->prepare) {
    const uint64_t p_end = p.lba + p.bytes.size() / 2048;
    if (p_end * 2048 > image.size()) __builtin_trap();
    for (const SectorRun& r : live_sectors)
      for (uint64_t s = std::max<uint64_t>(p.lba, r.lba); s < std::min<uint64_t>(p_end, r.end()); ++s)
        if (!std::equal(p.bytes.begin() + (s - p.lba) * 2048, p.bytes.begin() + (s - p.lba + 1) * 2048,
                        image.begin() + s * 2048))
          __builtin_trap();
  }
  std::vector<SectorWrite> all = update->prepare;
  all.push_back(update->commit);
  all.insert(all.end(), update->complete.begin(), update->complete.end());
  for (const SectorWrite& w : all) {
    if (uint64_t{w.lba} * 2048 + w.bytes.size() > image.size()) __builtin_trap();
    std::copy(w.bytes.begin(), w.bytes.end(), image.begin() + size_t{w.lba} * 2048);
  }
  MemorySectorSource after_source(image);
  auto after = read_volume(after_source);
  if (!after.ok()) __builtin_trap();
  bool listed = false;
  for (const ParsedFile& f : after->files) listed |= f.path == "/DISCREC/added.ts";
  if (!listed) __builtin_trap();
  return 0;
}
