// Entry point of the emulated drive (sim://). See device/sim/README.md.
#pragma once

#include <memory>
#include <string_view>

#include "base/result.h"
#include "device/transport.h"

namespace discrec::device::sim {

// Opens (or creates) the emulated drive described by a sim:// URI.
Result<std::unique_ptr<Transport>> open_sim_transport(std::string_view uri,
                                                      const TransportOptions& options);

}  // namespace discrec::device::sim
