#include "daemon/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/gated_services.h"
#include "daemon/host.h"
#include "daemon/log.h"

namespace discrec::daemon {
namespace {

Result<std::string> read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kNotFound, std::string("cannot read ") + what + " " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct BearerToken {
  std::string expected;  // "Bearer <token>"
  Role role;
};

// Accepts a call only with "authorization: Bearer <token>" naming one of the
// configured tokens, and records that token's role in the auth context
// (Access::kRoleProperty), where Access::identify finds it.
class BearerTokenProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit BearerTokenProcessor(std::vector<BearerToken> tokens) : tokens_(std::move(tokens)) {}
  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context, OutputMetadata* consumed,
                       OutputMetadata*) override {
    // Refused here, the call never reaches the gate: logged here, with
    // what was wrong and never what was sent.
    auto refuse = [&](const char* why) {
      grpc::Status status(grpc::StatusCode::UNAUTHENTICATED, why);
      std::string method = "a call";
      if (auto path = auth_metadata.find(":path"); path != auth_metadata.end()) {
        std::string_view p(path->second.data(), path->second.size());
        method = std::string(p.substr(p.rfind('/') + 1).substr(0, 64));
      }
      log_refused_call("a TCP client", method, status);
      return status;
    };
    auto it = auth_metadata.find("authorization");
    if (it == auth_metadata.end()) return refuse("missing 'authorization: Bearer <token>'");
    std::string got(it->second.data(), it->second.size());
    // Constant-time compare against every token (no early exit): the tokens
    // are secrets, and which one matched must not show in the timing either.
    std::optional<Role> matched;
    for (const auto& token : tokens_) {
      unsigned diff = got.size() ^ token.expected.size();
      for (size_t i = 0; i < got.size(); ++i)
        diff |= static_cast<unsigned char>(got[i]) ^
                static_cast<unsigned char>(token.expected[i % token.expected.size()]);
      if (diff == 0) matched = token.role;
    }
    if (!matched) return refuse("bad bearer token");
    context->AddProperty(Access::kRoleProperty, role_name(*matched));
    consumed->insert(std::make_pair(std::string(it->first.data(), it->first.size()), got));
    return grpc::Status::OK;
  }

 private:
  std::vector<BearerToken> tokens_;
};

Result<std::string> read_token(const TcpConfig& tcp, const std::string& path) {
  RETURN_IF_ERROR(check_secret_file(path, "token file", tcp.allow_readable_secrets));
  ASSIGN_OR_RETURN(std::string token, read_file(path, "token file"));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.size() < 16) return Error(ErrorCode::kInvalidArgument, "token in " + path + " is shorter than 16 characters");
  return token;
}

Result<std::shared_ptr<grpc::ServerCredentials>> tcp_credentials(const TcpConfig& tcp) {
  // Secrets first: a readable key or token is refused before anything else.
  std::vector<BearerToken> tokens;
  const std::pair<const std::string*, Role> files[] = {
      {&tcp.observe_token_file, Role::kObserve}, {&tcp.token_file, Role::kControl}, {&tcp.admin_token_file, Role::kAdmin}};
  for (const auto& [file, role] : files) {
    if (file->empty()) continue;
    ASSIGN_OR_RETURN(std::string token, read_token(tcp, *file));
    for (const auto& other : tokens)
      if (other.expected == "Bearer " + token)
        return Error(ErrorCode::kInvalidArgument, "token in " + *file + " is also configured for role " +
                                                      role_name(other.role) + "; each role needs its own token");
    tokens.push_back({"Bearer " + token, role});
  }
  grpc::SslServerCredentialsOptions ssl(tcp.client_ca_file.empty()
                                            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ASSIGN_OR_RETURN(std::string cert, read_file(tcp.tls_cert_file, "TLS certificate"));
  RETURN_IF_ERROR(check_secret_file(tcp.tls_key_file, "TLS key", tcp.allow_readable_secrets));
  ASSIGN_OR_RETURN(std::string key, read_file(tcp.tls_key_file, "TLS key"));
  ssl.pem_key_cert_pairs.push_back({key, cert});
  if (!tcp.client_ca_file.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_root_certs, read_file(tcp.client_ca_file, "client CA"));
  }
  auto creds = grpc::SslServerCredentials(ssl);
  if (!tokens.empty()) creds->SetAuthMetadataProcessor(std::make_shared<BearerTokenProcessor>(std::move(tokens)));
  return creds;
}

}  // namespace

