// One load connection on a libuv loop: connects, speaks its ClientTransport, and drives the
// mode's traffic (raw frames, pings, one handshake, one round trip then idle, or one
// messenger user: MessengerUser).
//
// Lifetime: created by the Runner, deletes itself after its handle closed, then tells the
// Runner (Runner::on_closed). Errors are counted in LoadStats by kind and end the
// connection; nothing is retried here.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "bench/load/client_transport.h"
#include "bench/load/messenger_user.h"
#include "bench/load/mtproto_client.h"
#include "codecs/core/frame_reader.h"

namespace mtedge::bench {

class Runner;

class Connection final : public codecs::FrameSink, private MessengerUser::Io {
 public:
  Connection(Runner& runner, unsigned slot);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void connect(const sockaddr* address);
  // Sends what the mode allows now (in-flight room, rate tokens).
  void pump();
  // Closes without counting an error (end of run, or a finished handshake).
  void close();
  bool established() const { return established_; }
  unsigned slot() const { return slot_; }

  bool on_packet(MutableByteView payload, bool quick_ack) override;
  bool on_transport_error(int32_t code) override;

 private:
  struct Pending {
    uint64_t sent_ns;
    uint64_t seq;
    size_t size;
  };

  static void on_connect(uv_connect_t* req, int status);
  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_close(uv_handle_t* handle);

  void start_traffic();
  void write_raw_frame();
  void on_raw_answer(ByteView payload);
  void on_mtproto_payload(MutableByteView payload);
  // A request was answered: counts it (in the measured window); idle mode: established.
  void answered(const Pending& p, size_t received);
  void flush();
  void send(Bytes bytes);
  void fail(const std::string& kind) override;
  // Messenger mode (MessengerUser::Io).
  uint64_t send_query(ByteView body) override;
  void ready() override;
  // Messenger mode: acks go out in batches (kAckBatch ids, or kAckDelayNs after the last
  // batch), as clients send them; the other modes ack every payload at once.
  void send_acks(bool batched);
  size_t next_size();

  Runner& runner_;
  unsigned slot_;
  uv_tcp_t tcp_{};
  uv_connect_t connect_req_{};
  ClientTransport transport_;
  std::unique_ptr<MtprotoClient> mtproto_;
  std::unique_ptr<MessengerUser> messenger_;
  uint64_t acked_ns_ = 0;  // when acks last went out
  std::deque<Pending> inflight_;
  Bytes out_;  // frames gathered for the next write
  uint64_t next_seq_ = 0;
  size_t size_cursor_;
  uint64_t started_ns_ = 0;
  bool traffic_started_ = false;  // the transport is ready and the mode's traffic began
  bool established_ = false;      // the mode's setup is done (handshake, idle round trip)
  bool again_ = false;            // on close, ask the runner for a new connection
  bool closing_ = false;
};

}  // namespace mtedge::bench
