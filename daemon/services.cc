#include "daemon/services.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>

#include "daemon/access.h"
#include "daemon/convert.h"
#include "daemon/log.h"
#include "daemon/names.h"
#include "daemon/status.h"
#include "daemon/upload_pipe.h"
#include "recorder/core/admission.h"
#include "recorder/core/recording.h"
#include "recorder/udf/volume_builder.h"

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
  const uint32_t limit = ctx.max_string_bytes.load(std::memory_order_relaxed);
  if (value.size() > limit)
    return Error(ErrorCode::kInvalidArgument, field + " is " + std::to_string(value.size()) +
                                                  " bytes; the limit is " + std::to_string(limit));
  return {};
}

// Counts an open server stream; refuses once the configured limit is reached.
class StreamSlot {
 public:
  explicit StreamSlot(ServiceContext& ctx) : ctx_(ctx) {
    limit_ = ctx_.max_watch_streams.load(std::memory_order_relaxed);
    ok_ = ctx_.open_streams.fetch_add(1) < limit_;
  }
  ~StreamSlot() { ctx_.open_streams.fetch_sub(1); }
  grpc::Status status() const {
    if (ok_) return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "too many open watch streams (limit " + std::to_string(limit_) + ")");
  }

 private:
  ServiceContext& ctx_;
  uint32_t limit_;
  bool ok_;
};

constexpr size_t kDefaultPageSize = 50;
constexpr size_t kMaxPageSize = 200;

// Page tokens are offsets with a tag, opaque to clients (AIP-158); a
// listing that changes between pages may repeat or skip an entry, never fail.
std::string page_token(size_t offset) { return "o" + std::to_string(offset); }

Result<size_t> parse_page_token(const std::string& token) {
  if (token.empty()) return size_t{0};
  if (token.size() > 12 || token[0] != 'o' || token.size() == 1 ||
      token.find_first_not_of("0123456789", 1) != std::string::npos)
    return Error(ErrorCode::kInvalidArgument, "page_token is not one this daemon gave out");
  return static_cast<size_t>(std::stoull(token.substr(1)));
}

bool finished(recorder::RecordingState s) {
  return s == recorder::RecordingState::kStopped || s == recorder::RecordingState::kFailed ||
         s == recorder::RecordingState::kRecovered;
}

// The call's deadline as the recorder counts time: how long a control call
// waits for its drive to take the request up (none: the daemon's bound).
recorder::CallDeadline deadline_of(const grpc::ServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return std::nullopt;
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(deadline - std::chrono::system_clock::now());
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
  if (request->bitrate_bps() != 0) RETURN_GRPC_IF_ERROR(recorder::check_declared_bitrate(request->bitrate_bps()));
  ASSIGN_OR_RETURN_GRPC(auto info, ctx_.recorder.get_drive(id));
  to_proto(info, out);
  // The time a rewritable disc's free space holds at the asked bitrate.
  if (request->bitrate_bps() != 0 && info.volume && info.capabilities) {
    auto* volume = out->mutable_medium()->mutable_volume();
    const double seconds = static_cast<double>(info.volume->recordable_blocks) * info.capabilities->block_size * 8.0 /
                           static_cast<double>(request->bitrate_bps());
    *volume->mutable_time_left() = TimeUtil::NanosecondsToDuration(static_cast<int64_t>(seconds * 1e9));
    volume->set_bitrate_bps(request->bitrate_bps());
  }
  return grpc::Status::OK;
}

grpc::Status DriveServiceImpl::PrepareDrive(grpc::ServerContext* context, const v1::PrepareDriveRequest* request,
                                            v1::PrepareDriveResponse* out) {
  ASSIGN_OR_RETURN_GRPC(std::string id, parse_drive_name(request->name()));
  ASSIGN_OR_RETURN_GRPC(auto result, ctx_.recorder.prepare_drive(id, request->write_kbps(), deadline_of(*context)));
  to_proto(result.drive, out->mutable_drive());
  out->set_opc_performed(result.opc_performed);
  out->set_opc_note(result.opc_note);
  out->set_requested_write_kbps(result.requested_write_kbps);
  out->set_effective_write_kbps(result.effective_write_kbps);
  return grpc::Status::OK;
}

