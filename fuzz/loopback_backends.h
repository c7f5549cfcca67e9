// Backends for the stateful fuzz target (gateway_edge_stateful_fuzz.cc), on the fuzzed
// adapter's own libuv loop: TCP listeners on 127.0.0.1 (ephemeral ports) whose accepted
// connections do what the input says: answer with bytes built from it, close, stop reading
// (backpressure) or stay silent. The relay and socket adapters thus run against real sockets,
// with no thread and no timing: every byte moves in a loop iteration the input asks for.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "backend-adapters/api/frame.h"
#include "backend-adapters/socket/delimited.h"
#include "codecs/core/transport.h"
#include "codecs/core/transport_stack.h"
#include "fuzz/fuzz_input.h"

namespace mtedge::fuzzing {

// A listener and the connections it accepted, in accept order. An accepted connection reads
// (handing its bytes to on_bytes) until it is stalled or closed. Connections are picked by a
// selector byte counted from the newest (0 = the newest), so a script keeps addressing the
// current connection across reconnects.
class LoopbackServer {
 public:
  explicit LoopbackServer(uv_loop_t* loop);
  // close() and run the loop until idle() first.
  virtual ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  const sockaddr_storage& address() const { return address_; }
  // The index of the connection `selector` names, or -1 when none was accepted yet.
  int pick(uint8_t selector) const;
  bool open(int peer) const;
  // Writes `bytes` to an open connection (queued in libuv if it is slow to read them).
  void write(int peer, Bytes bytes);
  void close_peer(int peer);
  // Stops reading an open connection, or reads it again.
  void toggle_reading(int peer);
  // Closes the listener and every connection.
  void close();
  // Every handle's close callback ran.
  bool idle() const { return handles_ == 0; }

 protected:
  virtual void on_accepted(int /*peer*/) {}
  virtual void on_bytes(int /*peer*/, ByteView /*bytes*/) {}

 private:
  struct Peer;
  static void on_connection(uv_stream_t* server, int status);

  uv_loop_t* loop_;
  uv_tcp_t listener_;
  bool listening_ = false;
  sockaddr_storage address_{};
  std::vector<std::unique_ptr<Peer>> peers_;
  int handles_ = 0;
};

// An MTProto server for the relay adapter: speaks `kind` in the server role (the project's
// framers) on every accepted connection. It checks what the relay writes: the transport's tag,
// then exactly the packets the harness handed the relay for one client connection (expect()),
// in order, none left out in between (a breach aborts).
class RelayUpstream final : public LoopbackServer {
 public:
  RelayUpstream(uv_loop_t* loop, codecs::TransportKind kind);
  ~RelayUpstream() override;
  // A packet the relay got from client connection `conn`.
  void expect(backend::ConnId conn, ByteView packet);
  // One answer on connection `selector`, read from `in`: a packet (whole words, or larger than
  // any the relay takes), a quick-ack token, a transport error, or raw bytes.
  void answer(uint8_t selector, FuzzInput& in);

 private:
  struct Reader;
  void on_accepted(int peer) override;
  void on_bytes(int peer, ByteView bytes) override;

  codecs::TransportKind kind_;
  std::vector<std::unique_ptr<codecs::TransportStack>> stacks_;  // per connection
  std::vector<std::unique_ptr<Reader>> readers_;                 // per connection
  std::map<backend::ConnId, std::vector<Bytes>> expected_;
};

// A backend speaking mtedge.v1 (docs/protocol.md) on one socket adapter endpoint. It reads
// what the gateway writes and aborts on a breach of the protocol: Hello not first, a frame of
// a connection outside its conn_opened .. conn_closed on that stream, a conn_opened or
// conn_closed out of turn, more frames than the credit it granted. It sends what the input
// says.
class SocketEndpoint final : public LoopbackServer {
 public:
  // `conn_ids` lists every connection id the gateway ever opened (closed ones too), shared
  // with the harness; answers address these, and ids nobody opened.
  SocketEndpoint(uv_loop_t* loop, const std::vector<backend::ConnId>& conn_ids);
  ~SocketEndpoint() override;
  // One message on connection `selector` (see the .cc for the kinds). Unless `beyond_credit`,
  // a message that costs credit is not sent while the backend has none.
  void answer(uint8_t selector, bool beyond_credit, FuzzInput& in);

 private:
  struct Session;
  void on_accepted(int peer) override;
  void on_bytes(int peer, ByteView bytes) override;
  backend::ConnId target(FuzzInput& in) const;

  const std::vector<backend::ConnId>& conn_ids_;
  std::vector<std::unique_ptr<Session>> sessions_;  // per connection
};

}  // namespace mtedge::fuzzing
