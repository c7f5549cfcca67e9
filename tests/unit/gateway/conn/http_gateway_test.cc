// MTProto over HTTP POST in the gateway. HttpExchange alone (request/answer matching, the
// queue bound, max wait) over a real HttpServerCodec; then a real Gateway in-process on a
// loopback port with an echo adapter, driven by Boost.Beast as an independent HTTP client:
// keep-alive, pipelined requests answered in order, the probe POST, an adapter transport
// error as the HTTP status, and a request nobody answers released after http_max_wait_ms.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "backend-adapters/api/adapter.h"
#include "codecs/http/http_server_codec.h"
#include "gateway/conn/http_exchange.h"
#include "gateway/conn/http_holders.h"
#include "gateway/runtime/gateway.h"

namespace mtedge::gateway {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using mtedge::Bytes;

// ---- HttpExchange ----------------------------------------------------------------------------

struct Requests : codecs::http::RequestSink {
  std::vector<uint64_t> ids;
  bool on_request(const codecs::http::Request& r) override {
    ids.push_back(r.id);
    return true;
  }
  bool on_upgrade(const codecs::http::UpgradeRequest&) override { return false; }
};

std::string post(const std::string& body) {
  return "POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

void feed(codecs::http::HttpServerCodec& codec, Requests& sink, const std::string& text) {
  Bytes in(text.begin(), text.end());
  ASSERT_EQ(codec.feed(in, sink).error, codecs::CodecError::kNone);
}

std::string output(codecs::http::HttpServerCodec& codec) {
  Bytes out;
  codec.take_output(out);
  return std::string(out.begin(), out.end());
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

TEST(GatewayHttpExchange, PacketsAnswerTheOldestWaitingRequest) {
  codecs::http::HttpServerCodec codec;
  Requests sink;
  HttpExchange ex(codec, 1000, 1 << 20);
  feed(codec, sink, post("aaaaaaaa") + post("bbbbbbbb"));
  ASSERT_EQ(sink.ids.size(), 2u);
  ex.on_request(sink.ids[0], 0);
  ex.on_request(sink.ids[1], 10);
  EXPECT_EQ(ex.next_deadline_ms(), 1000u);
  const Bytes one = {'1', '1', '1', '1'};
  EXPECT_EQ(ex.deliver(one), HttpExchange::Delivery::kAnswered);
  EXPECT_TRUE(ends_with(output(codec), "\r\n\r\n1111"));
  EXPECT_EQ(ex.next_deadline_ms(), 1010u);
  // The second waits until its max wait: then 200 with an empty body.
  EXPECT_EQ(ex.expire(1009), 0u);
  EXPECT_EQ(ex.expire(1010), 1u);
  const std::string empty = output(codec);
  EXPECT_EQ(empty.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_TRUE(ends_with(empty, "Content-Length: 0\r\n\r\n"));
  EXPECT_FALSE(ex.has_waiting());
}

TEST(GatewayHttpExchange, QueuedPacketsAnswerTheNextRequestAtOnce) {
  codecs::http::HttpServerCodec codec;
  Requests sink;
  HttpExchange ex(codec, 1000, 10);
  const Bytes a = {'a', 'a', 'a', 'a'};
  const Bytes b = {'b', 'b', 'b', 'b', 'b', 'b'};
  EXPECT_EQ(ex.deliver(a), HttpExchange::Delivery::kQueued);
  EXPECT_EQ(ex.deliver(b), HttpExchange::Delivery::kQueued);
  EXPECT_EQ(ex.deliver(a), HttpExchange::Delivery::kOverflow);  // 14 bytes > 10
  EXPECT_EQ(ex.queued_packets(), 2u);
  feed(codec, sink, post("xxxxxxxx"));
  ex.on_request(sink.ids[0], 0);
  EXPECT_FALSE(ex.has_waiting());
  EXPECT_TRUE(ends_with(output(codec), "\r\n\r\naaaa"));
  EXPECT_EQ(ex.queued_bytes(), 6u);
}

// ---- HttpHolders --------------------------------------------------------------------------

TEST(GatewayHttpHolders, LongestHolderOfTheSameKeySkippingTheAsker) {
  HttpHolders holders;
  EXPECT_EQ(holders.longest({7}, 1), std::nullopt);
  holders.hold({7}, 10);
  holders.hold({7}, 11);
  holders.hold({7}, 10);  // holding again keeps its place
  holders.hold({8}, 12);
  EXPECT_EQ(holders.longest({7}, 99), 10u);
  EXPECT_EQ(holders.longest({7}, 10), 11u);  // never the connection that asks
  EXPECT_EQ(holders.longest({8}, 12), std::nullopt);
  EXPECT_EQ(holders.longest({9}, 99), std::nullopt);  // another key's holders never answer
  holders.release({7}, 10);
  EXPECT_EQ(holders.longest({7}, 99), 11u);
  holders.hold({7}, 10);  // back at the end of the line
  EXPECT_EQ(holders.longest({7}, 99), 11u);
  EXPECT_EQ(holders.keys(), 2u);
  holders.release({7}, 10);
  holders.release({7}, 11);
  holders.release({8}, 12);
  holders.release({8}, 12);  // releasing twice is harmless
  EXPECT_EQ(holders.keys(), 0u);
}

TEST(GatewayHttpHolders, UnverifiedKeysAreHeldPerSource) {
  HttpHolders holders;
  const uint8_t victim_ip[4] = {10, 0, 0, 1};
  const uint8_t thief_ip[4] = {10, 0, 0, 2};
  const HoldKey victim{7, source_bucket(AF_INET, victim_ip)};
  const HoldKey thief{7, source_bucket(AF_INET, thief_ip)};
  holders.hold(thief, 20);
  EXPECT_EQ(holders.longest(victim, 10), std::nullopt);
  holders.hold(victim, 11);
  EXPECT_EQ(holders.longest(victim, 10), 11u);
  EXPECT_EQ(holders.longest(thief, 10), 20u);
}

TEST(GatewayHttpExchange, TransportErrorAnswersWithItsStatus) {
  codecs::http::HttpServerCodec codec;
  Requests sink;
  HttpExchange ex(codec, 1000, 1 << 20);
  EXPECT_FALSE(ex.deliver_error(-404));  // nothing waits
  feed(codec, sink, post("xxxxxxxx"));
  ex.on_request(sink.ids[0], 0);
  EXPECT_TRUE(ex.deliver_error(-429));
  EXPECT_EQ(output(codec).rfind("HTTP/1.1 429 ", 0), 0u);
  EXPECT_TRUE(codec.should_close());
}

// ---- The gateway, with Boost.Beast as the client ----------------------------------------------

// Echoes every packet; a packet starting 0xee gets transport error -444, one starting 'Q'
// no answer at all.
class EchoAdapter : public backend::BackendAdapter {
 public:
  explicit EchoAdapter(const backend::AdapterContext& ctx, std::vector<std::string>& seen,
                       std::mutex& mu)
      : ctx_(ctx), seen_(seen), mu_(mu) {}
  void on_open(const backend::ConnInfo& info) override {
    std::lock_guard lock(mu_);
    seen_.push_back(std::string(codecs::transport_name(info.transport)) + "/" +
                    std::string(codecs::transport_name(info.framing)));
  }
  bool on_frame(const backend::Frame& frame) override {
    if (frame.packet[0] == 0xee) {
      ctx_.sink->send_transport_error(frame.conn_id, -444);
    } else if (frame.packet[0] != 'Q') {
      ctx_.sink->send_packet(frame.conn_id, frame.packet);
    }
    return true;
  }
  void on_close(backend::ConnId, backend::CloseReason) override {}

 private:
  backend::AdapterContext ctx_;
  std::vector<std::string>& seen_;
  std::mutex& mu_;
};

struct Fixture {
  std::vector<std::string> seen;
  std::mutex mu;
  Config config;
  Fixture() {
    config.gateway.workers = 1;
    config.gateway.shutdown_timeout_ms = 2000;
    config.gateway.http_max_wait_ms = 300;
    ListenerConfig l;
    l.name = "http";
    l.address_text = "127.0.0.1:0";
    l.address = parse_address(l.address_text).value();
    l.transports = {codecs::TransportKind::kHttp};
    config.listeners.push_back(l);
    config.backend_type = "echo";
    config.make_adapter = [this](const backend::AdapterContext& ctx) {
      return std::make_unique<EchoAdapter>(ctx, seen, mu);
    };
  }
};

http::request<http::string_body> beast_post(const std::string& target, const std::string& body) {
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.keep_alive(true);
  req.body() = body;
  req.prepare_payload();
  return req;
}

std::string packet(char first, size_t size) {
  std::string p(size, '\0');
  for (size_t i = 0; i < size; ++i) p[i] = char('a' + i % 26);
  p[0] = first;
  return p;
}

TEST(GatewayHttp, BeastKeepAlivePipeliningProbeAndErrors) {
  Fixture f;
  Gateway gw(f.config);
  ASSERT_TRUE(gw.start().is_ok());
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), gw.bound_port(0)));
  beast::flat_buffer buffer;

  // The probe, then keep-alive round trips (one of 200 KiB).
  http::write(stream, beast_post("/apiw1", ""));
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "");
  EXPECT_EQ(res[http::field::access_control_allow_origin], "*");
  for (size_t size : {16u, 200u * 1024u}) {
    http::write(stream, beast_post("/api", packet('p', size)));
    http::response<http::string_body> r;
    http::read(stream, buffer, r);
    EXPECT_EQ(r.result_int(), 200);
    EXPECT_EQ(r.body(), packet('p', size));
    EXPECT_TRUE(r.keep_alive());
    EXPECT_EQ(r[http::field::content_type], "application/octet-stream");
  }

