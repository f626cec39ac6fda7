// Built instead of transport_iscsi.cc when DISCREC_WITH_ISCSI is OFF.
#include <string>

#include "device/transport_backends.h"

namespace discrec::device {

Result<std::unique_ptr<Transport>> open_iscsi_transport(std::string_view uri) {
  return Error(ErrorCode::kUnsupported,
               "drive URI '" + std::string(uri) + "': discrec was built without libiscsi");
}

}  // namespace discrec::device
