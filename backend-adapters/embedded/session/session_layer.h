// The session layer's per-frame processing for one locked Session (docs/spec/wire-notes.md
// §8.2-8.5). Internal to SessionService: constructed under the session's shard lock for one frame.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "backend-adapters/embedded/session/packet_decoder.h"
#include "backend-adapters/embedded/session/session.h"
#include "backend-adapters/embedded/session/session_service.h"
#include "base/bytes.h"

namespace mtedge::backend::embedded {

// Work that needs locks other than the session's own, done after it is released.
struct Deferred {
  enum class Kind : uint8_t { kDestroySession, kDestroyAuthKey };
  Kind kind = Kind::kDestroySession;
  int64_t msg_id = 0;             // the request's msg_id
  int64_t target_session_id = 0;  // kDestroySession
};

class SessionLayer {
 public:
  // `packet` is the decoded frame (its gzip_packed inflated, its queries unwrapped).
  SessionLayer(SessionService& service, Session& session, double now, Outcome& out,
               const DecodedPacket& packet = DecodedPacket::none())
      : service_(service), session_(session), now_(now), out_(out), packet_(packet) {}

  // One decrypted message whose salt was accepted.
  void process(int64_t msg_id, int32_t seq_no, ByteView body);
  // The salt of (msg_id, seq_no) was wrong: bad_server_salt with the current salt.
  void bad_server_salt(int64_t msg_id, int32_t seq_no);

  // Appends a new server message to the replies (and, if content-related, to the unacked queue).
  // `response` picks the msg_id parity (%4 == 1 answers, %4 == 3 otherwise).
  OutMessage emit(Bytes body, bool content_related, bool response);
  // rpc_result answering `req_msg_id` (queued as unacked, stored for duplicates).
  void rpc_answer(int64_t req_msg_id, ByteView result);

  std::vector<Deferred>& deferred() { return deferred_; }
  // Updates the queries asked to send to other sessions (after the session's lock is released).
  std::vector<api::Push>& pushes() { return pushes_; }

 private:
  void process_container(int64_t msg_id, int32_t seq_no, ByteView body);
  void process_one(int64_t msg_id, int32_t seq_no, ByteView body, int64_t batch_min_id,
                   bool in_container);
  void dispatch(uint32_t constructor, int64_t msg_id, ByteView body);
  void rpc(int64_t msg_id, ByteView payload);

  bool check_msg_id(int64_t msg_id, int32_t seq_no);
  bool check_seq_order(int64_t msg_id, int32_t seq_no);
  void remember(int64_t msg_id, int32_t seq_no, bool container);
  void answer_duplicate(int64_t msg_id);
  void bad_msg(int64_t msg_id, int32_t seq_no, int32_t code);
  void announce(int64_t first_msg_id);
  void ack(int64_t server_msg_id);
  const QueuedMessage* find_unacked(int64_t server_msg_id) const;
  bool unacked_has(int64_t server_msg_id) const;
  // True the first time this packet sends `server_msg_id` again (resend or duplicate answer).
  bool first_repeat(int64_t server_msg_id);
  void store_result(int64_t req_msg_id, const OutMessage& answer);
  uint8_t msg_state(int64_t msg_id) const;

  void on_msgs_ack(ByteView body);
  void on_ping(int64_t msg_id, ByteView body, bool delay_disconnect);
  void on_get_future_salts(int64_t msg_id, ByteView body);
  void on_msgs_state_req(int64_t msg_id, ByteView body);
  void on_msg_resend_req(int64_t msg_id, ByteView body);
  // msgs_state_info answering request `req_msg_id`: one state byte per asked msg_id.
  void emit_state_info(int64_t req_msg_id, const Bytes& info);
  void on_rpc_drop_answer(int64_t msg_id, ByteView body);

  SessionService& service_;
  Session& session_;
  double now_;
  Outcome& out_;
  const DecodedPacket& packet_;
  std::vector<Deferred> deferred_;
  std::vector<api::Push> pushes_;
  std::unordered_set<int64_t> repeated_;  // stored messages this packet already sent again
};

}  // namespace mtedge::backend::embedded