grpc::Status DriveServiceImpl::LoadMedium(grpc::ServerContext* context, const v1::LoadMediumRequest* request,
                                          v1::Drive* out) {
  ASSIGN_OR_RETURN_GRPC(std::string id, parse_drive_name(request->name()));
  ASSIGN_OR_RETURN_GRPC(auto info, ctx_.recorder.load_medium(id, deadline_of(*context)));
  to_proto(info, out);
  return grpc::Status::OK;
}

grpc::Status DriveServiceImpl::EjectMedium(grpc::ServerContext* context, const v1::EjectMediumRequest* request,
                                           v1::Drive* out) {
  ASSIGN_OR_RETURN_GRPC(std::string id, parse_drive_name(request->name()));
  ASSIGN_OR_RETURN_GRPC(auto info, ctx_.recorder.eject_medium(id, deadline_of(*context)));
  to_proto(info, out);
  return grpc::Status::OK;
}

grpc::Status DriveServiceImpl::FormatMedium(grpc::ServerContext* context, const v1::FormatMediumRequest* request,
                                            v1::Drive* out) {
  ASSIGN_OR_RETURN_GRPC(std::string id, parse_drive_name(request->name()));
  if (request->force()) {  // erases recordings: the admin's call
    ASSIGN_OR_RETURN_GRPC(Peer peer, ctx_.access->identify(*context));
    RETURN_GRPC_IF_ERROR(require(peer, Role::kAdmin, "formatting a disc that holds recordings"));
  }
  ASSIGN_OR_RETURN_GRPC(auto info, ctx_.recorder.format_medium(id, request->spare_areas(), request->force(),
                                                               deadline_of(*context)));
  to_proto(info, out);
  return grpc::Status::OK;
}

// ---- recordings ----

namespace {


// Checks every field of a start request before anything is opened or
// journaled, and turns it into the recorder's parameters.
// The top of the priority range is the admin's: a control client cannot
// put its recording above every other one.
constexpr int32_t kMaxControlPriority = 50;

Result<recorder::StartRecordingParams> start_params(const ServiceContext& ctx, grpc::ServerContext& call,
                                                    const v1::StartRecordingRequest& request, bool upload) {
  auto bad = [](const std::string& what) { return Error(ErrorCode::kInvalidArgument, what); };
  ASSIGN_OR_RETURN(std::string drive_id, parse_drive_name(request.parent()));
  RETURN_IF_ERROR(check_length(ctx, "source_url", request.source_url()));
  RETURN_IF_ERROR(check_length(ctx, "title", request.title()));
  if (!upload && request.source_url().empty()) return bad("source_url is required");
  if (request.expected_bitrate_bps() == 0)
    return bad("expected_bitrate_bps is required: admission reserves drive bandwidth for it");
  RETURN_IF_ERROR(recorder::check_declared_bitrate(request.expected_bitrate_bps()));
  RETURN_IF_ERROR(recorder::check_priority(request.priority(), recorder::kMaxPriority));
  if (request.priority() > kMaxControlPriority) {
    ASSIGN_OR_RETURN(Peer peer, ctx.access->identify(call));
    RETURN_IF_ERROR(require(peer, Role::kAdmin,
                            "a priority above " + std::to_string(kMaxControlPriority)));
  }
  if (!request.recording_id().empty() && !valid_id(request.recording_id()))
    return bad("recording_id may use letters, digits, '-' and '_' (at most 63)");
  if (request.has_latency_budget() &&
      (request.latency_budget().seconds() < 0 || request.latency_budget().seconds() > 600 ||
       request.latency_budget().nanos() < 0))
    return bad("latency_budget must be between 0 and 600 s");
  if (request.ring_size_bytes() > (4ull << 30)) return bad("ring_size_bytes must be at most 4 GiB");
  if (request.has_expected_duration() &&
      (request.expected_duration().seconds() < 0 || request.expected_duration().seconds() > 7 * 24 * 3600 ||
       request.expected_duration().nanos() < 0))
    return bad("expected_duration must be between 0 and 7 days");

  recorder::StartRecordingParams params;
  params.drive_id = drive_id;
  params.source_url = request.source_url();
  params.title = request.title();
  params.recording_id = request.recording_id();
  params.priority = request.priority();
  params.expected_bitrate_bps = request.expected_bitrate_bps();
  if (request.has_latency_budget())
    params.latency_budget = Nanos(TimeUtil::DurationToNanoseconds(request.latency_budget()));
  params.ring_bytes = request.ring_size_bytes();
  if (request.has_expected_duration())
    params.expected_duration = Nanos(TimeUtil::DurationToNanoseconds(request.expected_duration()));
  return params;
}

}  // namespace

