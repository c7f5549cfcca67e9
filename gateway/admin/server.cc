#include "gateway/admin/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstring>

#include "gateway/admin/http_codec.h"
#include "gateway/admin/router.h"

namespace mtedge::gateway::admin {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// The peer as the router wants it (family and network-order bytes).
struct Peer {
  int family = 0;
  std::array<uint8_t, 16> bytes{};
  std::string text;
};

Peer peer_of(const tcp::socket& socket) {
  Peer peer;
  beast::error_code ec;
  const tcp::endpoint endpoint = socket.remote_endpoint(ec);
  if (ec) return peer;
  const asio::ip::address address = endpoint.address();
  peer.text = address.to_string();
  if (address.is_v4()) {
    peer.family = AF_INET;
    const auto b = address.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), peer.bytes.begin());
  } else {
    peer.family = AF_INET6;
    const auto b = address.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), peer.bytes.begin());
  }
  return peer;
}

}  // namespace

namespace {

// One admin connection: read one request under the limits, answer, close.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const ServerOptions& options, Views& views, Counters& counters,
          uint32_t& open_sessions)
      : stream_(std::move(socket)),
        options_(options),
        views_(views),
        counters_(counters),
        open_sessions_(open_sessions) {
    ++open_sessions_;
    peer_ = peer_of(stream_.socket());
    apply_limits(parser_);
  }
  ~Session() { --open_sessions_; }

  void start() {
    stream_.expires_after(options_.read_deadline);
    http::async_read(
        stream_, buffer_, parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec == beast::error::timeout) {
      counters_.timed_out.fetch_add(1, std::memory_order_relaxed);
      return close();
    }
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted) {
      return close();
    }
    Response response;
    if (ec) {
      response = parse_failure(ec);
    } else {
      const Request request = from_beast(parser_.get(), peer_.family, peer_.bytes.data());
      response = route(request, options_.policy, views_);
      spdlog::debug("admin: {}", request_log_line(request, peer_.text, response.status));
    }
    counters_.count_answer(response.status);
    answer_ = std::make_unique<BeastResponse>(to_beast(response));
    stream_.expires_after(options_.read_deadline);
    http::async_write(stream_, *answer_,
                      [self = shared_from_this()](beast::error_code, size_t) { self->close(); });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  const ServerOptions& options_;
  Views& views_;
  Counters& counters_;
  uint32_t& open_sessions_;
  Peer peer_;
  beast::flat_buffer buffer_;  // bounded by the parser's limits
  RequestParser parser_;
  std::unique_ptr<BeastResponse> answer_;
};

// Accepts admin connections until the acceptor closes. Any other accept error (EMFILE,
// ENFILE, ENOBUFS, ...) is logged at most once a second and retried after kAcceptRetry, so a
// lasting one does not spin the thread.
class AcceptLoop {
 public:
  static constexpr std::chrono::milliseconds kAcceptRetry{100};
  static constexpr std::chrono::seconds kErrorLogInterval{1};

  AcceptLoop(asio::io_context& io, const ServerOptions& options, Views& views, Counters& counters,
             uint32_t& open_sessions)
      : acceptor_(io),
        retry_(io),
        options_(options),
        views_(views),
        counters_(counters),
        open_sessions_(open_sessions) {}

  tcp::acceptor& acceptor() { return acceptor_; }

  void next() {
    acceptor_.async_accept(
        [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
  }

  void close() {
    beast::error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
  }

 private:
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) return retry_later(ec);
    const Peer peer = peer_of(socket);
    if (peer.family == 0 || !any_contains(options_.policy.allow, peer.family, peer.bytes.data())) {
      // Refused before any byte is read: holds no connection slot, gets no answer.
      counters_.forbidden.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("admin: refused {} at accept (not in admin.allow)", peer.text);
      beast::error_code ignored;
      socket.close(ignored);
    } else if (open_sessions_ >= options_.max_connections) {
      counters_.busy.fetch_add(1, std::memory_order_relaxed);
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Session>(std::move(socket), options_, views_, counters_, open_sessions_)
          ->start();
    }
    next();
  }

  void retry_later(beast::error_code ec) {
    ++failed_accepts_;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_error_log_ >= kErrorLogInterval) {
      spdlog::warn("admin: accept failed: {} ({} time(s) since the last report); retrying",
                   ec.message(), failed_accepts_);
      failed_accepts_ = 0;
      last_error_log_ = now;
    }
    retry_.expires_after(kAcceptRetry);
    retry_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor_.is_open()) next();
    });
  }

  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  const ServerOptions& options_;
  Views& views_;
  Counters& counters_;
  uint32_t& open_sessions_;
  uint64_t failed_accepts_ = 0;
  std::chrono::steady_clock::time_point last_error_log_{};
};

}  // namespace

struct Server::State {
  State(const ServerOptions& options, Views& views, Counters& counters)
      : accept_loop(io, options, views, counters, open_sessions) {}
  uint32_t open_sessions = 0;  // on the io thread only; outlives the sessions io destroys
  asio::io_context io{1};
  AcceptLoop accept_loop;
};

Server::Server(ServerOptions options, Views& views, Counters& counters)
    : options_(std::move(options)), views_(views), counters_(counters) {}

Server::~Server() {
  stop();
}

Status Server::start() {
  state_ = std::make_unique<State>(options_, views_, counters_);
  tcp::acceptor& acceptor = state_->accept_loop.acceptor();
  const tcp::endpoint endpoint = [&] {
    tcp::endpoint e;
    std::memcpy(e.data(), options_.address.get(), options_.address.size());
    e.resize(options_.address.size());
    return e;
  }();
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(64, ec);
  if (ec) {
    state_.reset();
    return Status::error("admin.address: cannot listen on " +
                         format_address(options_.address.get()) + ": " + ec.message());
  }
  port_ = acceptor.local_endpoint().port();
  SocketAddress shown = options_.address;
  shown.set_port(port_);
  spdlog::info("admin: management API on http://{} (/metrics /health /ready /v1/)",
               format_address(shown.get()));
  state_->accept_loop.next();
  thread_ = std::thread([this] { state_->io.run(); });
  return Status::ok();
}

void Server::stop() {
  if (!thread_.joinable()) return;
  asio::post(state_->io, [this] {
    state_->accept_loop.close();
    state_->io.stop();
  });
  thread_.join();
  state_.reset();  // destroys the sessions still pending
}

}  // namespace mtedge::gateway::admin
