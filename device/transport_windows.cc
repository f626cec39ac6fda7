// The Windows transport's routing: CDB -> Cdrom.sys I/O control, streaming
// handle, or SCSI pass-through (see transport_windows.h for the table).
#include "device/transport_windows.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include "device/windows/cdrom_ioctl.h"
#include "device/windows/win32_error.h"

namespace discrec::device {
namespace {

using windows::DeviceIo;
using windows::NativeHandle;
using windows::win32_error;

constexpr uint32_t kBlock = 2048;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// SPTD followed by its sense buffer, passed as both input and output.
struct PassThrough {
  SCSI_PASS_THROUGH_DIRECT sptd;
  ULONG align;  // keeps sense off the end of the struct's tail padding
  UCHAR sense[64];
};

// A buffer aligned for the adapter, for callers whose memory is not.
struct AlignedBuffer {
  AlignedBuffer(size_t size, size_t alignment) : alignment(alignment) {
    data = static_cast<uint8_t*>(::operator new(size, std::align_val_t{alignment}));
  }
  ~AlignedBuffer() { ::operator delete(data, std::align_val_t{alignment}); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  uint8_t* data;
  size_t alignment;
};

class WinTransport final : public Transport {
 public:
  WinTransport(std::shared_ptr<DeviceIo> io, WinTransportConfig config)
      : io_(std::move(io)), config_(std::move(config)) {}
  ~WinTransport() override {
    io_->close(config_.streaming);
    io_->close(config_.metadata);
  }

  std::string describe() const override { return config_.name; }

  Result<CommandResult> execute(const CommandRequest& request) override {
    const auto& cdb = request.cdb;
    if (cdb.size() < 6 || cdb.size() > 16)
      return Error(ErrorCode::kInvalidArgument, "SCSI_PASS_THROUGH_DIRECT",
                   "CDB length " + std::to_string(cdb.size()) + " not in 6..16");
    if (request.direction != DataDirection::kNone && request.data.size() > 0xFFFFFFFFu)
      return Error(ErrorCode::kInvalidArgument, "DeviceIoControl", "transfer larger than 4 GiB");
    switch (cdb[0]) {
      case 0x46:
        if (cdb.size() >= 10 && (cdb[1] & 0x03) != 0x03 && request.direction == DataDirection::kIn &&
            data_in_length(request, be16(&cdb[7])) >= 8)
          return get_configuration(request);
        break;
      case 0x54:
        if (cdb.size() >= 10 && (cdb[1] & 0x01) && be16(&cdb[7]) == 0) return send_opc(request);
        break;
      case 0xB6:
        if (cdb.size() >= 12 && cdb[8] == 0x00 && be16(&cdb[9]) >= 28 &&
            request.direction == DataDirection::kOut && request.data.size() >= 28)
          return set_streaming(request);
        break;
      case 0xBB:
        if (cdb.size() >= 12 && (cdb[1] & 0x03) <= 1) return set_cd_speed(request);
        break;
      case 0xAC:
        if (cdb.size() >= 12 && request.direction == DataDirection::kIn) {
          bool type0 = cdb[10] == 0x00 && ((cdb[1] >> 3) & 0x03) == 0x02 && (cdb[1] & 0x03) != 0x03;
          if ((type0 || cdb[10] == 0x03) && request.data.size() >= 8) return get_performance(request);
        }
        break;
      case 0xA8:
      case 0xAA:
        if (cdb.size() == 12 && (cdb[10] & 0x80)) {
          if (config_.streaming_path == WinStreamingPath::kPassThrough)
            return pass_through(config_.streaming, request);
          return streaming_io(request);
        }
        break;
      default:
        break;
    }
    return pass_through(config_.metadata, request);
  }

 private:
  static size_t data_in_length(const CommandRequest& r, size_t allocation) {
    return std::min(allocation, r.data.size());
  }

  // An I/O control that returns data into the caller's buffer. Cdrom.sys
  // copies METHOD_BUFFERED output itself, so no alignment is needed.
  Result<CommandResult> control_in(const char* command, uint32_t code, const void* in, uint32_t in_size,
                                   const CommandRequest& request, size_t length) {
    uint32_t returned = 0;
    uint32_t e = io_->control(config_.metadata, code, in, in_size, request.data.data(),
                              static_cast<uint32_t>(length), &returned);
    if (e != 0) return win32_error(e, command, describe());
    CommandResult r;
    r.residual = request.data.size() - std::min<size_t>(returned, request.data.size());
    return r;
  }

