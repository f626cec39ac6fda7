// Shared by the daemon benchmarks that talk gRPC to a BenchDaemon: stubs on
// its socket and the few calls they make, as a client would make them.
// Header-only, bench use only.
#pragma once

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "discrec/v1/discs.grpc.pb.h"
#include "discrec/v1/drives.grpc.pb.h"
#include "discrec/v1/recordings.grpc.pb.h"

namespace discrec::bench {

struct DaemonRpc {
  explicit DaemonRpc(const std::string& socket)
      : channel(grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials())),
        drives(v1::DriveService::NewStub(channel)),
        recordings(v1::RecordingService::NewStub(channel)),
        discs(v1::DiscService::NewStub(channel)) {}
  bool connected() {
    return channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  grpc::Status start(const std::string& drive, const std::string& url, uint64_t bitrate, uint64_t ring_bytes,
                     const std::string& id, v1::Recording* out,
                     std::chrono::milliseconds latency_budget = std::chrono::milliseconds(0)) {
    grpc::ClientContext ctx;
    v1::StartRecordingRequest req;
    req.set_parent("drives/" + drive);
    req.set_source_url(url);
    req.set_expected_bitrate_bps(bitrate);
    req.set_ring_size_bytes(ring_bytes);
    req.set_recording_id(id);
    req.set_title(id);
    if (latency_budget.count() > 0)
      *req.mutable_latency_budget() = google::protobuf::util::TimeUtil::MillisecondsToDuration(latency_budget.count());
    return recordings->StartRecording(&ctx, req, out);
  }
  grpc::Status stop(const std::string& name) {
    grpc::ClientContext ctx;
    v1::StopRecordingRequest req;
    req.set_name(name);
    v1::Recording ignored;
    return recordings->StopRecording(&ctx, req, &ignored);
  }
  grpc::Status get(const std::string& name, v1::Recording* out) {
    grpc::ClientContext ctx;
    v1::GetRecordingRequest req;
    req.set_name(name);
    return recordings->GetRecording(&ctx, req, out);
  }
  // Every recording of every drive (one page holds up to 500).
  std::vector<v1::Recording> list_all() {
    grpc::ClientContext ctx;
    v1::ListRecordingsRequest req;
    req.set_parent("drives/-");
    req.set_page_size(500);
    v1::ListRecordingsResponse resp;
    if (!recordings->ListRecordings(&ctx, req, &resp).ok()) return {};
    return {resp.recordings().begin(), resp.recordings().end()};
  }
  // FinalizeDisc (closed) or VerifyDisc until its last message. With
  // `stage_started`: seconds from the call to the first message of each stage.
  grpc::Status disc_operation(const std::string& drive, bool finalize, v1::DiscOperationProgress* last,
                              std::vector<std::pair<std::string, double>>* stage_started = nullptr) {
    const auto t0 = std::chrono::steady_clock::now();
    grpc::ClientContext ctx;
    v1::DiscOperationProgress p;
    std::unique_ptr<grpc::ClientReader<v1::DiscOperationProgress>> reader;
    if (finalize) {
      v1::FinalizeDiscRequest req;
      req.set_name("drives/" + drive);
      req.set_volume_label("BENCH");
      req.set_close_disc(true);
      reader = discs->FinalizeDisc(&ctx, req);
    } else {
      v1::VerifyDiscRequest req;
      req.set_name("drives/" + drive);
      reader = discs->VerifyDisc(&ctx, req);
    }
    while (reader->Read(&p)) {
      if (stage_started && (stage_started->empty() || stage_started->back().first != p.stage()))
        stage_started->push_back(
            {p.stage(), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
      *last = p;
    }
    return reader->Finish();
  }

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::DriveService::Stub> drives;
  std::unique_ptr<v1::RecordingService::Stub> recordings;
  std::unique_ptr<v1::DiscService::Stub> discs;
};

inline double seconds_of(const google::protobuf::Duration& d) {
  return static_cast<double>(google::protobuf::util::TimeUtil::DurationToNanoseconds(d)) / 1e9;
}

}  // namespace discrec::bench
