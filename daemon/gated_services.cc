#include "daemon/gated_services.h"

#include <chrono>
#include <mutex>

#include "daemon/log.h"
#include "daemon/status.h"

namespace discrec::daemon {
namespace {

struct MethodRule {
  std::string_view method;
  Role role;
  const char* what;  // for "<peer> has role observe; <what> needs control"
  CallKind kind;
};

// One line per RPC: the least role it needs and what capacity it takes.
constexpr MethodRule kMethodRules[] = {
    {"ListDrives", Role::kObserve, "listing drives", CallKind::kCall},
    {"GetDrive", Role::kObserve, "reading a drive", CallKind::kCall},
    {"PrepareDrive", Role::kControl, "preparing a drive", CallKind::kCall},
    {"LoadMedium", Role::kControl, "loading a disc", CallKind::kCall},
    {"EjectMedium", Role::kControl, "ejecting a disc", CallKind::kCall},
    {"FormatMedium", Role::kControl, "formatting", CallKind::kCall},
    {"StartRecording", Role::kControl, "starting a recording", CallKind::kCall},
    {"StopRecording", Role::kControl, "stopping a recording", CallKind::kCall},
    {"GetRecording", Role::kObserve, "reading a recording", CallKind::kCall},
    {"ListRecordings", Role::kObserve, "listing recordings", CallKind::kCall},
    {"WatchRecording", Role::kObserve, "watching a recording", CallKind::kWatch},
    {"UploadRecording", Role::kControl, "recording an upload", CallKind::kCall},
    {"FinalizeDisc", Role::kControl, "finalizing a disc", CallKind::kCall},
    {"VerifyDisc", Role::kControl, "verifying a disc", CallKind::kCall},
    // As destructive as a format (which takes kControl with force): a DVR's
    // operator frees room on its disc.
    {"DeleteFromDisc", Role::kControl, "deleting from a disc", CallKind::kCall},
    {"WatchEvents", Role::kObserve, "watching events", CallKind::kWatch},
    {"GetDaemonInfo", Role::kObserve, "reading daemon info", CallKind::kCall},
    {"ListCatalog", Role::kObserve, "listing the catalog", CallKind::kCall},
};

// A method missing from the table needs admin: fail closed.
constexpr MethodRule kUnlisted{"", Role::kAdmin, "this call", CallKind::kCall};

const MethodRule& rule_for(std::string_view method) {
  for (const auto& rule : kMethodRules)
    if (rule.method == method) return rule;
  return kUnlisted;
}

// Every refused or failed call gets a log line: who (uid or token role,
// never the token), what, and why. A client hammering the daemon with bad
// calls must not flood the log, so at most kBurst lines per kWindow; the
// rest are counted and the count logged when lines are allowed again.
class RefusalLog {
 public:
  void log(const std::string& who, std::string_view method, const grpc::Status& status) {
    constexpr auto kWindow = std::chrono::seconds(10);
    constexpr int kBurst = 50;
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    if (now - window_start_ >= kWindow) {
      if (suppressed_ > 0)
        log_warning("access: " + std::to_string(suppressed_) + " more refused or failed call(s) not logged");
      window_start_ = now;
      logged_ = 0;
      suppressed_ = 0;
    }
    if (logged_ >= kBurst) {
      ++suppressed_;
      return;
    }
    ++logged_;
    log_warning("access: " + std::string(refusal(status.error_code()) ? "refused " : "failed ") +
                std::string(method) + " from " + who + ": " + code_name(status.error_code()) + ": " +
                printable(status.error_message()));
  }

 private:
  // What the caller asked for wrongly or may not have, as opposed to what
  // went wrong in the daemon.
  static bool refusal(grpc::StatusCode code) {
    switch (code) {
      case grpc::StatusCode::INVALID_ARGUMENT:
      case grpc::StatusCode::NOT_FOUND:
      case grpc::StatusCode::ALREADY_EXISTS:
      case grpc::StatusCode::PERMISSION_DENIED:
      case grpc::StatusCode::UNAUTHENTICATED:
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
      case grpc::StatusCode::FAILED_PRECONDITION:
      case grpc::StatusCode::OUT_OF_RANGE:
      case grpc::StatusCode::UNAVAILABLE:
        return true;
      default:
        return false;
    }
  }
  static std::string code_name(grpc::StatusCode code) {
    switch (code) {
      case grpc::StatusCode::INVALID_ARGUMENT: return "bad argument";
      case grpc::StatusCode::NOT_FOUND: return "not found";
      case grpc::StatusCode::ALREADY_EXISTS: return "already exists";
      case grpc::StatusCode::PERMISSION_DENIED: return "permission denied";
      case grpc::StatusCode::UNAUTHENTICATED: return "unauthenticated";
      case grpc::StatusCode::RESOURCE_EXHAUSTED: return "admission refused";
      case grpc::StatusCode::FAILED_PRECONDITION: return "not now";
      case grpc::StatusCode::OUT_OF_RANGE: return "out of range";
      case grpc::StatusCode::UNAVAILABLE: return "unavailable";
      default: return "error " + std::to_string(static_cast<int>(code));
    }
  }
  // Messages may quote what a client sent (a title, a name): one line, and
  // not a page of it. Source URLs in them are already redacted.
  static std::string printable(const std::string& message) {
    constexpr size_t kMax = 400;
    std::string out = message.substr(0, kMax);
    for (char& c : out)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    if (message.size() > kMax) out += "...";
    return out;
  }

