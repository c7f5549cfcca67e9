// BackendStream: the one persistent connection of a worker to one backend endpoint.
//
// It owns the protocol session (hello, credit both ways, the delimited reader), the queue
// of messages waiting for credit or for the connection, and the reconnect loop. It knows
// clients only by connection id; which client goes where is the adapter's business.
//
// Liveness: bytes handed to the socket must reach the kernel within write_deadline_ms of
// being queued; a backend that stops reading (its receive window stays shut) fails the stream
// like any other fault.
//
// States: connecting (first connect, or a reconnect attempt) -> hello sent -> ready; any
// failure -> down (every client bound to it gets the configured outcome) -> backoff ->
// connecting. Clients are accepted while ready and during the very first connect (their
// frames queue); while down they get the outcome at once (fail closed).
//
// Lifetime: owned by the adapter; shutdown() closes everything and the object deletes
// itself once its handles' close callbacks ran.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <random>
#include <string_view>
#include <unordered_set>

#include "backend-adapters/api/frame.h"
#include "backend-adapters/socket/config.h"
#include "backend-adapters/socket/credit.h"
#include "backend-adapters/socket/delimited.h"
#include "backend-adapters/socket/protocol.h"
#include "io/outbound_queue.h"

namespace mtedge::backend::socket {

class SocketAdapter;
struct Link;

enum class SendResult : uint8_t {
  kAccepted,  // sent or queued; keep reading the client
  kPause,     // queued behind missing credit or a full socket: pause the client
  kOverflow,  // over max_queued_bytes: the frame was not taken, fail the client
};

class BackendStream final : private MessageSink {
 public:
  BackendStream(SocketAdapter& owner, size_t index, const Endpoint& endpoint);
  BackendStream(const BackendStream&) = delete;
  BackendStream& operator=(const BackendStream&) = delete;

  size_t index() const { return index_; }
  const Endpoint& endpoint() const { return endpoint_; }
  bool ready() const { return ready_; }
  // New clients and frames are taken (see the states above).
  bool accepting() const { return ready_ || !down_; }

  // Starts the first connect.
  void start();
  // Queues a client frame (costs one credit); the client must be bound to this stream.
  SendResult send_frame(ConnId conn, const Frame& frame);
  // Queues conn_opened / conn_closed, in order with that client's frames.
  void send_control(ConnId conn, const v1::GatewayMessage& message);
  // Tells the backend a ServerFrame was not delivered (not ordered, costs nothing).
  void send_undelivered(const v1::ServerFrame& frame);
  // Announces a new auth key (costs nothing), in order ahead of anything queued after it;
  // only while ready and only to a backend that asked for it in its HelloAck.
  void send_auth_key_created(uint64_t auth_key_id, int64_t server_salt);
  // The client is gone or failed: forget its pause and give back credit held for it.
  void forget(ConnId conn);
  // Drops the client's queued frames (not its conn_opened/conn_closed); returns how many.
  size_t drop_frames(ConnId conn);
  // The client's outbound queue drained: credit held for it goes back to the backend.
  void release_credit(ConnId conn);
  // Hands the queued bytes to the socket (called once per loop iteration, and when a write
  // completes).
  void flush();
  // Closes everything; no more callbacks into the adapter.
  void shutdown();

  bool dirty = false;  // on the adapter's flush list

 private:
  struct Pending {
    ConnId conn;
    bool frame;  // a client frame (needs credit) rather than conn_opened / conn_closed
    uint64_t enqueued_ms;
    Bytes bytes;  // delimited, ready to write
  };

  bool on_message(ByteView bytes) override;
  void connect();
  void fail(std::string_view reason, bool protocol_error);
  void on_connected(int status);
  void on_read(ssize_t nread, const uv_buf_t* buf);
  void on_hello(const v1::HelloAck& hello);
  // Moves what may go now from the queue to the socket buffer.
  void drain();
  // Resumes paused clients once the queue is empty and the socket buffer is low.
  void maybe_resume();
  void maybe_grant();
  void arm_deadline();
  void on_deadline();
  // `bytes` were added to out_: remembers when, for the write deadline.
  void note_queued(size_t bytes);
  // Times the oldest byte of out_ not yet taken by the kernel (write_deadline_ms).
  void arm_write_deadline();
  void on_write_deadline();
  void enqueue(ConnId conn, bool frame, const v1::GatewayMessage& message);
  void write_now(const v1::GatewayMessage& message);
  void schedule_flush();
  size_t socket_bytes() const { return out_.queued(); }
  size_t queued_bytes() const { return socket_bytes() + pending_bytes_; }
  void on_timer_closed();

  static void connect_cb(uv_connect_t* req, int status);
  static void alloc_cb(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static const io::OutboundEvents kOutboundEvents;
  static void timer_cb(uv_timer_t* timer);
  static void deadline_cb(uv_timer_t* timer);
  static void write_deadline_cb(uv_timer_t* timer);

  SocketAdapter* owner_;  // null once shut down
  size_t index_;
  const Endpoint& endpoint_;
  const SocketConfig& config_;
  Link* link_ = nullptr;       // the current socket; frees itself when closed
  uv_timer_t timer_;           // connect + hello timeout, then reconnect backoff
  uv_timer_t deadline_;        // the oldest queued frame's message_deadline_ms
  uv_timer_t write_deadline_;  // the oldest unwritten byte's write_deadline_ms
  int open_timers_ = 3;
  DelimitedReader reader_;
  CreditLedger ledger_;
  v1::BackendMessage message_;  // reused by on_message
  // To the current socket (reset when it fails). No marks: pausing and resuming clients also
  // depends on pending_ (see send_frame and maybe_resume).
  io::OutboundQueue out_{kOutboundEvents};
  // Write deadline: (appended_total_ after a batch of bytes, when it was added), oldest first;
  // entries the kernel has taken are popped.
  uint64_t appended_total_ = 0;
  std::deque<std::pair<uint64_t, uint64_t>> unwritten_;
  std::deque<Pending> pending_;
  size_t pending_bytes_ = 0;
  std::unordered_set<ConnId> paused_;
  bool connected_ = false;
  bool ready_ = false;            // HelloAck accepted
  bool down_ = false;             // failed since the last HelloAck
  bool wants_auth_keys_ = false;  // the HelloAck listed "auth-key-created"
  bool stopping_ = false;
  uint32_t backoff_ms_ = 0;
  std::minstd_rand jitter_;
};

}  // namespace mtedge::backend::socket
