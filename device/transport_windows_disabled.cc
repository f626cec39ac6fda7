// Built instead of transport_windows*.cc on systems other than Windows.
#include <string>

#include "device/transport_backends.h"

namespace discrec::device {

Result<std::unique_ptr<Transport>> open_win_transport(std::string_view uri) {
  return Error(ErrorCode::kUnsupported,
               "drive URI '" + std::string(uri) + "': win:// drives exist only on Windows builds");
}

}  // namespace discrec::device
