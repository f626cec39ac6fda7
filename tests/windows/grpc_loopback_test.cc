// gRPC and protobuf as built for Windows by tools/windows_deps.sh: the
// discrec/v1 API served on a loopback TCP port and called by a client in the
// same process, as discrecd.exe and discrec.exe will talk. Under wine this
// is Winsock, gRPC's Windows I/O manager (IOCP) and the mingw protobuf.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "discrec/v1/daemon.grpc.pb.h"

namespace {

class FakeDaemon final : public discrec::v1::DaemonService::Service {
 public:
  grpc::Status GetDaemonInfo(grpc::ServerContext*, const discrec::v1::GetDaemonInfoRequest*,
                             discrec::v1::DaemonInfo* info) override {
    info->set_version("windows-loopback");
    info->mutable_uptime()->set_seconds(42);
    for (int i = 0; i < 1000; ++i) info->add_drives("drives/win" + std::to_string(i));
    info->set_active_recordings(3);
    info->set_state_directory("C:\\ProgramData\\discrec");
    return grpc::Status::OK;
  }
};

TEST(WindowsGrpc, TheApiIsServedAndCalledOverLoopbackTcp) {
  FakeDaemon service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0);

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto stub = discrec::v1::DaemonService::NewStub(channel);
  // Several clients at once, as the CLI and a monitoring agent would be.
  std::vector<std::thread> clients;
  std::vector<int> ok(4, 0);
  for (size_t c = 0; c < ok.size(); ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 20; ++i) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        discrec::v1::DaemonInfo info;
        const grpc::Status status = stub->GetDaemonInfo(&context, {}, &info);
        if (status.ok() && info.version() == "windows-loopback" && info.drives_size() == 1000 &&
            info.drives(999) == "drives/win999" && info.uptime().seconds() == 42 &&
            info.state_directory() == "C:\\ProgramData\\discrec")
          ++ok[c];
      }
    });
  }
  for (auto& t : clients) t.join();
  for (size_t c = 0; c < ok.size(); ++c) EXPECT_EQ(ok[c], 20) << "client " << c;
  server->Shutdown();
}

TEST(WindowsGrpc, ACallToAPortNobodyServesFailsUnavailableWithinItsDeadline) {
  // Bind and release a port so that nobody listens on it.
  int port = 0;
  {
    FakeDaemon service;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    auto server = builder.BuildAndStart();
    ASSERT_NE(server, nullptr);
    server->Shutdown();
  }
  auto stub = discrec::v1::DaemonService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  discrec::v1::DaemonInfo info;
  const grpc::Status status = stub->GetDaemonInfo(&context, {}, &info);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(status.error_code() == grpc::StatusCode::UNAVAILABLE ||
              status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
      << status.error_code() << " " << status.error_message();
}

}  // namespace
