// The Changer from a shell, for the mtx comparison (run_guest_mtx.sh):
//   changer_tool URI status             one line per element:
//                                       "<type> <address> full|empty [src=N] [tag=T]"
//   changer_tool URI move SOURCE DEST   MOVE MEDIUM by the first transport
// Exit 0 on success; errors go to stderr as the Changer words them.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "device/changer.h"

using discrec::device::Changer;
using discrec::device::ChangerElement;

namespace {

void print(const char* type, const ChangerElement& e) {
  std::printf("%s %u %s", type, e.address, e.full ? "full" : "empty");
  if (e.source_address) std::printf(" src=%u", *e.source_address);
  if (!e.volume_tag.empty()) std::printf(" tag=%s", e.volume_tag.c_str());
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s URI status | URI move SOURCE DEST\n", argv[0]);
    return 2;
  }
  auto changer = Changer::open(argv[1]);
  if (!changer.ok()) {
    std::fprintf(stderr, "%s\n", changer.error().to_string().c_str());
    return 1;
  }
  const std::string what = argv[2];
  auto inventory = (*changer)->read_element_status();
  if (!inventory.ok()) {
    std::fprintf(stderr, "%s\n", inventory.error().to_string().c_str());
    return 1;
  }
  if (what == "status") {
    for (const auto& e : inventory->transports) print("transport", e);
    for (const auto& e : inventory->slots) print("slot", e);
    for (const auto& e : inventory->import_export) print("import_export", e);
    for (const auto& e : inventory->drives) print("drive", e);
    return 0;
  }
  if (what == "move" && argc == 5) {
    auto transport = inventory->first_transport();
    if (!transport) {
      std::fprintf(stderr, "the changer reports no medium transport element\n");
      return 1;
    }
    auto moved = (*changer)->move_medium(*transport, static_cast<uint16_t>(std::atoi(argv[3])),
                                         static_cast<uint16_t>(std::atoi(argv[4])));
    if (!moved.ok()) {
      std::fprintf(stderr, "%s\n", moved.error().to_string().c_str());
      return 1;
    }
    return 0;
  }
  std::fprintf(stderr, "unknown command %s\n", what.c_str());
  return 2;
}
