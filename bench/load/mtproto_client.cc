#include "bench/load/mtproto_client.h"

#include "mtproto/crypto/random.h"
#include "mtproto/handshake/unencrypted.h"
#include "mtproto/message/message.h"

namespace mtedge::bench {

using codecs::Bytes;
using codecs::ByteView;

namespace {

constexpr uint32_t kPing = 0x7abe77ec;
constexpr uint32_t kPong = 0x347773c5;
constexpr uint32_t kMsgContainer = 0x73f1f8dc;
constexpr uint32_t kBadServerSalt = 0xedab447b;

mtproto::HandshakeClientOptions options_for(const mtproto::RsaPublicKey& key, int32_t dc) {
  mtproto::HandshakeClientOptions options;
  options.server_key = key;
  options.dc = dc;
  return options;
}

}  // namespace

MtprotoClient::MtprotoClient(const mtproto::RsaPublicKey& server_key, int32_t dc)
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

MtprotoClient::Event MtprotoClient::on_payload(codecs::MutableByteView payload, uint64_t unix_ms,
                                               Bytes& reply) {
  if (!done_) return on_handshake_payload(payload, unix_ms, reply);
  auto message =
      mtproto::decrypt_message(handshake_.auth_key(), payload, mtproto::Direction::kServerToClient);
  if (!message) return fail("server message: " + message.message());
  pongs_.clear();
  salt_changed_ = false;
  scan_message(message->body, 0);
  if (salt_changed_) return Event::kResend;
  return pongs_.empty() ? Event::kNone : Event::kPongs;
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
      session_id_ = mtproto::random_u64();
      return Event::kHandshakeDone;
    }
  }
}

// Collects pongs from a message body, looking into one level of msg_container.
void MtprotoClient::scan_message(ByteView body, int depth) {
  if (body.size() < 4) return;
  const uint32_t id = codecs::load_le32(body.data());
  if (id == kPong && body.size() >= 20) {
    pongs_.push_back(codecs::load_le64(body.data() + 12));
  } else if (id == kBadServerSalt && body.size() >= 28) {
    salt_ = codecs::load_le64(body.data() + 20);
    salt_changed_ = true;
  } else if (id == kMsgContainer && depth == 0 && body.size() >= 8) {
    uint32_t count = codecs::load_le32(body.data() + 4);
    size_t at = 8;
    for (uint32_t i = 0; i < count && at + 16 <= body.size(); ++i) {
      const size_t size = codecs::load_le32(body.data() + at + 12);
      at += 16;
      if (size > body.size() - at) return;
      scan_message(body.subspan(at, size), depth + 1);
      at += size;
    }
  }
}

Bytes MtprotoClient::ping(uint64_t ping_id, uint64_t unix_ms, size_t size) {
  uint8_t body[12];
  codecs::store_le32(body, kPing);
  codecs::store_le32(body + 4, uint32_t(ping_id));
  codecs::store_le32(body + 8, uint32_t(ping_id >> 32));
  mtproto::OutgoingMessage msg;
  msg.salt = salt_;
  msg.session_id = session_id_;
  msg.msg_id = next_msg_id(unix_ms);
  msg.seq_no = content_messages_++ * 2 + 1;
  msg.body = ByteView(body, sizeof body);
  Bytes out;
  static const mtproto::RandomSource random = mtproto::secure_random_source();
  const size_t base = mtproto::encrypted_size(sizeof body);
  const mtproto::EncryptOptions options{.dir = mtproto::Direction::kClientToServer,
                                        .extra_padding = size > base ? size - base : 0};
  // Cannot fail: the body is 12 bytes.
  (void)mtproto::encrypt_message(handshake_.auth_key(), msg, out, random, options);
  return out;
}

}  // namespace mtedge::bench
