#include "daemon/gated_services.h"

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
    {"WatchEvents", Role::kObserve, "watching events", CallKind::kWatch},
    {"GetDaemonInfo", Role::kObserve, "reading daemon info", CallKind::kCall},
};

// A method missing from the table needs admin: fail closed.
constexpr MethodRule kUnlisted{"", Role::kAdmin, "this call", CallKind::kCall};

const MethodRule& rule_for(std::string_view method) {
  for (const auto& rule : kMethodRules)
    if (rule.method == method) return rule;
  return kUnlisted;
}

template <typename Handler>
grpc::Status gate(Access& access, grpc::ServerContext* context, std::string_view method, Handler&& handler) {
  const MethodRule& rule = rule_for(method);
  auto peer = access.identify(*context);
  if (!peer.ok()) return to_grpc_status(peer.error());
  // The role first: a refused call should not take a slot, even briefly.
  if (auto allowed = require(*peer, rule.role, rule.what); !allowed.ok()) return to_grpc_status(allowed);
  CallSlot slot(access, *peer, rule.kind);
  if (!slot.admitted()) return to_grpc_status(slot.status());
  return handler();
}

}  // namespace

Role required_role(std::string_view method) { return rule_for(method).role; }

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
GATED(GatedEventService, WatchEvents, v1::WatchEventsRequest, grpc::ServerWriter<v1::Event>)
GATED(GatedDaemonService, GetDaemonInfo, v1::GetDaemonInfoRequest, v1::DaemonInfo)

#undef GATED

// A client stream: the request is a reader, so no GATED line.
grpc::Status GatedRecordingService::UploadRecording(grpc::ServerContext* context,
                                                    grpc::ServerReader<v1::UploadRecordingRequest>* reader,
                                                    v1::Recording* response) {
  return gate(access_, context, "UploadRecording", [&] { return impl_.UploadRecording(context, reader, response); });
}

}  // namespace discrec::daemon
