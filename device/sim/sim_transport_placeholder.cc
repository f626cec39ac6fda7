// Replaced by the emulated drive implementation.
#include "device/sim/sim_transport.h"

namespace discrec::device::sim {
Result<std::unique_ptr<Transport>> open_sim_transport(std::string_view, const TransportOptions&) {
  return Error(ErrorCode::kUnsupported, "the emulated drive is not built yet");
}
}  // namespace discrec::device::sim
