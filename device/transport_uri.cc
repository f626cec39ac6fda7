// open_transport(): the drive URI picks the backend.
#include <string>

#include "device/sim/sim_transport.h"
#include "device/transport.h"
#include "device/transport_backends.h"

namespace discrec::device {

Result<std::unique_ptr<Transport>> open_transport(std::string_view uri,
                                                  const TransportOptions& options) {
  if (uri.starts_with("sg://")) {
    std::string_view path = uri.substr(5);
    if (path.empty() || path.front() != '/')
      return Error(ErrorCode::kInvalidArgument,
                   "drive URI '" + std::string(uri) + "': expected sg:///dev/sgN or sg:///dev/srN");
    return open_sg_transport(path);
  }
  if (uri.starts_with("iscsi://")) return open_iscsi_transport(uri);
  if (uri.starts_with("sim://")) return sim::open_sim_transport(uri, options);
  if (uri.starts_with("sim-changer://")) return sim::open_sim_changer_transport(uri, options);
  if (uri.starts_with("win://")) return open_win_transport(uri);
  return Error(ErrorCode::kInvalidArgument,
               "drive URI '" + std::string(uri) +
                   "': unknown scheme (expected sg://, iscsi://, sim://, sim-changer:// or win://)");
}

}  // namespace discrec::device