  // Pipelined: a request nobody answers first, then two that are echoed. Answers leave in
  // request order: the echoes answer the first two requests (oldest first), the third is
  // released empty after http_max_wait_ms.
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& body : {packet('Q', 12), packet('1', 12), packet('2', 12)}) {
    http::write(stream, beast_post("/api", body));
  }
  std::vector<std::string> bodies;
  for (int i = 0; i < 3; ++i) {
    http::response<http::string_body> r;
    http::read(stream, buffer, r);
    EXPECT_EQ(r.result_int(), 200);
    bodies.push_back(r.body());
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{packet('1', 12), packet('2', 12), ""}));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));

  // A transport error from the adapter: its status, then the connection closes.
  http::write(stream, beast_post("/api", packet(char(0xee), 12)));
  http::response<http::string_body> err;
  http::read(stream, buffer, err);
  EXPECT_EQ(err.result_int(), 444);
  EXPECT_FALSE(err.keep_alive());
  beast::error_code ec;
  http::response<http::string_body> none;
  http::read(stream, buffer, none, ec);
  EXPECT_TRUE(ec);  // closed by the gateway
  {
    std::lock_guard lock(f.mu);
    EXPECT_EQ(f.seen, std::vector<std::string>{"http/http"});
  }
  gw.begin_shutdown();
  gw.wait();
}

}  // namespace
}  // namespace mtedge::gateway
