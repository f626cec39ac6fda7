// libiscsi backend (MMC.md §16). Commands go through scsi_create_task with
// our own CDB (libiscsi's READ/WRITE(12) builders cannot set the MMC
// Streaming bit) and the async API driven by our own poll loop, so every
// command — and the login — has a hard deadline: a hung target gives
// kTimeout, never a hang. After a timeout or a connection loss the session
// is dropped and the next command logs in again.
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "device/transport_backends.h"

namespace discrec::device {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kInitiator = "iqn.2026-01.org.discrec:initiator";
constexpr std::chrono::seconds kLoginTimeout{10};

struct Completion {
  bool done = false;
  int status = 0;
};

extern "C" void on_complete(struct iscsi_context*, int status, void*, void* private_data) {
  auto* c = static_cast<Completion*>(private_data);
  c->done = true;
  c->status = status;
}

class IscsiTransport final : public Transport {
 public:
  explicit IscsiTransport(std::string uri) : uri_(std::move(uri)) {}
  ~IscsiTransport() override { disconnect(); }

  std::string describe() const override { return uri_; }

  Status connect() {
    disconnect();
    ctx_ = iscsi_create_context(kInitiator);
    if (!ctx_) return Error(ErrorCode::kInternal, "iSCSI", "iscsi_create_context failed");
    struct iscsi_url* url = iscsi_parse_full_url(ctx_, uri_.c_str());
    if (!url) {
      std::string why = iscsi_get_error(ctx_);
      disconnect();
      return Error(ErrorCode::kInvalidArgument, "iSCSI", "bad URI '" + uri_ + "': " + why);
    }
    iscsi_set_targetname(ctx_, url->target);
    iscsi_set_session_type(ctx_, ISCSI_SESSION_NORMAL);
    iscsi_set_header_digest(ctx_, ISCSI_HEADER_DIGEST_NONE_CRC32C);
    // We reconnect ourselves, under our own deadline.
    iscsi_set_noautoreconnect(ctx_, 1);
    lun_ = url->lun;
    std::string portal = url->portal;
    iscsi_destroy_url(url);
    Completion done;
    if (iscsi_full_connect_async(ctx_, portal.c_str(), lun_, on_complete, &done) != 0) {
      std::string why = iscsi_get_error(ctx_);
      disconnect();
      return Error(ErrorCode::kUnavailable, "iSCSI login", uri_ + ": " + why);
    }
    Status waited = wait(done, Clock::now() + kLoginTimeout, "iSCSI login");
    if (!waited.ok()) {
      disconnect();
      // Refused or dropped during login: the target is not there (yet).
      const Error& e = waited.error();
      if (e.code() == ErrorCode::kTransport) return Error(ErrorCode::kUnavailable, e.command(), e.message());
      return waited;
    }
    if (done.status != 0) {
      std::string why = iscsi_get_error(ctx_);
      disconnect();
      return Error(ErrorCode::kUnavailable, "iSCSI login", uri_ + ": " + why);
    }
    return ok_status();
  }

  Result<CommandResult> execute(const CommandRequest& request) override {
    if (!ctx_) RETURN_IF_ERROR(connect());
    if (request.cdb.empty() || request.cdb.size() > 16)
      return Error(ErrorCode::kInvalidArgument, "iSCSI", "bad CDB length");
    int dir = SCSI_XFER_NONE;
    size_t length = 0;
    if (request.direction == DataDirection::kIn) {
      dir = SCSI_XFER_READ;
      length = request.data.size();
    } else if (request.direction == DataDirection::kOut) {
      dir = SCSI_XFER_WRITE;
      length = request.data.size();
    }
    unsigned char cdb[16];
    std::memcpy(cdb, request.cdb.data(), request.cdb.size());
    struct scsi_task* task =
        scsi_create_task(static_cast<int>(request.cdb.size()), cdb, dir, static_cast<int>(length));
    if (!task) return Error(ErrorCode::kInternal, "iSCSI", "scsi_create_task failed");
    // Data-In lands directly in the caller's buffer (no copy).
    if (dir == SCSI_XFER_READ && length > 0 &&
        scsi_task_add_data_in_buffer(task, static_cast<int>(length), request.data.data()) != 0) {
      scsi_free_scsi_task(task);
      return Error(ErrorCode::kInternal, "iSCSI", "scsi_task_add_data_in_buffer failed");
    }
    struct iscsi_data out {};
    if (dir == SCSI_XFER_WRITE) {
      out.size = length;
      out.data = request.data.data();
    }
    Completion done;
    if (iscsi_scsi_command_async(ctx_, lun_, task, on_complete, dir == SCSI_XFER_WRITE ? &out : nullptr,
                                 &done) != 0) {
      std::string why = iscsi_get_error(ctx_);
      scsi_free_scsi_task(task);
      disconnect();
      return Error(ErrorCode::kTransport, "iSCSI", uri_ + ": cannot queue command: " + why);
    }
    Status waited = wait(done, Clock::now() + request.timeout, "iSCSI");
    if (!waited.ok()) {
      // The target may still answer this task later; drop the session so
      // that answer can never be taken for the next command's.
      disconnect();  // runs on_complete (cancelled) for the task
      scsi_free_scsi_task(task);
      return std::move(waited).error();
    }
    Result<CommandResult> result = finish(task, done.status);
    scsi_free_scsi_task(task);
    return result;
  }

