// The WebSocket transport of the gateway, driven by Boost.Beast as an independent client:
// a real Gateway in-process on a loopback port, an echo adapter, and Beast speaking
// obfuscated2 + abridged inside binary messages on /apiws (subprotocol `binary`). Checks
// the ConnInfo transport name, one transport packet per message (including a packet that
// is fragmented), ping/pong, and the close with 1000 + the transport error as reason.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "backend-adapters/api/adapter.h"
#include "codecs/core/transport_stack.h"
#include "codecs/detector/detector.h"
#include "codecs/obfuscated/obfuscated2.h"
#include "gateway/runtime/gateway.h"
#include "tests/support/beast_ws_client.h"

namespace mtedge::gateway {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bws = boost::beast::websocket;
using tcp = net::ip::tcp;
using mtedge::Bytes;

struct Seen {
  std::mutex mu;
  std::vector<std::string> transports;
};

// Sends every packet back; a packet whose first auth_key_id byte is 0xee is answered with
// transport error -444 instead.
class EchoAdapter : public backend::BackendAdapter {
 public:
  EchoAdapter(const backend::AdapterContext& ctx, Seen& seen) : ctx_(ctx), seen_(seen) {}
  void on_open(const backend::ConnInfo& info) override {
    std::lock_guard lock(seen_.mu);
    seen_.transports.push_back(backend::transport_path(info));
  }
  bool on_frame(const backend::Frame& frame) override {
    if (frame.packet[0] == 0xee) {
      ctx_.sink->send_transport_error(frame.conn_id, -444);
    } else {
      ctx_.sink->send_packet(frame.conn_id, frame.packet);
    }
    return true;
  }
  void on_close(backend::ConnId, backend::CloseReason) override {}

 private:
  backend::AdapterContext ctx_;
  Seen& seen_;
};

Config make_config(Seen& seen) {
  Config c;
  c.gateway.workers = 1;
  c.gateway.shutdown_timeout_ms = 2000;
  ListenerConfig l;
  l.name = "ws";
  l.address_text = "127.0.0.1:0";
  l.address = parse_address(l.address_text).value();
  l.transports = {codecs::TransportKind::kWebSocket};
  c.listeners.push_back(l);
  c.backend_type = "echo";
  c.make_adapter = [&seen](const backend::AdapterContext& ctx) {
    return std::make_unique<EchoAdapter>(ctx, seen);
  };
  return c;
}

Bytes packet(size_t size, uint8_t first) {
  Bytes p(size);
  for (size_t i = 0; i < size; ++i) p[i] = uint8_t(first + i * 13);
  p[0] = first;
  return p;
}

using test::BeastWsClient;
using Collect = test::CollectSink;

TEST(GatewayWebSocket, BeastRoundTripsOnePacketPerMessage) {
  Seen seen;
  Gateway gw(make_config(seen));
  ASSERT_TRUE(gw.start().is_ok());
  BeastWsClient client(gw.bound_port(0));
  EXPECT_EQ(client.protocol(), "binary");

  for (size_t size : {size_t(16), size_t(1024), size_t(700 * 1024)}) {
    Collect sink;
    const Bytes p = packet(size, uint8_t(size));
    client.send(p);
    ASSERT_TRUE(client.read_message(sink));
    ASSERT_EQ(sink.packets.size(), 1u) << size;  // the whole packet in this one message
    EXPECT_EQ(sink.packets[0], p);
  }
  {
    std::lock_guard lock(seen.mu);
    EXPECT_EQ(seen.transports, std::vector<std::string>{"websocket/obfuscated/abridged"});
  }

  std::atomic<bool> ponged{false};
  client.ws().control_callback([&](bws::frame_type kind, beast::string_view payload) {
    if (kind == bws::frame_type::pong && payload == "p1") ponged = true;
  });
  client.ws().ping("p1");
  Collect sink;
  client.send(packet(32, 1));
  ASSERT_TRUE(client.read_message(sink));  // the pong is read (and reported) on the way
  EXPECT_TRUE(ponged);
  ASSERT_EQ(sink.packets.size(), 1u);

  // A transport error: inside the stream, then close 1000 with the code as reason.
  Collect error_sink;
  client.send(packet(32, 0xee));
  ASSERT_TRUE(client.read_message(error_sink));
  EXPECT_EQ(error_sink.errors, std::vector<int32_t>{-444});
  EXPECT_FALSE(client.read_message(error_sink));
  EXPECT_EQ(client.ws().reason().code, bws::close_code::normal);
  EXPECT_EQ(std::string(client.ws().reason().reason.c_str()), "-444");
  gw.begin_shutdown();
  gw.wait();
}

}  // namespace
}  // namespace mtedge::gateway
