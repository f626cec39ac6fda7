// Entry points of the emulated drive (sim://) and of the emulated library
// (sim-changer://). See device/sim/README.md.
#pragma once

#include <memory>
#include <string_view>

#include "base/result.h"
#include "device/transport.h"

namespace discrec::device::sim {

// Opens (or creates) the emulated drive described by a sim:// URI.
Result<std::unique_ptr<Transport>> open_sim_transport(std::string_view uri,
                                                      const TransportOptions& options);

// Opens (or creates) the emulated library of a sim-changer:// URI: its
// changer, or with drive=N the emulated drive at data transfer element N.
Result<std::unique_ptr<Transport>> open_sim_changer_transport(std::string_view uri,
                                                              const TransportOptions& options);

}  // namespace discrec::device::sim
