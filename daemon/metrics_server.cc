#include "daemon/metrics_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <exception>
#include <optional>
#include <set>
#include <thread>

namespace discrec::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
class Connection;
}  // namespace

struct MetricsServer::Impl {
  Impl(const MetricsServerOptions& o, Render r) : options(o), render(std::move(r)) {}
  void accept();

  const MetricsServerOptions options;
  const Render render;
  // Declared before the io_context: connections still queued in it when it
  // is destroyed take themselves out of here.
  std::set<Connection*> connections;  // the server's thread only
  uint16_t port = 0;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  bool stopped = false;
};

namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// One scraper's connection: requests in turn (keep-alive), each read and
// each write bounded by the timeout. Lives as long as an operation of it
// is pending.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(MetricsServer::Impl& server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)), buffer_(server.options.max_request_bytes) {
    server_.connections.insert(this);
  }
  ~Connection() { server_.connections.erase(this); }

  void read() {
    parser_.emplace();
    parser_->header_limit(server_.options.max_request_bytes);
    response_ = {};
    stream_.expires_after(server_.options.timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void on_read(beast::error_code ec) {
    // The peer closed, went quiet, sent too much or a body, or not HTTP:
    // nothing to answer.
    if (ec) return close();
    const auto& request = parser_->get();
    std::string_view target(request.target().data(), request.target().size());
    target = target.substr(0, target.find('?'));
    response_.version(request.version());
    response_.keep_alive(request.keep_alive());
    response_.set(http::field::server, "discrecd");
    if (target != "/metrics") {
      response_.result(http::status::not_found);
      response_.set(http::field::content_type, "text/plain; charset=utf-8");
      response_.body() = "not found: only /metrics is served here\n";
    } else if (request.method() != http::verb::get) {
      response_.result(http::status::method_not_allowed);
      response_.set(http::field::allow, "GET");
      response_.set(http::field::content_type, "text/plain; charset=utf-8");
      response_.body() = "only GET\n";
    } else {
      try {
        response_.body() = server_.render();
        response_.result(http::status::ok);
        response_.set(http::field::content_type, kContentType);
      } catch (const std::exception& e) {
        response_.result(http::status::internal_server_error);
        response_.set(http::field::content_type, "text/plain; charset=utf-8");
        response_.body() = std::string("cannot render the metrics: ") + e.what() + "\n";
      }
    }
    response_.prepare_payload();
    stream_.expires_after(server_.options.timeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->response_.keep_alive()) return self->close();
      self->read();
    });
  }

  MetricsServer::Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;  // at most max_request_bytes
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

void MetricsServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (stopped || !acceptor.is_open()) return;
    if (!ec) {
      if (connections.size() >= options.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);  // over the cap: turned away at once
      } else {
        std::make_shared<Connection>(*this, std::move(socket))->read();
      }
    }
    accept();
  });
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const MetricsServerOptions& options, Render render) {
  const std::string where = options.host + ":" + std::to_string(options.port);
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (ec) return Error(ErrorCode::kInvalidArgument, "metrics: '" + options.host + "' is not an IP address");
  auto impl = std::make_unique<Impl>(options, std::move(render));
  const tcp::endpoint endpoint(address, options.port);
  auto fail = [&](const char* what) {
    return Error(ErrorCode::kUnavailable, "metrics: cannot " + std::string(what) + " " + where + ": " + ec.message());
  };
  if (impl->acceptor.open(endpoint.protocol(), ec)) return fail("open a socket for");
  if (impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec)) return fail("set up");
  if (impl->acceptor.bind(endpoint, ec)) return fail("listen on");
  if (impl->acceptor.listen(16, ec)) return fail("listen on");
  impl->port = impl->acceptor.local_endpoint(ec).port();
  impl->accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    // A handler that throws (out of memory) costs that connection, not the
    // server.
    for (;;) {
      try {
        raw->io.run();
        return;
      } catch (const std::exception&) {
      }
    }
  });
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

MetricsServer::~MetricsServer() { stop(); }

uint16_t MetricsServer::port() const { return impl_->port; }

void MetricsServer::stop() {
  if (!impl_->thread.joinable()) return;
  asio::post(impl_->io, [impl = impl_.get()] {
    impl->stopped = true;
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    // Peers see the end now, not when the server is destroyed.
    for (Connection* c : impl->connections) c->close();
    impl->io.stop();
  });
  impl_->thread.join();
}

}  // namespace discrec::daemon
