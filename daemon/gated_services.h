// The services as gRPC sees them: each call is identified (daemon/access.h),
// checked against the role its method needs at least, admitted by a
// CallSlot, and only then handed to the real handler (daemon/services.h).
//
// Why a layer of its own: every method passes one gate, so no handler can
// forget it, and a method added to the proto but not here answers
// UNIMPLEMENTED instead of running unchecked. Handlers add the finer checks
// that depend on the request (admin for formatting a disc with recordings,
// for top priorities) with ServiceContext::access.
//
// Thread-safety: as the handlers (gRPC calls them from its thread pool).
#pragma once

#include "daemon/access.h"
#include "daemon/services.h"

namespace discrec::daemon {

// The least role each method needs; the lead's handler checks may demand more.
// observe: reading state. control: changing it.
Role required_role(std::string_view method);

// The log line of a refused or failed call: who (never a secret), the
// method and why; rate-limited across all callers. The gate calls it for
// every call; the TCP token check (server.cc) for calls refused before it.
void log_refused_call(const std::string& who, std::string_view method, const grpc::Status& status);

class GatedDriveService final : public v1::DriveService::Service {
 public:
  GatedDriveService(Access& access, DriveServiceImpl& impl) : access_(access), impl_(impl) {}
  grpc::Status ListDrives(grpc::ServerContext*, const v1::ListDrivesRequest*, v1::ListDrivesResponse*) override;
  grpc::Status GetDrive(grpc::ServerContext*, const v1::GetDriveRequest*, v1::Drive*) override;
  grpc::Status PrepareDrive(grpc::ServerContext*, const v1::PrepareDriveRequest*, v1::PrepareDriveResponse*) override;
  grpc::Status LoadMedium(grpc::ServerContext*, const v1::LoadMediumRequest*, v1::Drive*) override;
  grpc::Status EjectMedium(grpc::ServerContext*, const v1::EjectMediumRequest*, v1::Drive*) override;
  grpc::Status FormatMedium(grpc::ServerContext*, const v1::FormatMediumRequest*, v1::Drive*) override;

 private:
  Access& access_;
  DriveServiceImpl& impl_;
};

class GatedRecordingService final : public v1::RecordingService::Service {
 public:
  GatedRecordingService(Access& access, RecordingServiceImpl& impl) : access_(access), impl_(impl) {}
  grpc::Status StartRecording(grpc::ServerContext*, const v1::StartRecordingRequest*, v1::Recording*) override;
  grpc::Status StopRecording(grpc::ServerContext*, const v1::StopRecordingRequest*, v1::Recording*) override;
  grpc::Status GetRecording(grpc::ServerContext*, const v1::GetRecordingRequest*, v1::Recording*) override;
  grpc::Status ListRecordings(grpc::ServerContext*, const v1::ListRecordingsRequest*,
                              v1::ListRecordingsResponse*) override;
  grpc::Status WatchRecording(grpc::ServerContext*, const v1::WatchRecordingRequest*,
                              grpc::ServerWriter<v1::Recording>*) override;
  grpc::Status UploadRecording(grpc::ServerContext*, grpc::ServerReader<v1::UploadRecordingRequest>*,
                               v1::Recording*) override;

 private:
  Access& access_;
  RecordingServiceImpl& impl_;
};

class GatedDiscService final : public v1::DiscService::Service {
 public:
  GatedDiscService(Access& access, DiscServiceImpl& impl) : access_(access), impl_(impl) {}
  grpc::Status FinalizeDisc(grpc::ServerContext*, const v1::FinalizeDiscRequest*,
                            grpc::ServerWriter<v1::DiscOperationProgress>*) override;
  grpc::Status VerifyDisc(grpc::ServerContext*, const v1::VerifyDiscRequest*,
                          grpc::ServerWriter<v1::DiscOperationProgress>*) override;
  grpc::Status DeleteFromDisc(grpc::ServerContext*, const v1::DeleteFromDiscRequest*,
                              v1::DiscOperationProgress*) override;

 private:
  Access& access_;
  DiscServiceImpl& impl_;
};

class GatedEventService final : public v1::EventService::Service {
 public:
  GatedEventService(Access& access, EventServiceImpl& impl) : access_(access), impl_(impl) {}
  grpc::Status WatchEvents(grpc::ServerContext*, const v1::WatchEventsRequest*,
                           grpc::ServerWriter<v1::Event>*) override;

 private:
  Access& access_;
  EventServiceImpl& impl_;
};

class GatedDaemonService final : public v1::DaemonService::Service {
 public:
  GatedDaemonService(Access& access, DaemonServiceImpl& impl) : access_(access), impl_(impl) {}
  grpc::Status GetDaemonInfo(grpc::ServerContext*, const v1::GetDaemonInfoRequest*, v1::DaemonInfo*) override;

 private:
  Access& access_;
  DaemonServiceImpl& impl_;
};

class GatedCatalogService final : public v1::CatalogService::Service {
 public:
  GatedCatalogService(Access& access, CatalogServiceImpl& impl) : access_(access), impl_(impl) {}
  grpc::Status ListCatalog(grpc::ServerContext*, const v1::ListCatalogRequest*, v1::ListCatalogResponse*) override;

 private:
  Access& access_;
  CatalogServiceImpl& impl_;
};

}  // namespace discrec::daemon