grpc::Status RecordingServiceImpl::StartRecording(grpc::ServerContext* context, const v1::StartRecordingRequest* request,
                                                  v1::Recording* out) {
  ASSIGN_OR_RETURN_GRPC(auto params, start_params(ctx_, *context, *request, /*upload=*/false));
  ASSIGN_OR_RETURN_GRPC(auto info, ctx_.recorder.start_recording(params, deadline_of(*context)));
  to_proto(info, out);
  return grpc::Status::OK;
}

grpc::Status RecordingServiceImpl::StopRecording(grpc::ServerContext* context, const v1::StopRecordingRequest* request,
                                                 v1::Recording* out) {
  ASSIGN_OR_RETURN_GRPC(auto name, parse_recording_name(request->name()));
  ASSIGN_OR_RETURN_GRPC(auto info,
                        ctx_.recorder.stop_recording(name.drive_id, name.recording_id, deadline_of(*context)));
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
  if (request->page_size() < 0)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "page_size must not be negative");
  const size_t page_size = request->page_size() == 0 ? kDefaultPageSize
                                                     : std::min<size_t>(request->page_size(), kMaxPageSize);
  ASSIGN_OR_RETURN_GRPC(size_t first, parse_page_token(request->page_token()));
  ASSIGN_OR_RETURN_GRPC(auto list, ctx_.recorder.list_recordings(drive_id));
  // Active first, then the newest: what an operator looks for first. Ties by
  // name so pages do not overlap.
  std::sort(list.begin(), list.end(), [](const recorder::RecordingInfo& a, const recorder::RecordingInfo& b) {
    const bool a_live = !finished(a.state), b_live = !finished(b.state);
    if (a_live != b_live) return a_live;
    if (a.start_time != b.start_time) return a.start_time > b.start_time;
    return std::tie(a.drive_id, a.id) < std::tie(b.drive_id, b.id);
  });
  for (size_t i = first; i < list.size() && i < first + page_size; ++i) to_proto(list[i], out->add_recordings());
  if (first + page_size < list.size()) out->set_next_page_token(page_token(first + page_size));
  return grpc::Status::OK;
}

namespace {

// A name the client gives its upload, fit for listings and the journal.
std::string upload_name(const std::string& client_name) {
  std::string name = client_name.empty() ? "-" : client_name;
  for (char& c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return "upload:" + name;
}

}  // namespace

grpc::Status RecordingServiceImpl::UploadRecording(grpc::ServerContext* context,
                                                   grpc::ServerReader<v1::UploadRecordingRequest>* reader,
                                                   v1::Recording* out) {
  v1::UploadRecordingRequest message;
  if (!reader->Read(&message) || message.part_case() != v1::UploadRecordingRequest::kStart)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the first message of an upload must carry 'start'");
  ASSIGN_OR_RETURN_GRPC(auto params, start_params(ctx_, *context, message.start(), /*upload=*/true));
  ASSIGN_OR_RETURN_GRPC(auto pipe, UploadPipe::open());
  params.source_url = upload_name(message.start().source_url());
  params.upload_fd = std::move(pipe.second);
  ASSIGN_OR_RETURN_GRPC(auto started, ctx_.recorder.start_recording(params, deadline_of(*context)));
  params.upload_fd.reset();  // the recording holds the read end now
  UploadPipe& sink = pipe.first;

  // Feeds one message's bytes into the pipe; false once the recording no
  // longer reads them (stopped, failed, the daemon ends) or the client left.
  auto recording_takes = [&] {
    auto now = ctx_.recorder.get_recording(started.drive_id, started.id);
    return now.ok() && !finished(now->state) && now->state != recorder::RecordingState::kStopping;
  };
  auto feed = [&](const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      const int64_t n = sink.write_some(data.data() + done, data.size() - done, 200);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0) return false;  // ingest is gone
      if (context->IsCancelled() || ctx_.shutting_down || !recording_takes()) return false;
    }
    return true;
  };
  grpc::Status status = grpc::Status::OK;
  while (reader->Read(&message)) {
    if (message.part_case() != v1::UploadRecordingRequest::kData) {
      status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "an upload carries 'start' once, then only 'data'; the recording ends here");
      break;
    }
    if (!feed(message.data())) break;
  }
  sink.close();  // what arrived is recorded; the source ends here
  ASSIGN_OR_RETURN_GRPC(auto info, ctx_.recorder.get_recording(started.drive_id, started.id));
  to_proto(info, out);
  return status;
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
  while (!context->IsCancelled()) {
    // A watcher must not take the end of its stream for the end of the
    // recording: say the daemon is going (the CLI exits non-zero).
    if (ctx_.shutting_down)
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "discrecd is stopping; the recording ends with it");
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

