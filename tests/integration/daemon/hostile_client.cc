// hostile_client: one gRPC call to discrecd made by a stranger. It drops to
// the uid, gid and supplementary groups it is given before it touches the
// socket, so the daemon sees an unprivileged peer (SO_PEERCRED), then makes
// the call and prints what came back:
//
//   <STATUS_CODE_NAME> <message>
//   <the response as protobuf text, if any>
//
// The hostile-client tests (hostile_test.cc) run it once per attack.
//
//   hostile_client --socket PATH --as UID:GID[:G1,G2...] CALL ARGS...
//     start PARENT SOURCE BITRATE PRIORITY [TITLE]
//     stop NAME | get NAME | list PARENT PAGE_SIZE [TOKEN]
//     get-drive NAME | finalize DRIVE LABEL FORCE(0|1) | format DRIVE FORCE(0|1)
//     verify DRIVE
//     watch-hold NAME COUNT SECONDS   open COUNT WatchRecording streams, hold
//                                     them; prints how many got a first message
#include <grp.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "discrec/v1/discs.grpc.pb.h"
#include "discrec/v1/drives.grpc.pb.h"
#include "discrec/v1/recordings.grpc.pb.h"

namespace {

namespace v1 = discrec::v1;

const char* code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "OTHER";
  }
}

int report(const grpc::Status& s, const google::protobuf::Message* response = nullptr) {
  std::cout << code_name(s.error_code()) << " " << s.error_message() << "\n";
  if (s.ok() && response) std::cout << response->DebugString();
  return 0;
}

// Drops root for good: groups first, then gid, then uid.
bool drop_privileges(const std::string& spec) {
  std::vector<std::string> parts;
  std::stringstream in(spec);
  for (std::string p; std::getline(in, p, ':');) parts.push_back(p);
  if (parts.size() < 2) return false;
  uid_t uid = static_cast<uid_t>(std::stoul(parts[0]));
  gid_t gid = static_cast<gid_t>(std::stoul(parts[1]));
  std::vector<gid_t> groups;
  if (parts.size() > 2) {
    std::stringstream g(parts[2]);
    for (std::string x; std::getline(g, x, ',');)
      if (!x.empty()) groups.push_back(static_cast<gid_t>(std::stoul(x)));
  }
  if (setgroups(groups.size(), groups.data()) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
    return false;
  return uid == 0 || setuid(0) != 0;  // really unprivileged now
}

std::chrono::system_clock::time_point in(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket, as;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--socket" && i + 1 < argc) socket = argv[++i];
    else if (a == "--as" && i + 1 < argc) as = argv[++i];
    else args.push_back(a);
  }
  if (socket.empty() || args.empty()) {
    std::cerr << "usage: hostile_client --socket PATH [--as UID:GID[:GROUPS]] CALL ARGS...\n";
    return 2;
  }
  if (!as.empty() && !drop_privileges(as)) {
    std::cerr << "hostile_client: cannot become " << as << "\n";
    return 2;
  }
  auto channel = grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials());
  auto drives = v1::DriveService::NewStub(channel);
  auto recordings = v1::RecordingService::NewStub(channel);
  auto discs = v1::DiscService::NewStub(channel);
  auto arg = [&](size_t i) -> std::string { return i < args.size() ? args[i] : ""; };
  const std::string& call = args[0];

  grpc::ClientContext ctx;
  ctx.set_deadline(in(60));
  if (call == "start") {
    v1::StartRecordingRequest req;
    req.set_parent(arg(1));
    req.set_source_url(arg(2));
    req.set_expected_bitrate_bps(std::strtoull(arg(3).c_str(), nullptr, 10));
    req.set_priority(static_cast<int32_t>(std::strtol(arg(4).c_str(), nullptr, 10)));
    req.set_title(arg(5));
    v1::Recording r;
    return report(recordings->StartRecording(&ctx, req, &r), &r);
  }
  if (call == "stop" || call == "get") {
    v1::Recording r;
    if (call == "stop") {
      v1::StopRecordingRequest req;
      req.set_name(arg(1));
      return report(recordings->StopRecording(&ctx, req, &r), &r);
    }
    v1::GetRecordingRequest req;
    req.set_name(arg(1));
    return report(recordings->GetRecording(&ctx, req, &r), &r);
  }
  if (call == "list") {
    v1::ListRecordingsRequest req;
    req.set_parent(arg(1));
    req.set_page_size(static_cast<int32_t>(std::strtol(arg(2).c_str(), nullptr, 10)));
    req.set_page_token(arg(3));
    v1::ListRecordingsResponse r;
    return report(recordings->ListRecordings(&ctx, req, &r), &r);
  }
  if (call == "get-drive") {
    v1::GetDriveRequest req;
    req.set_name(arg(1));
    v1::Drive d;
    return report(drives->GetDrive(&ctx, req, &d), &d);
  }
  if (call == "format") {
    v1::FormatMediumRequest req;
    req.set_name(arg(1));
    req.set_force(arg(2) == "1");
    v1::Drive d;
    return report(drives->FormatMedium(&ctx, req, &d), &d);
  }
  if (call == "finalize" || call == "verify") {
    std::unique_ptr<grpc::ClientReader<v1::DiscOperationProgress>> reader;
    if (call == "finalize") {
      v1::FinalizeDiscRequest req;
      req.set_name(arg(1));
      req.set_volume_label(arg(2));
      req.set_force(arg(3) == "1");
      reader = discs->FinalizeDisc(&ctx, req);
    } else {
      v1::VerifyDiscRequest req;
      req.set_name(arg(1));
      reader = discs->VerifyDisc(&ctx, req);
    }
    v1::DiscOperationProgress p, last;
    while (reader->Read(&p)) last = p;
    return report(reader->Finish(), &last);
  }
  if (call == "watch-hold") {
    const int count = std::atoi(arg(2).c_str());
    const int seconds = std::atoi(arg(3).c_str());
    std::atomic<int> served{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < count; ++i)
      threads.emplace_back([&] {
        grpc::ClientContext watch_ctx;
        watch_ctx.set_deadline(in(seconds));
        v1::WatchRecordingRequest req;
        req.set_name(arg(1));
        auto reader = recordings->WatchRecording(&watch_ctx, req);
        v1::Recording r;
        if (reader->Read(&r)) {
          ++served;
          while (reader->Read(&r)) {
          }
        }
        reader->Finish();
      });
    for (auto& t : threads) t.join();
    std::cout << "OK served " << served.load() << " of " << count << "\n";
    return 0;
  }
  std::cerr << "hostile_client: unknown call " << call << "\n";
  return 2;
}
