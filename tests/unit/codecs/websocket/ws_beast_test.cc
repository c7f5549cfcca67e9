// Boost.Beast's WebSocket client, over a real loopback socket, against our HTTP upgrade
// handling, handshake and WsStreamStage: subprotocol, masking, fragmented messages both
// ways, ping/pong and the close handshake, checked by an independent implementation.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "codecs/http/http_server_codec.h"
#include "codecs/websocket/ws_handshake.h"
#include "codecs/websocket/ws_stream_stage.h"

namespace mtedge::codecs::websocket {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bws = boost::beast::websocket;
using tcp = net::ip::tcp;

Bytes payload_of(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(size);
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

const std::vector<size_t> kSizes = {1, 64, 70000, 1500000};

struct ClientResult {
  std::string error;
  std::string protocol;
  std::vector<Bytes> echoes;
  std::vector<std::string> pongs;
  bool closed_cleanly = false;
  uint16_t close_code = 0;
};

void run_client(uint16_t port, ClientResult& result) {
  try {
    net::io_context ioc;
    bws::stream<tcp::socket> ws(ioc);
    ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    ws.set_option(bws::stream_base::decorator([](bws::request_type& req) {
      req.set(beast::http::field::sec_websocket_protocol, "binary");
    }));
    ws.read_message_max(64u << 20);
    ws.auto_fragment(true);
    ws.write_buffer_bytes(8192);  // Beast then fragments large messages into 8 KiB frames
    ws.control_callback([&result](bws::frame_type kind, beast::string_view payload) {
      if (kind == bws::frame_type::pong) result.pongs.emplace_back(payload);
    });
    bws::response_type res;
    ws.handshake(res, "127.0.0.1", "/apiws");
    result.protocol = std::string(res[beast::http::field::sec_websocket_protocol]);
    ws.binary(true);
    ws.ping("p1");
    for (size_t i = 0; i < kSizes.size(); ++i) {
      Bytes payload = payload_of(kSizes[i], uint32_t(i));
      ws.write(net::buffer(payload));
      beast::flat_buffer buffer;
      ws.read(buffer);
      auto data = static_cast<const uint8_t*>(buffer.data().data());
      result.echoes.emplace_back(data, data + buffer.size());
    }
    ws.close(bws::close_code::normal);
    result.closed_cleanly = true;
    result.close_code = ws.reason().code;
  } catch (const std::exception& e) {
    result.error = e.what();
  }
}

struct UpgradeSink : http::RequestSink {
  http::HttpServerCodec* codec = nullptr;
  std::string protocols;
  bool on_request(const http::Request&) override { return false; }
  bool on_upgrade(const http::UpgradeRequest& u) override {
    protocols = u.protocols;
    Bytes reply;
    EXPECT_TRUE(build_handshake_response(u.key, u.protocols, u.version, reply).is_ok());
    codec->respond_raw(u.id, std::move(reply), false);
    return true;
  }
};

TEST(WsBeast, BeastClientAgainstOurServer) {
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  uint16_t port = acceptor.local_endpoint().port();
  ClientResult result;
  std::thread client([port, &result] { run_client(port, result); });

  tcp::socket socket = acceptor.accept();
  // A broken exchange must fail the test, not hang it.
  timeval timeout{10, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string server_error;
  http::HttpServerCodec http_codec;
  UpgradeSink upgrade;
  upgrade.codec = &http_codec;
  WsStreamStage stage(StageOptions{});
  Bytes read_buffer(65536);
  Bytes stream;  // the byte stream the stage produced
  size_t next = 0, expected_total = 0, message_index = 0;
  bool done = false;
  while (!done) {
    beast::error_code ec;
    size_t n = socket.read_some(net::buffer(read_buffer), ec);
    if (ec) break;
    MutableByteView in(read_buffer.data(), n);
    Bytes out;
    if (!http_codec.upgraded()) {
      http::FeedResult r = http_codec.feed(in, upgrade);
      if (r.error != CodecError::kNone) {
        server_error = "http: " + std::string(error_name(r.error));
        break;
      }
      http_codec.take_output(out);
      in = in.subspan(r.consumed);
      if (!http_codec.upgraded()) in = {};
    }
    if (!in.empty()) {
      CodecError e = CodecError::kNone;
      MutableByteView bytes = stage.inbound(in, e);
      if (e != CodecError::kNone) {
        server_error = "ws: " + std::string(error_name(e));
        break;
      }
      stream.insert(stream.end(), bytes.begin(), bytes.end());
    }
    stage.take_pending(out);  // pong / close reply
    // Echo each expected message as one message (what one gateway write produces).
    while (message_index < kSizes.size() &&
           stream.size() >= expected_total + kSizes[message_index]) {
      size_t from = out.size();
      out.insert(out.end(), stream.begin() + long(next),
                 stream.begin() + long(next + kSizes[message_index]));
      stage.outbound(out, from);
      next += kSizes[message_index];
      expected_total = next;
      ++message_index;
    }
    if (!out.empty()) net::write(socket, net::buffer(out));
    if (stage.should_close()) done = true;
  }
  socket.close();
  client.join();

  EXPECT_EQ(server_error, "");
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(upgrade.protocols, "binary");
  EXPECT_EQ(result.protocol, "binary");
  ASSERT_EQ(result.echoes.size(), kSizes.size());
  for (size_t i = 0; i < kSizes.size(); ++i) {
    EXPECT_EQ(result.echoes[i], payload_of(kSizes[i], uint32_t(i))) << i;
  }
  EXPECT_EQ(result.pongs, std::vector<std::string>{"p1"});
  EXPECT_TRUE(result.closed_cleanly);
  EXPECT_EQ(result.close_code, 1000);
  EXPECT_TRUE(stage.close_received());
}

}  // namespace
}  // namespace mtedge::codecs::websocket