  std::mutex mutex_;
  std::chrono::steady_clock::time_point window_start_{};  // GUARDED_BY(mutex_)
  int logged_ = 0;                                         // GUARDED_BY(mutex_)
  uint64_t suppressed_ = 0;                                // GUARDED_BY(mutex_)
};

RefusalLog& refusal_log() {
  static RefusalLog log;
  return log;
}

std::string describe(const Peer& peer) { return peer.description + " (role " + role_name(peer.role) + ")"; }

template <typename Handler>
grpc::Status gate(Access& access, grpc::ServerContext* context, std::string_view method, Handler&& handler) {
  const MethodRule& rule = rule_for(method);
  auto peer = access.identify(*context);
  auto refused = [&](const std::string& who, grpc::Status status) {
    // A client that cancels or goes away is not refused.
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) refusal_log().log(who, method, status);
    return status;
  };
  if (!peer.ok()) return refused("unidentified peer " + context->peer(), to_grpc_status(peer.error()));
  // The role first: a refused call should not take a slot, even briefly.
  if (auto allowed = require(*peer, rule.role, rule.what); !allowed.ok())
    return refused(describe(*peer), to_grpc_status(allowed));
  CallSlot slot(access, *peer, rule.kind);
  if (!slot.admitted()) return refused(describe(*peer), to_grpc_status(slot.status()));
  return refused(describe(*peer), handler());
}

}  // namespace

Role required_role(std::string_view method) { return rule_for(method).role; }

void log_refused_call(const std::string& who, std::string_view method, const grpc::Status& status) {
  refusal_log().log(who, method, status);
}

#define GATED(Service, Method, Request, Response)                                                      \
  grpc::Status Service::Method(grpc::ServerContext* context, const Request* request, Response* response) { \
    return gate(access_, context, #Method, [&] { return impl_.Method(context, request, response); });    \
  }

GATED(GatedDriveService, ListDrives, v1::ListDrivesRequest, v1::ListDrivesResponse)
GATED(GatedDriveService, GetDrive, v1::GetDriveRequest, v1::Drive)
GATED(GatedDriveService, PrepareDrive, v1::PrepareDriveRequest, v1::PrepareDriveResponse)
GATED(GatedDriveService, LoadMedium, v1::LoadMediumRequest, v1::Drive)
GATED(GatedDriveService, EjectMedium, v1::EjectMediumRequest, v1::Drive)
GATED(GatedDriveService, FormatMedium, v1::FormatMediumRequest, v1::Drive)
GATED(GatedRecordingService, StartRecording, v1::StartRecordingRequest, v1::Recording)
GATED(GatedRecordingService, StopRecording, v1::StopRecordingRequest, v1::Recording)
GATED(GatedRecordingService, GetRecording, v1::GetRecordingRequest, v1::Recording)
GATED(GatedRecordingService, ListRecordings, v1::ListRecordingsRequest, v1::ListRecordingsResponse)
GATED(GatedRecordingService, WatchRecording, v1::WatchRecordingRequest, grpc::ServerWriter<v1::Recording>)
GATED(GatedDiscService, FinalizeDisc, v1::FinalizeDiscRequest, grpc::ServerWriter<v1::DiscOperationProgress>)
GATED(GatedDiscService, VerifyDisc, v1::VerifyDiscRequest, grpc::ServerWriter<v1::DiscOperationProgress>)
GATED(GatedDiscService, DeleteFromDisc, v1::DeleteFromDiscRequest, v1::DiscOperationProgress)
GATED(GatedEventService, WatchEvents, v1::WatchEventsRequest, grpc::ServerWriter<v1::Event>)
GATED(GatedDaemonService, GetDaemonInfo, v1::GetDaemonInfoRequest, v1::DaemonInfo)
GATED(GatedCatalogService, ListCatalog, v1::ListCatalogRequest, v1::ListCatalogResponse)

#undef GATED

// A client stream: the request is a reader, so no GATED line.
grpc::Status GatedRecordingService::UploadRecording(grpc::ServerContext* context,
                                                    grpc::ServerReader<v1::UploadRecordingRequest>* reader,
                                                    v1::Recording* response) {
  return gate(access_, context, "UploadRecording", [&] { return impl_.UploadRecording(context, reader, response); });
}

}  // namespace discrec::daemon
