// libFuzzer target for one device/smc parser, chosen at build time by
// DISCREC_FUZZ_SMC_PARSER (see tests/fuzz/device.cmake).
#include <cstddef>
#include <cstdint>
#include <span>

#include "device/smc/parse.h"
#include "device/smc/sense.h"

using namespace discrec::device;

namespace {

enum Parser { kElementStatus, kElementAddressAssignment };

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  switch (DISCREC_FUZZ_SMC_PARSER) {
    case kElementStatus: {
      auto total = smc::element_status_total_length(in);
      auto r = smc::parse_element_status(in);
      if (!r.ok()) break;
      // Accepted reports are what they claim: the announced count, every
      // element of one of the four types, each descriptor at least 12 bytes.
      if (!total.ok() || r->elements.size() * 12 > *total) __builtin_trap();
      for (const auto& e : r->elements) {
        auto code = static_cast<uint8_t>(e.type);
        if (code < 1 || code > 4 || e.volume_tag.size() > 32) __builtin_trap();
        (void)smc::describe_sense({0x05, e.asc, e.ascq});
        (void)element_type_name(e.type);
      }
      break;
    }
    case kElementAddressAssignment: {
      auto r = smc::parse_element_address_assignment(in);
      if (r.ok()) (void)r->range(ElementType::kStorage).contains(0xFFFF);
      break;
    }
  }
  return 0;
}