Server::Server(ServiceContext& context, AccessPolicy policy)
    : context_(context),
      access_(context.config, std::move(policy)),
      drives_(context),
      recordings_(context),
      discs_(context),
      events_(context),
      daemon_(context),
      catalog_(context),
      gated_drives_(access_, drives_),
      gated_recordings_(access_, recordings_),
      gated_discs_(access_, discs_),
      gated_events_(access_, events_),
      gated_daemon_(access_, daemon_),
      gated_catalog_(access_, catalog_) {}

Server::~Server() {
  shutdown();
  if (context_.access == &access_) context_.access = nullptr;
}

Result<std::unique_ptr<Server>> Server::start(ServiceContext& context) {
  const Config& config = context.config;
  uint32_t socket_gid = daemon_gid();
  if (!config.socket_path.empty()) {
    ASSIGN_OR_RETURN(socket_gid, socket_group_id(config));
  }
  ASSIGN_OR_RETURN(AccessPolicy policy, AccessPolicy::create(config.access, daemon_uid(), socket_gid));
  std::unique_ptr<Server> server(new Server(context, std::move(policy)));
  context.access = &server->access_;
  warn_about_fd_limit(config.max_connections);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Every call holds a gRPC thread. CallSlot caps calls and watch streams
  // below this, so a flood meets our RESOURCE_EXHAUSTED (for the flooder
  // only) and never gRPC's "Server Threadpool Exhausted" (for everyone).
  // The margin covers gRPC's pollers and calls being refused. The
  // recorder's writer threads are separate and never wait on these.
  grpc::ResourceQuota quota("discrecd");
  quota.SetMaxThreads(static_cast<int>(config.max_calls + config.max_watch_streams) + 32);
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(1 << 20);
  // Per connection: no more streams than one peer may have calls, so one
  // connection cannot queue hundreds of them.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             static_cast<int>(config.max_calls_per_peer + config.max_watch_streams_per_peer));
  // Dead peers (a crashed client, a cut network) must give their connection
  // and slots back: ping after 60 s of silence, drop after 20 s unanswered;
  // a connection with no call for 5 minutes is closed (clients reconnect).
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 300'000);

  if (!config.socket_path.empty()) {
    ASSIGN_OR_RETURN(server->listener_, UnixListener::create(config, socket_gid));
  }
  if (config.tcp) {
    ASSIGN_OR_RETURN(auto creds, tcp_credentials(*config.tcp));
    builder.AddListeningPort(config.tcp->listen, creds);
  }
  builder.RegisterService(&server->gated_drives_);
  builder.RegisterService(&server->gated_recordings_);
  builder.RegisterService(&server->gated_discs_);
  builder.RegisterService(&server->gated_events_);
  builder.RegisterService(&server->gated_daemon_);
  builder.RegisterService(&server->gated_catalog_);
  server->server_ = builder.BuildAndStart();
  if (!server->server_) {
    return Error(ErrorCode::kUnavailable, "cannot start the gRPC server" +
                                              (config.tcp ? " on " + config.tcp->listen + " (in use, or no permission?)"
                                                          : std::string()));
  }
  if (server->listener_) server->listener_->start(*server->server_, server->access_);
  return server;
}

void Server::shutdown() {
  // First no new connections (the loop must not hand an fd to a server
  // that is shutting down), then the calls.
  if (listener_) listener_->stop();
  if (server_) {
    context_.shutting_down = true;
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
}

void Server::wait() {
  if (server_) server_->Wait();
}

}  // namespace discrec::daemon
