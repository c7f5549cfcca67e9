// A minimal MTProto client, sans-io: the DH handshake (mtproto/handshake HandshakeClient)
// then encrypted MTProto 2.0 pings on one session. Works on transport payloads; the caller
// frames them (ClientTransport).
//
//   MtprotoClient c(server_key);
//   send(c.start_handshake(now_ms));
//   for each payload from the server: c.on_payload(payload, now_ms, reply) -> Event
//     kReply: send(reply) (next handshake step)   kHandshakeDone: key ready, c.ping(..)
//     kPongs: c.pongs() holds the ping_ids answered by this payload
//     kResend: the server rejected our salt (bad_server_salt) and gave a new one: pings
//              not answered yet were dropped and must be sent again
//   after any payload: if c.has_acks(), send(c.acks(now_ms)) (msgs_ack for the server's
//   content-related messages, e.g. new_session_created, as real clients do)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/rsa.h"
#include "mtproto/handshake/handshake_client.h"

namespace mtedge::bench {

class MtprotoClient {
 public:
  enum class Event : uint8_t { kNone, kReply, kHandshakeDone, kPongs, kResend, kError };

  MtprotoClient(const crypto::RsaPublicKey& server_key, int32_t dc);

  Bytes start_handshake(uint64_t unix_ms);
  // kError: error() says why (a failed handshake step, a bad message, a transport error).
  Event on_payload(MutableByteView payload, uint64_t unix_ms, Bytes& reply);
  // After kHandshakeDone: one encrypted ping#7abe77ec carrying `ping_id`, grown with
  // MTProto padding to about `size` bytes (at most ~1.1 KiB: padding is capped at 1024).
  Bytes ping(uint64_t ping_id, uint64_t unix_ms, size_t size = 0);

  // msgs_ack#62d6b459 for every content-related server message seen since the last call
  // (seq_no even: acks are not content-related). Only when has_acks().
  Bytes acks(uint64_t unix_ms);
  bool has_acks() const { return !to_ack_.empty(); }

  bool has_key() const { return done_; }
  const std::vector<uint64_t>& pongs() const { return pongs_; }
  const std::string& error() const { return error_; }

 private:
  Event fail(std::string message) {
    error_ = std::move(message);
    return Event::kError;
  }
  Event on_handshake_payload(ByteView payload, uint64_t unix_ms, Bytes& reply);
  void scan_message(uint64_t msg_id, uint32_t seq_no, ByteView body, int depth);
  uint64_t next_msg_id(uint64_t unix_ms);
  Bytes encrypt(ByteView body, uint32_t seq_no, uint64_t unix_ms, size_t size);

  mtproto::HandshakeClient handshake_;
  int step_ = 0;  // 0: waiting resPQ, 1: server_DH_params, 2: dh_gen_*
  bool done_ = false;
  uint64_t salt_ = 0;
  uint64_t session_id_ = 0;
  uint64_t last_msg_id_ = 0;
  uint32_t content_messages_ = 0;
  bool salt_changed_ = false;
  std::vector<uint64_t> pongs_;
  std::vector<uint64_t> to_ack_;  // content-related server msg_ids not acked yet
  std::string error_;
};

}  // namespace mtedge::bench
