// The discrec.v1 gRPC services: thin handlers that validate names and sizes,
// call the Recorder and convert results. Watch streams read published
// snapshots and event queues; they never hold a lock the writer needs.
//
// Thread-safety: thread-safe (gRPC calls handlers from its thread pool).
#pragma once

#include <atomic>
#include <chrono>

#include "daemon/config.h"
#include "discrec/v1/catalog.grpc.pb.h"
#include "discrec/v1/daemon.grpc.pb.h"
#include "discrec/v1/discs.grpc.pb.h"
#include "discrec/v1/drives.grpc.pb.h"
#include "discrec/v1/events.grpc.pb.h"
#include "discrec/v1/recordings.grpc.pb.h"
#include "recorder/session/recorder.h"

namespace discrec::daemon {

class Access;

// Shared by the services: the recorder, limits, and the count of open
// streams (a hostile client opening thousands is refused, not served).
struct ServiceContext {
  ServiceContext(recorder::Recorder& r, const Config& c)
      : recorder(r), config(c), max_string_bytes(c.max_string_bytes), max_watch_streams(c.max_watch_streams) {}

  recorder::Recorder& recorder;
  // As the daemon started: a reload (SIGHUP) does not change it. What a
  // reload may change while calls run is below, and in Access.
  const Config& config;
  std::atomic<uint32_t> max_string_bytes;
  std::atomic<uint32_t> max_watch_streams;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<uint32_t> open_streams{0};
  std::atomic<bool> shutting_down{false};
  // Who is calling (daemon/access.h): set by Server::start before the first
  // call. Handlers that need more than their method's least role (gated in
  // daemon/gated_services.cc) do:
  //   ASSIGN_OR_RETURN_GRPC(Peer peer, ctx_.access->identify(*context));
  //   RETURN_GRPC_IF_ERROR(require(peer, Role::kAdmin, "formatting a disc that holds recordings"));
  Access* access = nullptr;
};

class DriveServiceImpl final : public v1::DriveService::Service {
 public:
  explicit DriveServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
  grpc::Status ListDrives(grpc::ServerContext*, const v1::ListDrivesRequest*, v1::ListDrivesResponse*) override;
  grpc::Status GetDrive(grpc::ServerContext*, const v1::GetDriveRequest*, v1::Drive*) override;
  grpc::Status PrepareDrive(grpc::ServerContext*, const v1::PrepareDriveRequest*, v1::PrepareDriveResponse*) override;
  grpc::Status LoadMedium(grpc::ServerContext*, const v1::LoadMediumRequest*, v1::Drive*) override;
  grpc::Status EjectMedium(grpc::ServerContext*, const v1::EjectMediumRequest*, v1::Drive*) override;
  grpc::Status FormatMedium(grpc::ServerContext*, const v1::FormatMediumRequest*, v1::Drive*) override;

 private:
  ServiceContext& ctx_;
};

class RecordingServiceImpl final : public v1::RecordingService::Service {
 public:
  explicit RecordingServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
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
  ServiceContext& ctx_;
};

class DiscServiceImpl final : public v1::DiscService::Service {
 public:
  explicit DiscServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
  grpc::Status FinalizeDisc(grpc::ServerContext*, const v1::FinalizeDiscRequest*,
                            grpc::ServerWriter<v1::DiscOperationProgress>*) override;
  grpc::Status VerifyDisc(grpc::ServerContext*, const v1::VerifyDiscRequest*,
                          grpc::ServerWriter<v1::DiscOperationProgress>*) override;
  grpc::Status DeleteFromDisc(grpc::ServerContext*, const v1::DeleteFromDiscRequest*,
                              v1::DiscOperationProgress*) override;

 private:
  ServiceContext& ctx_;
};

class EventServiceImpl final : public v1::EventService::Service {
 public:
  explicit EventServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
  grpc::Status WatchEvents(grpc::ServerContext*, const v1::WatchEventsRequest*,
                           grpc::ServerWriter<v1::Event>*) override;

 private:
  ServiceContext& ctx_;
};

class DaemonServiceImpl final : public v1::DaemonService::Service {
 public:
  explicit DaemonServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
  grpc::Status GetDaemonInfo(grpc::ServerContext*, const v1::GetDaemonInfoRequest*, v1::DaemonInfo*) override;

 private:
  ServiceContext& ctx_;
};

class CatalogServiceImpl final : public v1::CatalogService::Service {
 public:
  explicit CatalogServiceImpl(ServiceContext& ctx) : ctx_(ctx) {}
  grpc::Status ListCatalog(grpc::ServerContext*, const v1::ListCatalogRequest*, v1::ListCatalogResponse*) override;

 private:
  ServiceContext& ctx_;
};

}  // namespace discrec::daemon
