#include "daemon/services.h"

#include <google/protobuf/util/time_util.h>

#include <thread>

#include "daemon/convert.h"
#include "daemon/names.h"
#include "daemon/status.h"

namespace discrec::daemon {
namespace {

using google::protobuf::util::TimeUtil;

#define RETURN_GRPC_IF_ERROR(expr)                                \
  do {                                                            \
    auto _s = (expr);                                             \
    if (!_s.ok()) return to_grpc_status(std::move(_s).error());   \
  } while (0)

#define ASSIGN_OR_RETURN_GRPC(lhs, expr) \
  ASSIGN_OR_RETURN_GRPC_IMPL(DISCREC_CONCAT(_grpc_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_GRPC_IMPL(tmp, lhs, expr)              \
  auto tmp = (expr);                                            \
  if (!tmp.ok()) return to_grpc_status(std::move(tmp).error()); \
  lhs = std::move(tmp).value()

Status check_length(const ServiceContext& ctx, const std::string& field, const std::string& value) {
  if (value.size() > ctx.config.max_string_bytes)
    return Error(ErrorCode::kInvalidArgument, field + " is " + std::to_string(value.size()) +
                                                  " bytes; the limit is " + std::to_string(ctx.config.max_string_bytes));
  return {};
}

// Counts an open server stream; refuses once the configured limit is reached.
class StreamSlot {
 public:
  explicit StreamSlot(ServiceContext& ctx) : ctx_(ctx) {
    ok_ = ctx_.open_streams.fetch_add(1) < ctx_.config.max_watch_streams;
  }
  ~StreamSlot() { ctx_.open_streams.fetch_sub(1); }
  grpc::Status status() const {
    if (ok_) return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "too many open watch streams (limit " + std::to_string(ctx_.config.max_watch_streams) + ")");
  }

 private:
  ServiceContext& ctx_;
  bool ok_;
};

bool finished(recorder::RecordingState s) {
  return s == recorder::RecordingState::kStopped || s == recorder::RecordingState::kFailed ||
         s == recorder::RecordingState::kRecovered;
}

}  // namespace

// ---- drives ----

grpc::Status DriveServiceImpl::ListDrives(grpc::ServerContext*, const v1::ListDrivesRequest*,
                                          v1::ListDrivesResponse* response) {
  for (const auto& d : ctx_.recorder.list_drives()) to_proto(d, response->add_drives());
  return grpc::Status::OK;
}

grpc::Status DriveServiceImpl::GetDrive(grpc::ServerContext*, const v1::GetDriveRequest* request, v1::Drive* out) {
  ASSIGN_OR_RETURN_GRPC(std::string id, parse_drive_name(request->name()));
  ASSIGN_OR_RETURN_GRPC(auto info, ctx_.recorder.get_drive(id));
  to_proto(info, out);
  return grpc::Status::OK;
}

grpc::Status DriveServiceImpl::PrepareDrive(grpc::ServerContext*, const v1::PrepareDriveRequest* request,
                                            v1::PrepareDriveResponse* out) {
  ASSIGN_OR_RETURN_GRPC(std::string id, parse_drive_name(request->name()));
  ASSIGN_OR_RETURN_GRPC(auto result, ctx_.recorder.prepare_drive(id, request->write_kbps()));
  to_proto(result.drive, out->mutable_drive());
  out->set_opc_performed(result.opc_performed);
  out->set_opc_note(result.opc_note);
  out->set_requested_write_kbps(result.requested_write_kbps);
  out->set_effective_write_kbps(result.effective_write_kbps);
  return grpc::Status::OK;
}

grpc::Status DriveServiceImpl::LoadMedium(grpc::ServerContext*, const v1::LoadMediumRequest* request, v1::Drive* out) {
  ASSIGN_OR_RETURN_GRPC(std::string id, parse_drive_name(request->name()));
  ASSIGN_OR_RETURN_GRPC(auto info, ctx_.recorder.load_medium(id));
  to_proto(info, out);
  return grpc::Status::OK;
}

grpc::Status DriveServiceImpl::EjectMedium(grpc::ServerContext*, const v1::EjectMediumRequest* request,
                                           v1::Drive* out) {
  ASSIGN_OR_RETURN_GRPC(std::string id, parse_drive_name(request->name()));
  ASSIGN_OR_RETURN_GRPC(auto info, ctx_.recorder.eject_medium(id));
  to_proto(info, out);
  return grpc::Status::OK;
}

grpc::Status DriveServiceImpl::FormatMedium(grpc::ServerContext*, const v1::FormatMediumRequest* request,
                                            v1::Drive* out) {
  ASSIGN_OR_RETURN_GRPC(std::string id, parse_drive_name(request->name()));
  ASSIGN_OR_RETURN_GRPC(auto info, ctx_.recorder.format_medium(id, request->spare_areas()));
  to_proto(info, out);
  return grpc::Status::OK;
}

// ---- recordings ----

grpc::Status RecordingServiceImpl::StartRecording(grpc::ServerContext*, const v1::StartRecordingRequest* request,
                                                  v1::Recording* out) {
  ASSIGN_OR_RETURN_GRPC(std::string drive_id, parse_drive_name(request->parent()));
  RETURN_GRPC_IF_ERROR(check_length(ctx_, "source_url", request->source_url()));
  RETURN_GRPC_IF_ERROR(check_length(ctx_, "title", request->title()));
  if (request->source_url().empty())
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "source_url is required");
  if (request->expected_bitrate_bps() == 0)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "expected_bitrate_bps is required: admission reserves drive bandwidth for it");
  if (!request->recording_id().empty() && !valid_id(request->recording_id()))
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "recording_id may use letters, digits, '-' and '_' (at most 63)");
  if (request->has_latency_budget() && (request->latency_budget().seconds() < 0 ||
                                        request->latency_budget().seconds() > 600))
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "latency_budget must be between 0 and 600 s");
  if (request->ring_size_bytes() > (4ull << 30))
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "ring_size_bytes must be at most 4 GiB");

  recorder::StartRecordingParams params;
  params.drive_id = drive_id;
  params.source_url = request->source_url();
  params.title = request->title();
  params.recording_id = request->recording_id();
  params.priority = request->priority();
  params.expected_bitrate_bps = request->expected_bitrate_bps();
  if (request->has_latency_budget())
    params.latency_budget = Nanos(TimeUtil::DurationToNanoseconds(request->latency_budget()));
  params.ring_bytes = request->ring_size_bytes();
  ASSIGN_OR_RETURN_GRPC(auto info, ctx_.recorder.start_recording(params));
  to_proto(info, out);
  return grpc::Status::OK;
}

