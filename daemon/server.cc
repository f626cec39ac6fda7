#include "daemon/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace discrec::daemon {
namespace {

Result<std::string> read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kNotFound, std::string("cannot read ") + what + " " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Accepts a call only with "authorization: Bearer <token>".
class BearerTokenProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit BearerTokenProcessor(std::string token) : expected_("Bearer " + std::move(token)) {}
  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext*, OutputMetadata* consumed,
                       OutputMetadata*) override {
    auto it = auth_metadata.find("authorization");
    if (it == auth_metadata.end())
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing 'authorization: Bearer <token>'");
    std::string got(it->second.data(), it->second.size());
    // Constant-time compare: the token is a secret.
    unsigned diff = got.size() ^ expected_.size();
    for (size_t i = 0; i < got.size(); ++i) diff |= static_cast<unsigned char>(got[i]) ^
                                                    static_cast<unsigned char>(expected_[i % expected_.size()]);
    if (diff != 0) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad bearer token");
    consumed->insert(std::make_pair(std::string(it->first.data(), it->first.size()), got));
    return grpc::Status::OK;
  }

 private:
  std::string expected_;
};

Result<std::shared_ptr<grpc::ServerCredentials>> tcp_credentials(const TcpConfig& tcp) {
  grpc::SslServerCredentialsOptions ssl(tcp.client_ca_file.empty()
                                            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ASSIGN_OR_RETURN(std::string cert, read_file(tcp.tls_cert_file, "TLS certificate"));
  ASSIGN_OR_RETURN(std::string key, read_file(tcp.tls_key_file, "TLS key"));
  ssl.pem_key_cert_pairs.push_back({key, cert});
  if (!tcp.client_ca_file.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_root_certs, read_file(tcp.client_ca_file, "client CA"));
  }
  auto creds = grpc::SslServerCredentials(ssl);
  if (!tcp.token_file.empty()) {
    ASSIGN_OR_RETURN(std::string token, read_file(tcp.token_file, "token file"));
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.size() < 16) return Error(ErrorCode::kInvalidArgument, "token in " + tcp.token_file + " is shorter than 16 characters");
    creds->SetAuthMetadataProcessor(std::make_shared<BearerTokenProcessor>(token));
  }
  return creds;
}

}  // namespace

Server::Server(ServiceContext& context)
    : context_(context), drives_(context), recordings_(context), discs_(context), events_(context), daemon_(context) {}

Server::~Server() { shutdown(); }

Result<std::unique_ptr<Server>> Server::start(ServiceContext& context) {
  const Config& config = context.config;
  std::unique_ptr<Server> server(new Server(context));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Bound the threads a flood of clients can take; the recorder's writer
  // threads are separate and never wait on these.
  grpc::ResourceQuota quota("discrecd");
  quota.SetMaxThreads(static_cast<int>(config.max_watch_streams) + 32);
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(1 << 20);

  if (!config.socket_path.empty()) {
    std::filesystem::path socket(config.socket_path);
    std::error_code ec;
    std::filesystem::create_directories(socket.parent_path(), ec);
    if (std::filesystem::exists(socket, ec)) std::filesystem::remove(socket, ec);
    builder.AddListeningPort("unix:" + config.socket_path, grpc::InsecureServerCredentials());
  }
  if (config.tcp) {
    ASSIGN_OR_RETURN(auto creds, tcp_credentials(*config.tcp));
    builder.AddListeningPort(config.tcp->listen, creds);
  }
  builder.RegisterService(&server->drives_);
  builder.RegisterService(&server->recordings_);
  builder.RegisterService(&server->discs_);
  builder.RegisterService(&server->events_);
  builder.RegisterService(&server->daemon_);
  server->server_ = builder.BuildAndStart();
  if (!server->server_) {
    return Error(ErrorCode::kUnavailable, "cannot listen on " +
                                              (config.socket_path.empty() ? config.tcp->listen : "unix:" + config.socket_path) +
                                              " (in use, or no permission?)");
  }
  if (!config.socket_path.empty() && ::chmod(config.socket_path.c_str(), config.socket_mode) != 0) {
    return Error(ErrorCode::kIo, "chmod " + config.socket_path + ": " + std::strerror(errno));
  }
  return server;
}

void Server::shutdown() {
  if (server_) {
    context_.shutting_down = true;
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
}

void Server::wait() {
  if (server_) server_->Wait();
}

}  // namespace discrec::daemon
