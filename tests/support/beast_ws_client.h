// A test client for the gateway's WebSocket transport: Boost.Beast (an independent
// WebSocket implementation) carrying our client-role obfuscated2 + abridged stack, one
// stack write per binary message. Blocking, with a 10 s read timeout so a silent server
// fails the test instead of hanging it.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codecs/core/transport_stack.h"
#include "codecs/framers/framers.h"
#include "codecs/obfuscated/obfuscated2.h"

namespace mtedge::gateway::test {

// Collects what the client stack decodes from the server's messages.
struct CollectSink : codecs::FrameSink {
  std::vector<Bytes> packets;
  std::vector<int32_t> errors;
  bool on_packet(MutableByteView payload, bool) override {
    packets.emplace_back(payload.begin(), payload.end());
    return true;
  }
  bool on_transport_error(int32_t code) override {
    errors.push_back(code);
    return true;
  }
};

class BeastWsClient {
 public:
  using Stream = boost::beast::websocket::stream<boost::asio::ip::tcp::socket>;

  explicit BeastWsClient(uint16_t port) : ws_(ioc_) {
    namespace bws = boost::beast::websocket;
    ws_.next_layer().connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    const timeval timeout{10, 0};
    setsockopt(ws_.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ws_.set_option(bws::stream_base::decorator([](bws::request_type& req) {
      req.set(boost::beast::http::field::sec_websocket_protocol, "binary");
    }));
    ws_.read_message_max(64u << 20);
    ws_.binary(true);
    bws::response_type reply;
    ws_.handshake(reply, "127.0.0.1", "/apiws");
    protocol_ = std::string(reply[boost::beast::http::field::sec_websocket_protocol]);
    stack_.emplace(codecs::make_framer(codecs::TransportKind::kAbridged, codecs::Role::kClient),
                   codecs::FrameLimits{});
    codecs::obfuscated::add_client_obfuscation(*stack_, 2, nullptr);
  }

  // One packet as one binary message (the first also carries the obfuscated2 init).
  void send(const Bytes& payload) {
    Bytes out;
    if (!tag_sent_) stack_->write_tag(out);
    tag_sent_ = true;
    stack_->write_packet(payload, false, out);
    ws_.write(boost::asio::buffer(out));
  }

  // Reads one message and feeds it to the stack. False on close or a read error.
  bool read_message(CollectSink& sink) {
    boost::beast::flat_buffer buffer;
    boost::beast::error_code ec;
    ws_.read(buffer, ec);
    if (ec) return false;
    Bytes data(buffer.size());
    boost::asio::buffer_copy(boost::asio::buffer(data), buffer.data());
    EXPECT_EQ(stack_->feed(data, sink), codecs::CodecError::kNone);
    return true;
  }

  // Reads messages until the stack yields a packet or a transport error.
  bool receive(CollectSink& sink) {
    while (sink.packets.empty() && sink.errors.empty()) {
      if (!read_message(sink)) return false;
    }
    return true;
  }

  void close() {
    boost::beast::error_code ec;
    ws_.close(boost::beast::websocket::close_code::normal, ec);
  }

  Stream& ws() { return ws_; }
  const std::string& protocol() const { return protocol_; }

 private:
  boost::asio::io_context ioc_;
  Stream ws_;
  std::optional<codecs::TransportStack> stack_;
  std::string protocol_;
  bool tag_sent_ = false;
};

}  // namespace mtedge::gateway::test