 private:
  Result<CommandResult> finish(struct scsi_task* task, int status) {
    if (status == SCSI_STATUS_TIMEOUT) {
      disconnect();
      return Error(ErrorCode::kTimeout, "iSCSI", uri_ + ": command timed out");
    }
    if (status == SCSI_STATUS_CANCELLED)
      return Error(ErrorCode::kAborted, "iSCSI", uri_ + ": command cancelled");
    if (status == SCSI_STATUS_ERROR || status < 0) {
      std::string why = iscsi_get_error(ctx_);
      disconnect();
      return Error(ErrorCode::kTransport, "iSCSI", uri_ + ": " + why);
    }
    CommandResult r;
    r.status = static_cast<uint8_t>(task->status);
    if (task->status == SCSI_STATUS_CHECK_CONDITION && task->datain.data && task->datain.size > 2) {
      // The sense segment is a 2-byte length then the sense bytes.
      size_t announced = static_cast<size_t>(task->datain.data[0] << 8 | task->datain.data[1]);
      size_t n = std::min({announced, static_cast<size_t>(task->datain.size - 2), r.sense.size()});
      std::memcpy(r.sense.data(), task->datain.data + 2, n);
      r.sense_length = n;
    }
    if (task->residual_status == SCSI_RESIDUAL_UNDERFLOW) r.residual = task->residual;
    return r;
  }

  // Services the connection until `c` completes or `deadline` passes.
  Status wait(Completion& c, Clock::time_point deadline, const char* what) {
    while (!c.done) {
      auto now = Clock::now();
      if (now >= deadline)
        return Error(ErrorCode::kTimeout, what, uri_ + ": no answer before the deadline");
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
      struct pollfd pfd {};
      pfd.fd = iscsi_get_fd(ctx_);
      pfd.events = static_cast<short>(iscsi_which_events(ctx_));
      int ready = ::poll(&pfd, 1, static_cast<int>(std::clamp<int64_t>(left, 1, 1000)));
      if (ready < 0) {
        if (errno == EINTR) continue;
        return Error(ErrorCode::kTransport, what, uri_ + ": poll: " + std::strerror(errno));
      }
      if (iscsi_service(ctx_, ready == 0 ? 0 : pfd.revents) < 0) {
        std::string why = iscsi_get_error(ctx_);
        disconnect();
        return Error(ErrorCode::kTransport, what, uri_ + ": connection lost: " + why);
      }
    }
    return ok_status();
  }

  void disconnect() {
    if (ctx_) {
      iscsi_destroy_context(ctx_);
      ctx_ = nullptr;
    }
  }

  std::string uri_;
  struct iscsi_context* ctx_ = nullptr;
  int lun_ = 0;
};

}  // namespace

Result<std::unique_ptr<Transport>> open_iscsi_transport(std::string_view uri) {
  auto transport = std::make_unique<IscsiTransport>(std::string(uri));
  RETURN_IF_ERROR(transport->connect());
  return std::unique_ptr<Transport>(std::move(transport));
}

}  // namespace discrec::device
