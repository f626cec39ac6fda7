// Linux SG_IO backend (MMC.md §14). One fd per drive; the kernel enforces
// the per-command timeout and reports it through host/driver status.
#include <fcntl.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "device/transport_backends.h"

namespace discrec::device {
namespace {

// host_status / driver_status values (MMC.md §14.1).
constexpr uint16_t kHostTimeout = 0x03;
constexpr uint16_t kDriverTimeout = 0x06;

std::string errno_text(int e) { return std::strerror(e); }

class SgTransport final : public Transport {
 public:
  SgTransport(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~SgTransport() override { ::close(fd_); }

  std::string describe() const override { return "sg://" + path_; }

  Result<CommandResult> execute(const CommandRequest& request) override {
    if (request.cdb.size() < 6 || request.cdb.size() > 16)
      return Error(ErrorCode::kInvalidArgument, "SG_IO",
                   "CDB length " + std::to_string(request.cdb.size()) + " not in 6..16");
    CommandResult result;
    sg_io_hdr_t io{};
    io.interface_id = 'S';
    switch (request.direction) {
      case DataDirection::kNone: io.dxfer_direction = SG_DXFER_NONE; break;
      case DataDirection::kIn: io.dxfer_direction = SG_DXFER_FROM_DEV; break;
      case DataDirection::kOut: io.dxfer_direction = SG_DXFER_TO_DEV; break;
    }
    io.cmd_len = static_cast<unsigned char>(request.cdb.size());
    // SG_IO does not write the CDB, but its field is not const.
    io.cmdp = const_cast<unsigned char*>(request.cdb.data());
    io.dxfer_len = static_cast<unsigned int>(request.direction == DataDirection::kNone ? 0 : request.data.size());
    io.dxferp = io.dxfer_len ? request.data.data() : nullptr;
    io.mx_sb_len = static_cast<unsigned char>(result.sense.size());
    io.sbp = result.sense.data();
    io.timeout = static_cast<unsigned int>(std::max<int64_t>(1, request.timeout.count()));
    if (::ioctl(fd_, SG_IO, &io) < 0) {
      int e = errno;
      // EIO here usually means the transfer exceeds max_hw_sectors_kb.
      return Error(e == EINTR ? ErrorCode::kAborted : ErrorCode::kTransport, "SG_IO",
                   describe() + ": ioctl failed: " + errno_text(e));
    }
    if (io.host_status == kHostTimeout || (io.driver_status & 0x0F) == kDriverTimeout)
      return Error(ErrorCode::kTimeout, "SG_IO",
                   describe() + ": command timed out after " + std::to_string(io.timeout) + " ms");
    if (io.host_status != 0)
      return Error(ErrorCode::kTransport, "SG_IO",
                   describe() + ": host status " + std::to_string(io.host_status));
    result.status = io.status;
    result.sense_length = std::min<size_t>(io.sb_len_wr, result.sense.size());
    result.residual = io.resid > 0 ? static_cast<size_t>(io.resid) : 0;
    return result;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<Transport>> open_sg_transport(std::string_view path_view) {
  std::string path(path_view);
  // O_NONBLOCK: open without waiting for media; O_EXCL: no other writer
  // (and for /dev/sr*, not mounted).
  int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_EXCL | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    ErrorCode code = e == ENOENT ? ErrorCode::kNotFound : ErrorCode::kUnavailable;
    std::string hint = e == EBUSY ? " (in use by another program or mounted)" : "";
    return Error(code, "open " + path + ": " + errno_text(e) + hint);
  }
  int version = 0;
  if (::ioctl(fd, SG_GET_VERSION_NUM, &version) < 0) {
    // Both sg and sr (block-layer SG_IO) answer this; a plain file does not.
    int e = errno;
    ::close(fd);
    return Error(ErrorCode::kInvalidArgument, path + " is not a SCSI generic device: " + errno_text(e));
  }
  return std::unique_ptr<Transport>(new SgTransport(fd, std::move(path)));
}

}  // namespace discrec::device
