// A tiny MTProto server for the relay tests, on the test's own uv loop. It speaks one plain
// TCP transport (server role, using the project's framers) and answers each packet:
// - payload starting "EROR": a transport error -404;
// - payload starting "CLOS": closes the connection;
// - otherwise: if the client asked for a quick ack, a token = 0x80000000 | first 4 payload
//   bytes (LE), then the payload reversed as a packet.
// It can stop reading (to build up backpressure towards the relay).
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "codecs/core/framer.h"
#include "codecs/core/transport_stack.h"

namespace mtedge::backend::relay::testing {

uint32_t token_for(ByteView payload);

class TestUpstream {
 public:
  TestUpstream(uv_loop_t* loop, codecs::TransportKind kind);
  ~TestUpstream();  // call close() and run the loop first

  uint16_t port() const { return port_; }
  void close();
  void set_reading(bool reading);

  size_t accepted = 0;
  size_t closed = 0;  // connections that ended (EOF from the relay or closed by us)
  size_t packets = 0;
  size_t bytes_read = 0;
  std::vector<bool> quick_acks;  // per packet: was a quick ack requested

  struct Conn;

 private:
  static void on_connection(uv_stream_t* server, int status);
  uv_loop_t* loop_;
  codecs::TransportKind kind_;
  uv_tcp_t server_;
  uint16_t port_ = 0;
  bool reading_ = true;
  std::vector<Conn*> conns_;
  friend struct Conn;
};

// A port on 127.0.0.1 where nothing listens.
uint16_t refused_port();

}  // namespace mtedge::backend::relay::testing
