// The transport backends open_transport() chooses from. Each lives in its
// own file, picked by CMake (a platform or an optional library decides which
// file is compiled, never an #ifdef inside the logic).
//
// Thread-safety: see transport.h; every backend is thread-compatible.
#pragma once

#include <memory>
#include <string_view>

#include "device/result.h"
#include "device/transport.h"

namespace discrec::device {

// Linux SG_IO on /dev/sg* or /dev/sr*, opened O_RDWR|O_NONBLOCK|O_EXCL
// (transport_sg_linux.cc). `path` is the device node.
Result<std::unique_ptr<Transport>> open_sg_transport(std::string_view path);

// libiscsi (transport_iscsi.cc), or kUnsupported when built without it
// (transport_iscsi_disabled.cc). `uri` is the whole iscsi://host:port/iqn/lun.
Result<std::unique_ptr<Transport>> open_iscsi_transport(std::string_view uri);

}  // namespace discrec::device
