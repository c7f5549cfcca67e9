#include "bench/load/mtproto_client.h"

#include "crypto/random.h"
#include "mtproto/handshake/unencrypted.h"
#include "mtproto/message/message.h"

namespace mtedge::bench {

using mtedge::Bytes;
using mtedge::ByteView;

namespace {

constexpr uint32_t kPing = 0x7abe77ec;
constexpr uint32_t kPong = 0x347773c5;
constexpr uint32_t kMsgContainer = 0x73f1f8dc;
constexpr uint32_t kBadServerSalt = 0xedab447b;
constexpr uint32_t kMsgsAck = 0x62d6b459;
constexpr uint32_t kVector = 0x1cb5c415;
constexpr uint32_t kRpcResult = 0xf35c6d01;
constexpr uint32_t kNewSessionCreated = 0x9ec20908;
constexpr uint32_t kBadMsgNotification = 0xa7eff811;

mtproto::HandshakeClientOptions options_for(const crypto::RsaPublicKey& key, int32_t dc) {
  mtproto::HandshakeClientOptions options;
  options.server_key = key;
  options.dc = dc;
  return options;
}

}  // namespace

MtprotoClient::MtprotoClient(const crypto::RsaPublicKey& server_key, int32_t dc)
    : handshake_(options_for(server_key, dc)) {}

// Client msg_ids: ~ unix time * 2^32, divisible by 4, strictly increasing.
uint64_t MtprotoClient::next_msg_id(uint64_t unix_ms) {
  uint64_t id = ((unix_ms / 1000) << 32) | (((unix_ms % 1000) << 32) / 1000);
  id &= ~uint64_t(3);
  if (id <= last_msg_id_) id = last_msg_id_ + 4;
  last_msg_id_ = id;
  return id;
}

Bytes MtprotoClient::start_handshake(uint64_t unix_ms) {
  return mtproto::build_unencrypted(next_msg_id(unix_ms), handshake_.req_pq());
}

MtprotoClient::Event MtprotoClient::on_payload(MutableByteView payload, uint64_t unix_ms,
                                               Bytes& reply) {
  if (!done_) return on_handshake_payload(payload, unix_ms, reply);
  auto message =
      mtproto::decrypt_message(handshake_.auth_key(), payload, mtproto::Direction::kServerToClient);
  if (!message) return fail("server message: " + message.message());
  pongs_.clear();
  results_.clear();
  updates_.clear();
  rejected_.clear();
  bad_msg_code_ = 0;
  scan_message(message->msg_id, message->seq_no, message->body, 0);
  if (bad_msg_code_) return fail("bad_msg_notification " + std::to_string(bad_msg_code_));
  if (!rejected_.empty()) return Event::kResend;
  const bool any = !pongs_.empty() || !results_.empty() || !updates_.empty();
  return any ? Event::kMessages : Event::kNone;
}

MtprotoClient::Event MtprotoClient::on_handshake_payload(ByteView payload, uint64_t unix_ms,
                                                         Bytes& reply) {
  auto message = mtproto::parse_unencrypted(payload);
  if (!message) return fail("handshake: " + message.message());
  switch (step_) {
    case 0: {
      auto next = handshake_.on_res_pq(message->body);
      if (!next) return fail("handshake resPQ: " + next.message());
      reply = mtproto::build_unencrypted(next_msg_id(unix_ms), *next);
      step_ = 1;
      return Event::kReply;
    }
    case 1: {
      auto next = handshake_.on_server_dh_params(message->body);
      if (!next) return fail("handshake server_DH_params: " + next.message());
      reply = mtproto::build_unencrypted(next_msg_id(unix_ms), *next);
      step_ = 2;
      return Event::kReply;
    }
    default: {
      auto gen = handshake_.on_dh_gen(message->body);
      if (!gen) return fail("handshake dh_gen: " + gen.message());
      if (gen->kind == mtproto::HandshakeClient::GenResult::Kind::kRetry) {
        reply = mtproto::build_unencrypted(next_msg_id(unix_ms), gen->next);
        return Event::kReply;
      }
      if (gen->kind != mtproto::HandshakeClient::GenResult::Kind::kOk) return fail("dh_gen_fail");
      done_ = true;
      salt_ = handshake_.server_salt();
      session_id_ = crypto::random_u64();
      return Event::kHandshakeDone;
    }
  }
}

// Collects pongs, rpc_results, updates, rejected ids and the ids to ack from a message, looking
// into one level of msg_container.
void MtprotoClient::scan_message(uint64_t msg_id, uint32_t seq_no, ByteView body, int depth) {
  const bool content_related = seq_no & 1;
  if (content_related) to_ack_.push_back(msg_id);
  if (body.size() < 4) return;
  const uint32_t id = load_le32(body.data());
  if (id == kPong && body.size() >= 20) {
    pongs_.push_back(load_le64(body.data() + 12));
  } else if (id == kRpcResult && body.size() >= 12) {
    results_.push_back({load_le64(body.data() + 4), body.subspan(12)});
  } else if (id == kBadServerSalt && body.size() >= 28) {
    salt_ = load_le64(body.data() + 20);
    rejected_.push_back(load_le64(body.data() + 4));
  } else if (id == kBadMsgNotification && body.size() >= 20) {
    bad_msg_code_ = load_le32(body.data() + 16);
  } else if (content_related && id != kNewSessionCreated && id != kMsgContainer) {
    updates_.push_back(body);
  } else if (id == kMsgContainer && depth == 0 && body.size() >= 8) {
    uint32_t count = load_le32(body.data() + 4);
    size_t at = 8;
    for (uint32_t i = 0; i < count && at + 16 <= body.size(); ++i) {
      const uint64_t inner_id = load_le64(body.data() + at);
      const uint32_t inner_seq_no = load_le32(body.data() + at + 8);
      const size_t size = load_le32(body.data() + at + 12);
      at += 16;
      if (size > body.size() - at) return;
      scan_message(inner_id, inner_seq_no, body.subspan(at, size), depth + 1);
      at += size;
    }
  }
}

Bytes MtprotoClient::ping(uint64_t ping_id, uint64_t unix_ms, size_t size) {
  uint8_t body[12];
  store_le32(body, kPing);
  store_le32(body + 4, uint32_t(ping_id));
  store_le32(body + 8, uint32_t(ping_id >> 32));
  return encrypt(ByteView(body, sizeof body), content_messages_++ * 2 + 1, unix_ms, size);
}

Bytes MtprotoClient::query(ByteView body, uint64_t unix_ms, uint64_t& msg_id) {
  Bytes out = encrypt(body, content_messages_++ * 2 + 1, unix_ms, 0);
  msg_id = last_msg_id_;
  return out;
}

Bytes MtprotoClient::acks(uint64_t unix_ms) {
  Bytes body(12 + 8 * to_ack_.size());
  store_le32(body.data(), kMsgsAck);
  store_le32(body.data() + 4, kVector);
  store_le32(body.data() + 8, uint32_t(to_ack_.size()));
  for (size_t i = 0; i < to_ack_.size(); ++i) {
    store_le32(body.data() + 12 + 8 * i, uint32_t(to_ack_[i]));
    store_le32(body.data() + 16 + 8 * i, uint32_t(to_ack_[i] >> 32));
  }
  to_ack_.clear();
  return encrypt(body, content_messages_ * 2, unix_ms, 0);
}

Bytes MtprotoClient::encrypt(ByteView body, uint32_t seq_no, uint64_t unix_ms, size_t size) {
  mtproto::OutgoingMessage msg;
  msg.salt = salt_;
  msg.session_id = session_id_;
  msg.msg_id = next_msg_id(unix_ms);
  msg.seq_no = seq_no;
  msg.body = body;
  Bytes out;
  static const crypto::RandomSource random = crypto::secure_random_source();
  const size_t base = mtproto::encrypted_size(body.size());
  const mtproto::EncryptOptions options{.dir = mtproto::Direction::kClientToServer,
                                        .extra_padding = size > base ? size - base : 0};
  // Cannot fail: the bodies are small.
  (void)mtproto::encrypt_message(handshake_.auth_key(), msg, out, random, options);
  return out;
}

}  // namespace mtedge::bench