  Result<CommandResult> control_none(const char* command, uint32_t code, const void* in, uint32_t in_size) {
    uint32_t returned = 0;
    uint32_t e = io_->control(config_.metadata, code, in, in_size, nullptr, 0, &returned);
    if (e != 0) return win32_error(e, command, describe());
    return CommandResult{};
  }

  Result<CommandResult> get_configuration(const CommandRequest& request) {
    GET_CONFIGURATION_IOCTL_INPUT in{};
    in.Feature = static_cast<FEATURE_NUMBER>(be16(&request.cdb[2]));
    in.RequestType = request.cdb[1] & 0x03;  // RT: same numbering as SCSI_GET_CONFIGURATION_REQUEST_TYPE_*
    return control_in("GET CONFIGURATION", IOCTL_CDROM_GET_CONFIGURATION, &in, sizeof in, request,
                      data_in_length(request, be16(&request.cdb[7])));
  }

  Result<CommandResult> send_opc(const CommandRequest& request) {
    CDROM_SIMPLE_OPC_INFO in{};
    in.RequestType = SimpleOpcInfo;
    in.Exclude0 = (request.cdb[2] & 0x01) ? TRUE : FALSE;
    in.Exclude1 = (request.cdb[2] & 0x02) ? TRUE : FALSE;
    return control_none("SEND OPC INFORMATION", IOCTL_CDROM_SEND_OPC_INFORMATION, &in, sizeof in);
  }

  Result<CommandResult> set_streaming(const CommandRequest& request) {
    const uint8_t* pd = request.data.data();
    CDROM_SET_STREAMING s{};
    s.RequestType = CdromSetStreaming;
    s.ReadSize = be32(pd + 12);
    s.ReadTime = be32(pd + 16);
    s.WriteSize = be32(pd + 20);
    s.WriteTime = be32(pd + 24);
    s.StartLba = be32(pd + 4);
    s.EndLba = be32(pd + 8);
    s.RotationControl = static_cast<WRITE_ROTATION>((pd[0] >> 3) & 0x03);
    s.RestoreDefaults = (pd[0] & 0x04) ? TRUE : FALSE;
    s.SetExact = (pd[0] & 0x02) ? TRUE : FALSE;
    s.RandomAccess = (pd[0] & 0x01) ? TRUE : FALSE;
    // Not persistent: a new medium gets the drive's defaults until discrec
    // sets streaming again, exactly as a SET STREAMING CDB behaves.
    s.Persistent = FALSE;
    uint32_t returned = 0;
    uint32_t e = io_->control(config_.metadata, IOCTL_CDROM_SET_SPEED, &s, sizeof s, nullptr, 0, &returned);
    if (e == 0) return CommandResult{};
    if (e != ERROR_INVALID_FUNCTION && e != ERROR_NOT_SUPPORTED)
      return win32_error(e, "SET STREAMING", describe() + ": CdromSetStreaming");
    // The drive or Cdrom.sys does not take SET STREAMING: ask for the same
    // speeds the older way (SET CD SPEED).
    CDROM_SET_SPEED speed{};
    speed.RequestType = CdromSetSpeed;
    speed.ReadSpeed = s.RestoreDefaults ? 0xFFFF : kbps(s.ReadSize, s.ReadTime);
    speed.WriteSpeed = s.RestoreDefaults ? 0xFFFF : kbps(s.WriteSize, s.WriteTime);
    speed.RotationControl = s.RotationControl;
    uint32_t e2 = io_->control(config_.metadata, IOCTL_CDROM_SET_SPEED, &speed, sizeof speed, nullptr, 0, &returned);
    if (e2 != 0)
      return win32_error(e2, "SET STREAMING",
                         describe() + ": CdromSetStreaming refused (" + windows::win32_error_text(e) +
                             "), CdromSetSpeed fallback failed");
    return CommandResult{};
  }

  // Size (kB) per Time (ms) as SET CD SPEED kB/s; 0xFFFF means "maximum".
  static USHORT kbps(uint32_t size, uint32_t time_ms) {
    if (time_ms == 0) return 0xFFFF;
    uint64_t v = uint64_t{size} * 1000 / time_ms;
    return static_cast<USHORT>(std::min<uint64_t>(v, 0xFFFF));
  }

