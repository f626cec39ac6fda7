// The transport backends open_transport() chooses from. Each lives in its
// own file, picked by CMake (a platform or an optional library decides which
// file is compiled, never an #ifdef inside the logic).
//
// Thread-safety: see transport.h; every backend is thread-compatible.
#pragma once

#include <memory>
#include <string_view>

#include "base/result.h"
#include "device/transport.h"

namespace discrec::device {

// Linux SG_IO on /dev/sg* or /dev/sr*, opened O_RDWR|O_NONBLOCK|O_EXCL
// (transport_sg_linux.cc). `path` is the device node.
Result<std::unique_ptr<Transport>> open_sg_transport(std::string_view path);

// libiscsi (transport_iscsi.cc), or kUnsupported when built without it
// (transport_iscsi_disabled.cc). `uri` is the whole iscsi://host:port/iqn/lun.
Result<std::unique_ptr<Transport>> open_iscsi_transport(std::string_view uri);

// Windows Cdrom.sys (transport_windows*.cc; see transport_windows.h), or
// kUnsupported on other systems (transport_windows_disabled.cc). `uri` is
// the whole win://CdRom0 or win://E:.
Result<std::unique_ptr<Transport>> open_win_transport(std::string_view uri);

}  // namespace discrec::device