grpc::Status RecordingServiceImpl::StopRecording(grpc::ServerContext*, const v1::StopRecordingRequest* request,
                                                 v1::Recording* out) {
  ASSIGN_OR_RETURN_GRPC(auto name, parse_recording_name(request->name()));
  ASSIGN_OR_RETURN_GRPC(auto info, ctx_.recorder.stop_recording(name.drive_id, name.recording_id));
  to_proto(info, out);
  return grpc::Status::OK;
}

grpc::Status RecordingServiceImpl::GetRecording(grpc::ServerContext*, const v1::GetRecordingRequest* request,
                                                v1::Recording* out) {
  ASSIGN_OR_RETURN_GRPC(auto name, parse_recording_name(request->name()));
  ASSIGN_OR_RETURN_GRPC(auto info, ctx_.recorder.get_recording(name.drive_id, name.recording_id));
  to_proto(info, out);
  return grpc::Status::OK;
}

grpc::Status RecordingServiceImpl::ListRecordings(grpc::ServerContext*, const v1::ListRecordingsRequest* request,
                                                  v1::ListRecordingsResponse* out) {
  std::string drive_id;
  if (!request->parent().empty()) {
    ASSIGN_OR_RETURN_GRPC(drive_id, parse_drive_name(request->parent(), /*allow_wildcard=*/true));
  }
  ASSIGN_OR_RETURN_GRPC(auto list, ctx_.recorder.list_recordings(drive_id));
  for (const auto& r : list) to_proto(r, out->add_recordings());
  return grpc::Status::OK;
}

grpc::Status RecordingServiceImpl::WatchRecording(grpc::ServerContext* context,
                                                  const v1::WatchRecordingRequest* request,
                                                  grpc::ServerWriter<v1::Recording>* writer) {
  StreamSlot slot(ctx_);
  if (!slot.status().ok()) return slot.status();
  ASSIGN_OR_RETURN_GRPC(auto name, parse_recording_name(request->name()));
  auto interval = std::chrono::milliseconds(500);
  if (request->has_interval())
    interval = std::chrono::milliseconds(
        std::clamp<int64_t>(TimeUtil::DurationToMilliseconds(request->interval()), 50, 60000));
  while (!context->IsCancelled() && !ctx_.shutting_down) {
    ASSIGN_OR_RETURN_GRPC(auto info, ctx_.recorder.get_recording(name.drive_id, name.recording_id));
    v1::Recording message;
    to_proto(info, &message);
    if (!writer->Write(message)) break;  // client gone
    if (finished(info.state)) break;
    // Sleep the interval, but send the final state as soon as it comes.
    auto wake = std::chrono::steady_clock::now() + interval;
    while (std::chrono::steady_clock::now() < wake && !context->IsCancelled() && !ctx_.shutting_down) {
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(interval, std::chrono::milliseconds(20)));
      auto now = ctx_.recorder.get_recording(name.drive_id, name.recording_id);
      if (!now.ok() || finished(now->state)) break;
    }
  }
  return grpc::Status::OK;
}