  Result<CommandResult> set_cd_speed(const CommandRequest& request) {
    CDROM_SET_SPEED s{};
    s.RequestType = CdromSetSpeed;
    s.ReadSpeed = be16(&request.cdb[2]);
    s.WriteSpeed = be16(&request.cdb[4]);
    s.RotationControl = static_cast<WRITE_ROTATION>(request.cdb[1] & 0x03);
    return control_none("SET CD SPEED", IOCTL_CDROM_SET_SPEED, &s, sizeof s);
  }

  Result<CommandResult> get_performance(const CommandRequest& request) {
    const auto& cdb = request.cdb;
    uint16_t max_descriptors = be16(&cdb[8]);
    // Cdrom.sys derives Maximum Number of Descriptors from the output size.
    size_t descriptor = 16;
    CDROM_PERFORMANCE_REQUEST perf{};
    CDROM_WRITE_SPEED_REQUEST speed{};
    const void* in = &speed;
    uint32_t in_size = sizeof speed;
    if (cdb[10] == 0x00) {
      perf.RequestType = CdromPerformanceRequest;
      perf.PerformanceType = (cdb[1] & 0x04) ? CdromWritePerformance : CdromReadPerformance;
      switch (cdb[1] & 0x03) {
        case 0: perf.Exceptions = CdromNominalPerformance; break;
        case 1: perf.Exceptions = CdromEntirePerformanceList; break;
        default: perf.Exceptions = CdromPerformanceExceptionsOnly; descriptor = 6; break;
      }
      perf.Tolerance = Cdrom10Nominal20Exceptions;
      perf.StaringLba = be32(&cdb[2]);
      in = &perf;
      in_size = sizeof perf;
    } else {
      speed.RequestType = CdromWriteSpeedRequest;
    }
    size_t length = std::min<size_t>({request.data.size(), 8 + size_t{max_descriptors} * descriptor, 65535});
    return control_in("GET PERFORMANCE", IOCTL_CDROM_GET_PERFORMANCE, in, in_size, request, length);
  }

  // Real-time READ(12)/WRITE(12): ReadFile/WriteFile on the streaming handle.
  Result<CommandResult> streaming_io(const CommandRequest& request) {
    const bool write = request.cdb[0] == 0xAA;
    const char* command = write ? "WRITE(12)" : "READ(12)";
    const uint64_t lba = be32(&request.cdb[2]);
    const uint64_t bytes = uint64_t{be32(&request.cdb[6])} * kBlock;
    const DataDirection expected = write ? DataDirection::kOut : DataDirection::kIn;
    if (request.direction != expected || bytes > request.data.size() || (write && bytes != request.data.size()))
      return Error(ErrorCode::kInvalidArgument, command,
                   "transfer length " + std::to_string(bytes) + " bytes does not match the " +
                       std::to_string(request.data.size()) + "-byte buffer");
    if (bytes > 0xFFFFFFFFu)
      return Error(ErrorCode::kInvalidArgument, command, "transfer larger than 4 GiB");
    RETURN_IF_ERROR(enable_streaming(write));
    uint32_t done = 0;
    uint32_t e = write ? io_->write_at(config_.streaming, lba * kBlock, request.data.data(),
                                       static_cast<uint32_t>(bytes), &done)
                       : io_->read_at(config_.streaming, lba * kBlock, request.data.data(),
                                      static_cast<uint32_t>(bytes), &done);
    if (e != 0)
      return win32_error(e, command, describe() + ": streaming " + (write ? "WriteFile" : "ReadFile") +
                                         " at LBA " + std::to_string(lba));
    CommandResult r;
    r.residual = request.data.size() - std::min<size_t>(done, request.data.size());
    return r;
  }