// Runs a long disc operation on a thread of its own and streams its
// progress from this one: the operation never waits for the client (a
// client that stops reading holds only its own call, never the drive), and
// only the newest progress is sent.
grpc::Status run_disc_operation(grpc::ServerContext* context, grpc::ServerWriter<v1::DiscOperationProgress>* writer,
                                const std::function<Result<recorder::DiscOperationResult>(
                                    const recorder::ProgressCallback&)>& operation) {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<recorder::DiscProgress> latest;                   // GUARDED_BY(mutex)
  std::optional<Result<recorder::DiscOperationResult>> outcome;  // GUARDED_BY(mutex)
  std::thread worker([&] {
    auto result = operation([&](const recorder::DiscProgress& p) {
      std::lock_guard lock(mutex);
      latest = p;
      changed.notify_one();
    });
    std::lock_guard lock(mutex);
    outcome.emplace(std::move(result));
    changed.notify_one();
  });
  bool client_gone = false;
  std::unique_lock lock(mutex);
  while (!outcome) {
    changed.wait_for(lock, std::chrono::milliseconds(200), [&] { return outcome || latest; });
    if (!latest || outcome) continue;
    v1::DiscOperationProgress message;
    message.set_fraction(latest->fraction);
    message.set_stage(latest->stage);
    latest.reset();
    lock.unlock();
    if (!client_gone) client_gone = context->IsCancelled() || !writer->Write(message);
    lock.lock();
  }
  auto result = std::move(*outcome);
  lock.unlock();
  worker.join();
  if (!result.ok()) return to_grpc_status(result.error());
  v1::DiscOperationProgress final_message;
  to_proto(*result, &final_message);
  if (!client_gone) writer->Write(final_message);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status DiscServiceImpl::FinalizeDisc(grpc::ServerContext* context, const v1::FinalizeDiscRequest* request,
                                           grpc::ServerWriter<v1::DiscOperationProgress>* writer) {
  ASSIGN_OR_RETURN_GRPC(std::string id, parse_drive_name(request->name()));
  RETURN_GRPC_IF_ERROR(check_length(ctx_, "volume_label", request->volume_label()));
  // Checked here, before the label can reach the journal: a label the file
  // system cannot hold must not make the disc unfinishable.
  if (!request->volume_label().empty()) RETURN_GRPC_IF_ERROR(recorder::udf::check_volume_label(request->volume_label()));
  recorder::FinalizeParams params;
  params.volume_label = request->volume_label();
  params.force = request->force();
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
    return ctx_.recorder.finalize_disc(id, params, progress, deadline_of(*context));
  });
}

grpc::Status DiscServiceImpl::DeleteFromDisc(grpc::ServerContext* context, const v1::DeleteFromDiscRequest* request,
                                             v1::DiscOperationProgress* out) {
  ASSIGN_OR_RETURN_GRPC(std::string id, parse_drive_name(request->name()));
  RETURN_GRPC_IF_ERROR(check_length(ctx_, "recording", request->recording()));
  if (request->recording().empty())
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "recording is required: its id or its file name");
  ASSIGN_OR_RETURN_GRPC(auto result, ctx_.recorder.delete_from_disc(id, request->recording(), deadline_of(*context)));
  log_info("drive " + id + ": " + result.summary);
  to_proto(result, out);
  out->set_fraction(1.0);
  out->set_done(true);
  return grpc::Status::OK;
}

