// libFuzzer target for one device/mmc parser, chosen at build time by
// DISCREC_FUZZ_PARSER (see tests/fuzz/device.cmake): each parser gets its own
// binary so coverage feedback stays focused on it.
#include <cstddef>
#include <cstdint>
#include <span>

#include "device/mmc/parse.h"
#include "device/mmc/sense.h"

using namespace discrec::device::mmc;

namespace {

enum Parser {
  kSense,
  kInquiry,
  kConfiguration,
  kWriteSpeed,
  kPerformance,
  kDiscInformation,
  kTrackInformation,
  kBufferCapacity,
  kReadCapacity,
  kFormatCapacities,
  kEventStatus,
  kModePage05,
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  switch (DISCREC_FUZZ_PARSER) {
    case kSense: {
      auto r = parse_sense(in);
      if (r.ok()) (void)describe_sense(r->code);
      break;
    }
    case kInquiry: (void)parse_inquiry(in); break;
    case kConfiguration: {
      (void)configuration_total_length(in);
      auto r = parse_configuration(in);
      if (r.ok()) (void)r->find(0x0107);
      break;
    }
    case kWriteSpeed: (void)parse_write_speed_descriptors(in); break;
    case kPerformance: (void)parse_performance_descriptors(in); break;
    case kDiscInformation: (void)parse_disc_information(in); break;
    case kTrackInformation: (void)parse_track_information(in); break;
    case kBufferCapacity:
      (void)parse_buffer_capacity(in, false);
      (void)parse_buffer_capacity(in, true);
      break;
    case kReadCapacity: (void)parse_read_capacity(in); break;
    case kFormatCapacities: (void)parse_format_capacities(in); break;
    case kEventStatus: (void)parse_event_status(in); break;
    case kModePage05: {
      auto r = parse_mode_page_05(in);
      // What we would send back must be buildable from anything we parsed.
      if (r.ok()) (void)mode_select_page_05(*r);
      break;
    }
  }
  return 0;
}