  Status enable_streaming(bool write) {
    const int wanted = write ? CdromStreamingEnableForWriteOnly : CdromStreamingEnableForReadOnly;
    if (streaming_mode_ == wanted || streaming_mode_ == CdromStreamingEnableForReadWrite) return ok_status();
    // A handle that already streams the other direction needs both.
    const int mode = streaming_mode_ == 0 ? wanted : CdromStreamingEnableForReadWrite;
    CDROM_STREAMING_CONTROL control{};
    control.RequestType = static_cast<STREAMING_CONTROL_REQUEST_TYPE>(mode);
    uint32_t returned = 0;
    uint32_t e = io_->control(config_.streaming, IOCTL_CDROM_ENABLE_STREAMING, &control, sizeof control,
                              nullptr, 0, &returned);
    if (e == ERROR_INVALID_FUNCTION)
      return Error(ErrorCode::kUnsupported, "IOCTL_CDROM_ENABLE_STREAMING",
                   describe() + ": Cdrom.sys refused real-time streaming " +
                       (write ? "writes (needs feature 0x0107 current with SW=1)"
                              : "reads (needs feature 0x0107 current)") +
                       ": " + windows::win32_error_text(e));
    if (e != 0) return win32_error(e, "IOCTL_CDROM_ENABLE_STREAMING", describe());
    streaming_mode_ = mode;
    return ok_status();
  }

  Result<CommandResult> pass_through(NativeHandle handle, const CommandRequest& request) {
    const size_t length = request.direction == DataDirection::kNone ? 0 : request.data.size();
    if (config_.limits.max_transfer_length != 0 && length > config_.limits.max_transfer_length)
      return Error(ErrorCode::kInvalidArgument, "SCSI_PASS_THROUGH_DIRECT",
                   describe() + ": " + std::to_string(length) + "-byte transfer exceeds the adapter's " +
                       std::to_string(config_.limits.max_transfer_length) + "-byte MaximumTransferLength");
    uint8_t* buffer = length ? request.data.data() : nullptr;
    std::unique_ptr<AlignedBuffer> bounce;
    const uintptr_t mask = config_.limits.alignment_mask;
    if (buffer && (reinterpret_cast<uintptr_t>(buffer) & mask) != 0) {
      bounce = std::make_unique<AlignedBuffer>(length, std::max<size_t>(mask + 1, alignof(std::max_align_t)));
      if (request.direction == DataDirection::kOut) std::memcpy(bounce->data, buffer, length);
      buffer = bounce->data;
    }
    PassThrough p{};
    p.sptd.Length = sizeof(SCSI_PASS_THROUGH_DIRECT);
    p.sptd.CdbLength = static_cast<UCHAR>(request.cdb.size());
    p.sptd.SenseInfoLength = sizeof p.sense;
    p.sptd.DataIn = request.direction == DataDirection::kIn    ? SCSI_IOCTL_DATA_IN
                    : request.direction == DataDirection::kOut ? SCSI_IOCTL_DATA_OUT
                                                               : SCSI_IOCTL_DATA_UNSPECIFIED;
    p.sptd.DataTransferLength = static_cast<ULONG>(length);
    // Whole seconds, rounded up: a short timeout must not become "none".
    p.sptd.TimeOutValue = static_cast<ULONG>(std::max<int64_t>(1, (request.timeout.count() + 999) / 1000));
    p.sptd.DataBuffer = buffer;
    p.sptd.SenseInfoOffset = offsetof(PassThrough, sense);
    std::memcpy(p.sptd.Cdb, request.cdb.data(), request.cdb.size());
    uint32_t returned = 0;
    uint32_t e = io_->control(handle, IOCTL_SCSI_PASS_THROUGH_DIRECT, &p, sizeof p, &p, sizeof p, &returned);
    if (e != 0) return win32_error(e, "SCSI_PASS_THROUGH_DIRECT", describe());
    CommandResult r;
    r.status = p.sptd.ScsiStatus;
    const size_t transferred = std::min<size_t>(p.sptd.DataTransferLength, length);
    if (bounce && request.direction == DataDirection::kIn) std::memcpy(request.data.data(), bounce->data, transferred);
    r.residual = length - transferred;
    if (r.status != kStatusGood) {
      r.sense_length = std::min<size_t>({p.sptd.SenseInfoLength, sizeof p.sense, r.sense.size()});
      std::memcpy(r.sense.data(), p.sense, r.sense_length);
    }
    return r;
  }

  std::shared_ptr<DeviceIo> io_;
  WinTransportConfig config_;
  int streaming_mode_ = 0;  // STREAMING_CONTROL_REQUEST_TYPE last enabled; 0 = never
};

}  // namespace

std::unique_ptr<Transport> make_win_transport(std::shared_ptr<windows::DeviceIo> io, WinTransportConfig config) {
  return std::make_unique<WinTransport>(std::move(io), std::move(config));
}

}  // namespace discrec::device
