// Windows builds have no SG_IO: sg:// names a Linux device node.
#include <string>

#include "device/transport_backends.h"

namespace discrec::device {

Result<std::unique_ptr<Transport>> open_sg_transport(std::string_view path) {
  return Error(ErrorCode::kUnsupported,
               "sg://" + std::string(path) + ": SG_IO exists only on Linux; use win://CdRom<N> on Windows");
}

}  // namespace discrec::device
