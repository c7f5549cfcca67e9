// A minimal MTProto client, sans-io: the DH handshake (mtproto/handshake HandshakeClient)
// then encrypted MTProto 2.0 pings and API queries on one session. Works on transport
// payloads; the caller frames them (ClientTransport).
//
//   MtprotoClient c(server_key);
//   send(c.start_handshake(now_ms));
//   for each payload from the server: c.on_payload(payload, now_ms, reply) -> Event
//     kReply: send(reply) (next handshake step)   kHandshakeDone: key ready, c.ping(..),
//     c.query(..) kMessages: this payload answered or pushed something: c.pongs() (ping_ids
//     answered),
//              c.results() (rpc_result: the query's msg_id and the answer's bytes), c.updates()
//              (other content-related messages: pushed updates); views into the payload
//     kResend: the server rejected our salt (bad_server_salt) and gave a new one: the messages
//              it named (c.rejected()) were dropped and must be sent again (new msg_id)
//     kError: a bad message, a failed handshake step, or a bad_msg_notification
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
  enum class Event : uint8_t { kNone, kReply, kHandshakeDone, kMessages, kResend, kError };

  struct RpcResult {
    uint64_t req_msg_id;
    ByteView body;  // the answer: a result object or rpc_error
  };

  MtprotoClient(const crypto::RsaPublicKey& server_key, int32_t dc);

  Bytes start_handshake(uint64_t unix_ms);
  // kError: error() says why (a failed handshake step, a bad message, a transport error).
  Event on_payload(MutableByteView payload, uint64_t unix_ms, Bytes& reply);
  // After kHandshakeDone: one encrypted ping#7abe77ec carrying `ping_id`, grown with
  // MTProto padding to about `size` bytes (at most ~1.1 KiB: padding is capped at 1024).
  Bytes ping(uint64_t ping_id, uint64_t unix_ms, size_t size = 0);
  // After kHandshakeDone: one encrypted API query (content-related); its msg_id, which the
  // rpc_result names, goes to `msg_id`.
  Bytes query(ByteView body, uint64_t unix_ms, uint64_t& msg_id);

  // msgs_ack#62d6b459 for every content-related server message seen since the last call
  // (seq_no even: acks are not content-related). Only when has_acks().
  Bytes acks(uint64_t unix_ms);
  bool has_acks() const { return !to_ack_.empty(); }
  size_t pending_acks() const { return to_ack_.size(); }

  bool has_key() const { return done_; }
  const std::vector<uint64_t>& pongs() const { return pongs_; }
  const std::vector<RpcResult>& results() const { return results_; }
  const std::vector<ByteView>& updates() const { return updates_; }
  const std::vector<uint64_t>& rejected() const { return rejected_; }
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
  std::vector<uint64_t> pongs_;
  std::vector<RpcResult> results_;
  std::vector<ByteView> updates_;
  std::vector<uint64_t> rejected_;  // bad_server_salt: the msg_ids to send again
  uint32_t bad_msg_code_ = 0;       // a bad_msg_notification's error_code; 0: none
  std::vector<uint64_t> to_ack_;    // content-related server msg_ids not acked yet
  std::string error_;
};

}  // namespace mtedge::bench
