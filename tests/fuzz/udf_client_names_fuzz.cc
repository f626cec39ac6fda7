// What clients name ends up on disc: titles become file names, labels the
// volume identifier. Whatever the bytes, a name made from a title and a
// recording id is valid, fits a file identifier and differs for different
// ids; and a label check_volume_label accepts is one build_volume accepts —
// so no client input reaching the journal can make a finalize fail.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "recorder/udf/ecma167.h"
#include "recorder/udf/volume_builder.h"

using namespace discrec::recorder::udf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // [title length][title][label...]
  const size_t title_size = std::min<size_t>(data[0], size - 1);
  const std::string title(reinterpret_cast<const char*>(data + 1), title_size);
  const std::string label(reinterpret_cast<const char*>(data + 1 + title_size), size - 1 - title_size);
  const TimePoint start(std::chrono::seconds(1700000000 + static_cast<int64_t>(size)));

  const std::string a = recording_file_name(start, "rec001", title);
  const std::string b = recording_file_name(start, "rec002", title);
  if (a == b) std::abort();
  auto cs0 = encode_cs0(a);
  if (!cs0.ok() || cs0->size() > 255) std::abort();
  if (a.find('/') != std::string::npos || a.find('\0') != std::string::npos) std::abort();

  if (check_volume_label(label).ok()) {
    auto layout = plan_layout({MediaKind::kRandomAccess, 4000, 32, 4});
    if (!layout.ok()) std::abort();
    VolumeSpec spec;
    spec.label = label;
    spec.created = start;
    spec.finalized = start;
    if (!build_volume(*layout, spec).ok()) std::abort();
  }
  return 0;
}