grpc::Status DiscServiceImpl::VerifyDisc(grpc::ServerContext* context, const v1::VerifyDiscRequest* request,
                                         grpc::ServerWriter<v1::DiscOperationProgress>* writer) {
  ASSIGN_OR_RETURN_GRPC(std::string id, parse_drive_name(request->name()));
  return run_disc_operation(context, writer, [&](const recorder::ProgressCallback& progress) {
    auto result = ctx_.recorder.verify_disc(id, progress, deadline_of(*context));
    // A failed verify is logged by the gate (daemon/gated_services.cc) with
    // the caller; a finished one here, since no event tells of it.
    if (result.ok()) {
      const std::string line = "verify of drive " + id + ": " + result->summary;
      result->mismatches.empty() ? log_info(line) : log_warning(line);
    }
    return result;
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
  std::optional<recorder::WallTime> since;
  if (request->has_since_time()) {
    const auto& t = request->since_time();
    // Timestamp's own range (years 1..9999), so the conversion cannot overflow.
    if (t.seconds() < -62135596800 || t.seconds() > 253402300799 || t.nanos() < 0 || t.nanos() > 999999999)
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "since_time is not a valid time");
    since = recorder::WallTime(std::chrono::duration_cast<recorder::WallTime::duration>(
        std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos())));
  }
  auto write = [&](const recorder::Event& event) {
    v1::Event message;
    to_proto(event, &message);
    return writer->Write(message);
  };
  // Subscribed before the replay: what happens while the history is sent
  // waits in the (bounded) live queue, and `replayed_up_to` is where the
  // history ends and the queue begins, so nothing is sent twice or missed.
  uint64_t replayed_up_to = 0;
  auto subscription = ctx_.recorder.events().subscribe(drive_id, 256, &replayed_up_to);
  if (since || request->after_sequence() > 0) {
    recorder::EventHistoryQuery query;
    query.drive_filter = drive_id;
    query.since = since;
    // A number beyond the newest: the daemon restarted since the client
    // saw it, and all it has now is new to that client.
    query.after_sequence = request->after_sequence() > replayed_up_to ? 0 : request->after_sequence();
    // Page by page: a replay holds one page in memory however long the
    // history is, and stops as soon as the client goes.
    constexpr size_t kReplayPage = 64;
    for (;;) {
      if (context->IsCancelled() || ctx_.shutting_down) return grpc::Status::OK;
      auto page = ctx_.recorder.events().history(query, replayed_up_to, kReplayPage);
      if (page.empty()) break;
      for (const auto& event : page)
        if (!write(event)) return grpc::Status::OK;  // client gone
      query.after_sequence = page.back().sequence;
      if (page.size() < kReplayPage) break;
    }
  }
  while (!context->IsCancelled() && !ctx_.shutting_down) {
    auto event = subscription->next(std::chrono::milliseconds(200));
    if (!event) {
      if (subscription->closed()) break;
      continue;
    }
    if (event->sequence <= replayed_up_to) continue;  // cannot happen: subscribe() says where the queue begins
    if (!write(*event)) break;
  }
  return grpc::Status::OK;
}

// ---- catalog ----

grpc::Status CatalogServiceImpl::ListCatalog(grpc::ServerContext*, const v1::ListCatalogRequest* request,
                                             v1::ListCatalogResponse* out) {
  RETURN_GRPC_IF_ERROR(check_length(ctx_, "recording_id", request->recording_id()));
  if (request->page_size() < 0)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "page_size must not be negative");
  const size_t page_size = request->page_size() == 0 ? kDefaultPageSize
                                                     : std::min<size_t>(request->page_size(), kMaxPageSize);
  ASSIGN_OR_RETURN_GRPC(size_t first, parse_page_token(request->page_token()));
  // One more than the page: whether there is a next one.
  ASSIGN_OR_RETURN_GRPC(auto parts, ctx_.recorder.catalog(request->recording_id(), first, page_size + 1));
  for (size_t i = 0; i < parts.size() && i < page_size; ++i) to_proto(parts[i], out->add_parts());
  if (parts.size() > page_size) out->set_next_page_token(page_token(first + page_size));
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