// ---- discs ----

namespace {

grpc::Status run_disc_operation(grpc::ServerContext* context, grpc::ServerWriter<v1::DiscOperationProgress>* writer,
                                const std::function<Result<recorder::DiscOperationResult>(
                                    const recorder::ProgressCallback&)>& operation) {
  bool client_gone = false;
  auto progress = [&](const recorder::DiscProgress& p) {
    if (client_gone || context->IsCancelled()) return;
    v1::DiscOperationProgress message;
    message.set_fraction(p.fraction);
    message.set_stage(p.stage);
    client_gone = !writer->Write(message);
  };
  auto result = operation(progress);
  if (!result.ok()) return to_grpc_status(result.error());
  v1::DiscOperationProgress final_message;
  to_proto(*result, &final_message);
  writer->Write(final_message);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status DiscServiceImpl::FinalizeDisc(grpc::ServerContext* context, const v1::FinalizeDiscRequest* request,
                                           grpc::ServerWriter<v1::DiscOperationProgress>* writer) {
  ASSIGN_OR_RETURN_GRPC(std::string id, parse_drive_name(request->name()));
  RETURN_GRPC_IF_ERROR(check_length(ctx_, "volume_label", request->volume_label()));
  recorder::FinalizeParams params;
  params.volume_label = request->volume_label();
  params.close_disc = request->close_disc();
  params.eject = request->eject();
  switch (request->lost_extents()) {
    case v1::LOST_EXTENT_ENCODING_UNSPECIFIED:
      break;  // the daemon's default ([disc] lost_extents)
    case v1::LOST_EXTENT_ENCODING_NOT_RECORDED:
      params.zero_fill_lost_extents = false;
      break;
    case v1::LOST_EXTENT_ENCODING_ZERO_FILLED:
      params.zero_fill_lost_extents = true;
      break;
    default:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "unknown lost_extents encoding " + std::to_string(request->lost_extents()));
  }
  return run_disc_operation(context, writer, [&](const recorder::ProgressCallback& progress) {
    return ctx_.recorder.finalize_disc(id, params, progress);
  });
}

grpc::Status DiscServiceImpl::VerifyDisc(grpc::ServerContext* context, const v1::VerifyDiscRequest* request,
                                         grpc::ServerWriter<v1::DiscOperationProgress>* writer) {
  ASSIGN_OR_RETURN_GRPC(std::string id, parse_drive_name(request->name()));
  return run_disc_operation(context, writer, [&](const recorder::ProgressCallback& progress) {
    return ctx_.recorder.verify_disc(id, progress);
  });
}

// ---- events ----

grpc::Status EventServiceImpl::WatchEvents(grpc::ServerContext* context, const v1::WatchEventsRequest* request,
                                           grpc::ServerWriter<v1::Event>* writer) {
  StreamSlot slot(ctx_);
  if (!slot.status().ok()) return slot.status();
  std::string drive_id;
  if (!request->drive().empty()) {
    ASSIGN_OR_RETURN_GRPC(drive_id, parse_drive_name(request->drive()));
    ASSIGN_OR_RETURN_GRPC(auto unused, ctx_.recorder.get_drive(drive_id));
    (void)unused;
  }
  auto subscription = ctx_.recorder.events().subscribe(drive_id);
  while (!context->IsCancelled() && !ctx_.shutting_down) {
    auto event = subscription->next(std::chrono::milliseconds(200));
    if (!event) {
      if (subscription->closed()) break;
      continue;
    }
    v1::Event message;
    to_proto(*event, &message);
    if (!writer->Write(message)) break;
  }
  return grpc::Status::OK;
}

// ---- daemon ----

grpc::Status DaemonServiceImpl::GetDaemonInfo(grpc::ServerContext*, const v1::GetDaemonInfoRequest*,
                                              v1::DaemonInfo* out) {
  out->set_version(DISCREC_VERSION);
  auto uptime = std::chrono::steady_clock::now() - ctx_.started;
  *out->mutable_uptime() = TimeUtil::NanosecondsToDuration(
      std::chrono::duration_cast<std::chrono::nanoseconds>(uptime).count());
  for (const auto& id : ctx_.recorder.drive_ids()) out->add_drives(drive_name(id));
  out->set_active_recordings(ctx_.recorder.active_recordings());
  out->set_state_directory(ctx_.config.state_directory);
  return grpc::Status::OK;
}

}  // namespace discrec::daemon
