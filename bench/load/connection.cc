#include "bench/load/connection.h"

#include <chrono>
#include <utility>

#include "bench/load/runner.h"

namespace mtedge::bench {

using mtedge::Bytes;
using mtedge::ByteView;

namespace {

struct WriteReq {
  uv_write_t req{};
  Bytes data;
};

uint64_t unix_ms() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

// Padded intermediate adds 4..15 random bytes to each frame; the relay keeps a multiple of
// four of them (docs/spec/wire-notes.md §1.3), so an echo through it may come back up to this much
// longer.
constexpr size_t kPaddedSlack = 32;

constexpr size_t kAckBatch = 64;
constexpr uint64_t kAckDelayNs = 100'000'000;

}  // namespace

Connection::Connection(Runner& runner, unsigned slot)
    : runner_(runner),
      slot_(slot),
      transport_(runner.options().transport, runner.options().secret),
      size_cursor_(slot * 7u % runner.size_cycle().size()) {}

void Connection::connect(const sockaddr* address) {
  uv_tcp_init(runner_.loop(), &tcp_);
  tcp_.data = this;
  uv_tcp_nodelay(&tcp_, 1);
  connect_req_.data = this;
  if (int rc = uv_tcp_connect(&connect_req_, &tcp_, address, on_connect); rc < 0)
    fail(std::string("connect ") + uv_err_name(rc));
}

void Connection::on_connect(uv_connect_t* req, int status) {
  auto* self = static_cast<Connection*>(req->data);
  if (self->closing_) return;
  if (status < 0) return self->fail(std::string("connect ") + uv_err_name(status));
  self->started_ns_ = uv_hrtime();
  uv_read_start(reinterpret_cast<uv_stream_t*>(&self->tcp_), on_alloc, on_read);
  self->send(self->transport_.start(uint32_t(unix_ms() / 1000)));
  if (self->transport_.ready()) self->start_traffic();
  self->pump();
}

void Connection::start_traffic() {
  traffic_started_ = true;
  const LoadMode mode = runner_.options().mode;
  if (runner_.server_key() && mode != LoadMode::kRaw) {
    mtproto_ = std::make_unique<MtprotoClient>(*runner_.server_key(), runner_.options().dc);
    transport_.write_packet(mtproto_->start_handshake(unix_ms()), out_);
    return;
  }
  if (mode == LoadMode::kIdle) {
    write_raw_frame();
    return;
  }
  established_ = true;
  runner_.on_established(*this);
}

size_t Connection::next_size() {
  const auto& cycle = runner_.size_cycle();
  const size_t size = cycle[size_cursor_];
  size_cursor_ = (size_cursor_ + 1) % cycle.size();
  return size;
}

void Connection::write_raw_frame() {
  const size_t size = next_size();
  uint8_t* payload = runner_.payload_scratch();
  store_le32(payload, uint32_t(next_seq_));
  store_le32(payload + 4, uint32_t(next_seq_ >> 32));
  transport_.write_packet(ByteView(payload, size), out_);
  inflight_.push_back({uv_hrtime(), next_seq_++, size});
}

void Connection::pump() {
  if (closing_ || runner_.stopping()) return;
  if (messenger_) {
    messenger_->pump();
    send_acks(true);
    return flush();
  }
  const LoadMode mode = runner_.options().mode;
  if (established_ && (mode == LoadMode::kRaw || mode == LoadMode::kPing)) {
    while (inflight_.size() < runner_.options().inflight && runner_.take_token()) {
      if (mode == LoadMode::kRaw) {
        write_raw_frame();
      } else {
        const size_t size = next_size();
        Bytes ping = mtproto_->ping(next_seq_, unix_ms(), size);
        transport_.write_packet(ping, out_);
        inflight_.push_back({uv_hrtime(), next_seq_++, ping.size()});
      }
    }
  }
  flush();
}

void Connection::flush() {
  if (!out_.empty() && !closing_) send(std::exchange(out_, Bytes()));
}

bool Connection::on_packet(MutableByteView payload, bool) {
  if (closing_) return false;
  if (mtproto_) {
    on_mtproto_payload(payload);
  } else {
    on_raw_answer(payload);
  }
  return !closing_;
}

bool Connection::on_transport_error(int32_t code) {
  fail("transport_error " + std::to_string(code));
  return false;
}

void Connection::answered(const Pending& p, size_t received) {
  if (runner_.measuring()) {
    LoadStats& stats = runner_.stats();
    ++stats.frames;
    stats.bytes_sent += p.size;
    stats.bytes_received += received;
    stats.latency.record(uv_hrtime() - p.sent_ns);
  }
  if (!established_) {  // idle mode: the one round trip is done
    established_ = true;
    runner_.on_established(*this);
  }
}

void Connection::on_raw_answer(ByteView payload) {
  if (inflight_.empty()) return fail("unexpected_frame");
  const Pending p = inflight_.front();
  inflight_.pop_front();
  const bool padded =
      runner_.options().transport.inner == codecs::TransportKind::kPaddedIntermediate;
  const bool size_ok = payload.size() == p.size || (padded && payload.size() > p.size &&
                                                    payload.size() <= p.size + kPaddedSlack);
  if (!size_ok || payload.size() < 8 || load_le64(payload.data()) != p.seq) return fail("bad_echo");
  answered(p, payload.size());
}

void Connection::on_mtproto_payload(MutableByteView payload) {
  Bytes reply;
  const MtprotoClient::Event event = mtproto_->on_payload(payload, unix_ms(), reply);
  // Acks go out at once, or batched (messenger), but always (real clients ack within
  // seconds): an unacked new_session_created would stay queued on the server for the
  // session's life.
  if (event != MtprotoClient::Event::kError) send_acks(messenger_ != nullptr);
  if (messenger_) {
    if (event == MtprotoClient::Event::kError) return fail("mtproto " + mtproto_->error());
    if (event == MtprotoClient::Event::kResend) messenger_->resend(mtproto_->rejected());
    if (event == MtprotoClient::Event::kMessages) messenger_->on_messages(*mtproto_);
    return;
  }
  switch (event) {
    case MtprotoClient::Event::kNone: return;
    case MtprotoClient::Event::kError: return fail("mtproto " + mtproto_->error());
    case MtprotoClient::Event::kReply: transport_.write_packet(reply, out_); return;
    case MtprotoClient::Event::kHandshakeDone: break;
    case MtprotoClient::Event::kResend:
      runner_.stats().salt_resends += inflight_.size();
      for (const Pending& p : inflight_)
        transport_.write_packet(mtproto_->ping(p.seq, unix_ms(), p.size), out_);
      return;
    case MtprotoClient::Event::kMessages:
      for (uint64_t id : mtproto_->pongs()) {
        if (inflight_.empty() || inflight_.front().seq != id) return fail("unexpected_pong");
        const Pending p = inflight_.front();
        inflight_.pop_front();
        answered(p, payload.size());
      }
      return;
  }
  // The handshake is done.
  if (runner_.measuring()) {
    ++runner_.stats().handshakes;
    runner_.stats().latency.record(uv_hrtime() - started_ns_);
  }
  switch (runner_.options().mode) {
    case LoadMode::kHandshake:
      again_ = true;
      close();
      return;
    case LoadMode::kIdle: {  // one ping, then idle
      transport_.write_packet(mtproto_->ping(next_seq_, unix_ms()), out_);
      inflight_.push_back({uv_hrtime(), next_seq_++, 12});
      return;
    }
    case LoadMode::kMessenger:  // sign in, then send or receive
      messenger_ =
          std::make_unique<MessengerUser>(runner_, static_cast<MessengerUser::Io&>(*this), slot_);
      messenger_->start();
      return;
    default:
      established_ = true;
      runner_.on_established(*this);
      return;
  }
}

uint64_t Connection::send_query(ByteView body) {
  uint64_t msg_id = 0;
  transport_.write_packet(mtproto_->query(body, unix_ms(), msg_id), out_);
  return msg_id;
}

void Connection::ready() {
  established_ = true;
  runner_.on_established(*this);
}

void Connection::send_acks(bool batched) {
  if (!mtproto_->has_acks()) return;
  const uint64_t now = uv_hrtime();
  if (batched && mtproto_->pending_acks() < kAckBatch && now - acked_ns_ < kAckDelayNs) return;
  acked_ns_ = now;
  transport_.write_packet(mtproto_->acks(unix_ms()), out_);
}

void Connection::on_alloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(handle->data);
  buf->base = reinterpret_cast<char*>(self->runner_.read_buffer());
  buf->len = Runner::kReadBufferSize;
}

