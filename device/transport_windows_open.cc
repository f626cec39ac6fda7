// win:// URIs, adapter limits and opening the two raw handles.
#include <cctype>
#include <string>

#include "device/transport_backends.h"
#include "device/transport_windows.h"
#include "device/windows/cdrom_ioctl.h"
#include "device/windows/win32_error.h"

namespace discrec::device {

Result<WinDriveUri> parse_win_uri(std::string_view uri) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument,
                 "drive URI '" + std::string(uri) + "': " + why +
                     " (expected win://CdRom<N> or win://<letter>: with optional ?streaming=ioctl|spti)");
  };
  if (!uri.starts_with("win://")) return bad("not a win:// URI");
  std::string_view rest = uri.substr(6);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  WinDriveUri out;
  auto lower = [](std::string_view s) {
    std::string l(s);
    for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return l;
  };
  if (lower(rest.substr(0, std::min<size_t>(5, rest.size()))) == "cdrom" && rest.size() > 5 && rest.size() <= 8) {
    for (char c : rest.substr(5))
      if (!std::isdigit(static_cast<unsigned char>(c))) return bad("CdRom must be followed by a number");
  } else if (!(rest.size() == 2 && std::isalpha(static_cast<unsigned char>(rest[0])) && rest[1] == ':')) {
    return bad("unknown device '" + std::string(rest) + "'");
  }
  out.device_path = "\\\\.\\" + std::string(rest);
  out.name = "win://" + std::string(rest);
  if (!query.empty()) {
    if (query == "streaming=ioctl") {
      out.streaming_path = WinStreamingPath::kStreamingHandle;
    } else if (query == "streaming=spti") {
      out.streaming_path = WinStreamingPath::kPassThrough;
      out.name += "?streaming=spti";
    } else {
      return bad("unknown option '" + std::string(query) + "'");
    }
  }
  return out;
}

WinAdapterLimits query_adapter_limits(windows::DeviceIo& io, windows::NativeHandle handle,
                                      uint32_t* win32_error) {
  STORAGE_PROPERTY_QUERY query{};
  query.PropertyId = StorageAdapterProperty;
  query.QueryType = PropertyStandardQuery;
  STORAGE_ADAPTER_DESCRIPTOR adapter{};
  uint32_t returned = 0;
  uint32_t e = io.control(handle, IOCTL_STORAGE_QUERY_PROPERTY, &query, sizeof query, &adapter,
                          sizeof adapter, &returned);
  if (win32_error) *win32_error = e;
  WinAdapterLimits limits;
  // Older ports return a shorter descriptor; take only what arrived.
  if (e == 0 && returned >= offsetof(STORAGE_ADAPTER_DESCRIPTOR, AlignmentMask) + sizeof(adapter.AlignmentMask)) {
    limits.max_transfer_length = adapter.MaximumTransferLength;
    limits.alignment_mask = adapter.AlignmentMask;
  }
  return limits;
}

Result<std::unique_ptr<Transport>> open_win_transport(std::string_view uri) {
  ASSIGN_OR_RETURN(WinDriveUri parsed, parse_win_uri(uri));
  auto open = [&](const char* role) -> Result<HANDLE> {
    HANDLE h = CreateFileA(parsed.device_path.c_str(), GENERIC_READ | GENERIC_WRITE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL,
                           nullptr);
    if (h == INVALID_HANDLE_VALUE) {
      Error e = windows::win32_error(GetLastError(), "CreateFile",
                                     "opening " + parsed.device_path + " (" + role + " handle)");
      if (e.code() == ErrorCode::kFailedPrecondition)
        e.with_context("SCSI pass-through needs an elevated (administrator) process");
      return e;
    }
    return h;
  };
  ASSIGN_OR_RETURN(HANDLE metadata, open("metadata"));
  auto streaming = open("streaming");
  if (!streaming.ok()) {
    CloseHandle(metadata);
    return std::move(streaming).error();
  }
  auto io = std::make_shared<windows::Win32DeviceIo>();
  WinTransportConfig config;
  config.name = parsed.name;
  config.metadata = metadata;
  config.streaming = *streaming;
  config.streaming_path = parsed.streaming_path;
  config.limits = query_adapter_limits(*io, metadata);
  return make_win_transport(std::move(io), std::move(config));
}

}  // namespace discrec::device