void Connection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(stream->data);
  if (nread == 0 || self->closing_) return;
  if (nread < 0) {
    return self->fail(nread == UV_EOF ? "closed_by_peer"
                                      : std::string("read ") + uv_err_name(int(nread)));
  }
  MutableByteView bytes(reinterpret_cast<uint8_t*>(buf->base), size_t(nread));
  const codecs::CodecError error = self->transport_.feed(bytes, *self, self->out_);
  if (self->closing_) return;
  if (error != codecs::CodecError::kNone)
    return self->fail("codec " + std::string(codecs::error_name(error)));
  if (self->transport_.ready() && !self->traffic_started_) self->start_traffic();
  self->pump();
}

void Connection::send(Bytes bytes) {
  if (bytes.empty()) return;
  auto* w = new WriteReq;
  w->data = std::move(bytes);
  w->req.data = w;
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(w->data.data()), unsigned(w->data.size()));
  if (int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, on_write);
      rc < 0) {
    delete w;
    fail(std::string("write ") + uv_err_name(rc));
  }
}

void Connection::on_write(uv_write_t* req, int status) {
  auto* w = static_cast<WriteReq*>(req->data);
  auto* self = static_cast<Connection*>(req->handle->data);
  delete w;
  if (status < 0 && !self->closing_) self->fail(std::string("write ") + uv_err_name(status));
}

void Connection::fail(const std::string& kind) {
  if (closing_) return;
  ++runner_.stats().errors[kind];
  again_ = runner_.options().mode == LoadMode::kHandshake;
  close();
}

void Connection::close() {
  if (closing_) return;
  closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_close);
}

void Connection::on_close(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  self->runner_.on_closed(self->slot_, self->established_, self->again_);
  delete self;
}

}  // namespace mtedge::bench
