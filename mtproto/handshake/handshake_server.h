// Server side of the MTProto DH key exchange (docs/spec/wire-notes.md §7.4), sans-io: one
// HandshakeServer per connection, fed the unencrypted messages the client sends; it answers with
// reply bodies, a transport error, or a finished auth key (already inserted into the context's
// store).
//
//   req_pq / req_pq_multi   -> resPQ
//   req_DH_params           -> server_DH_params_ok | server_DH_params_fail | -404 | -444
//   set_client_DH_params    -> dh_gen_ok (+ the key) | dh_gen_retry | dh_gen_fail | -404
//
// Any protocol error (bad TL, unknown/mismatched nonce, wrong pq factors, unknown fingerprint,
// failed hash check, g_b out of range, timeout) answers -404 and makes this connection's
// handshake dead: every later handshake query on it gets -404. A wrong dc answers -444 and the
// caps (per connection and table size at req_pq; in flight per source and in total, and the
// per-source rate, at req_DH_params) answer -429; both also make it dead (later: -404). A query
// naming an exchange it cannot prove is its own (wrong server_nonce, another source) fails only
// its sender. docs/mtproto.md lists every check and its answer.
//
// Threading: a HandshakeServer is used by one thread at a time (its owner hands it between the
// connection's loop and a crypto thread, one step at a time); the context it shares is
// thread-safe. Destroying it (the connection closed) gives its permits back and ends its
// exchanges, unless they may go on from another connection (HTTP: one request per connection).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "mtproto/handshake/handshake_context.h"
#include "mtproto/keys/auth_key.h"

namespace mtedge::mtproto {

inline constexpr int32_t kTransportErrorBadQuery = -404;
inline constexpr int32_t kTransportErrorFlood = -429;
inline constexpr int32_t kTransportErrorBadDc = -444;

// A key the exchange produced (dh_gen_ok was answered).
struct CompletedAuthKey {
  AuthKey key;
  uint64_t server_salt = 0;  // new_nonce[0..8) XOR server_nonce[0..8), LE u64
  bool temp = false;
  int32_t expires_in = 0;  // temp keys: seconds (after clamping)
  int32_t dc_id = 0;       // as sent by the client (0 for plain p_q_inner_data)
};

struct HandshakeOutput {
  enum class Kind {
    kReply,           // send `reply` (unencrypted message_data)
    kTransportError,  // send `transport_error` in the connection's transport, then close
  };
  Kind kind = Kind::kReply;
  Bytes reply;
  int32_t transport_error = 0;
  // Set together with the dh_gen_ok reply of a successful exchange.
  std::optional<CompletedAuthKey> completed;
  // Human-readable reason for errors and non-ok answers (for a debug log line; no secrets).
  std::string reason;
  // The -429 came from the per-source rate (not a cap in flight).
  bool rate_limited = false;
};

class HandshakeServer {
 public:
  // `source`: the client's source bucket (an IPv4 address or an IPv6 /64 prefix), for the
  // context's limiter and to tell exchanges of other sources apart.
  // `exchanges_outlive_connection`: the client may send the next step on another connection
  // (HTTP), so destroying this object keeps its exchanges (their permits still go back).
  HandshakeServer(std::shared_ptr<HandshakeContext> context, std::string source,
                  bool exchanges_outlive_connection = false);
  ~HandshakeServer();
  HandshakeServer(const HandshakeServer&) = delete;
  HandshakeServer& operator=(const HandshakeServer&) = delete;

  // One unencrypted message body (message_data, starting with the constructor id; trailing
  // bytes after the object are ignored). `now_ms`: unix time in milliseconds.
  HandshakeOutput handle_body(ByteView body, int64_t now_ms);

  // A whole unencrypted transport payload (auth_key_id 0 | msg_id | length | data). Replies
  // come back wrapped as unencrypted payloads with a fresh server msg_id. A payload that is
  // not a valid unencrypted message answers -404.
  HandshakeOutput handle_payload(ByteView payload, int64_t now_ms);

  // True for the queries whose work is expensive (req_DH_params: RSA decryption and g^a;
  // set_client_DH_params: g_b^a and the key store insert), which the owner may run off its
  // event loop. `payload` as for handle_payload; anything else is false.
  static bool costly(ByteView payload);

  // True after a transport error was answered: every later query answers -404.
  bool dead() const { return dead_; }
  // Exchanges started on this connection that are neither finished nor timed out.
  size_t in_flight(int64_t now_ms) const;
  // The client sent a good encrypted message with `auth_key_id` on this connection, so it has
  // the dh_gen_ok of the exchange that created that key: the exchange and its cached reply
  // are dropped now instead of after reply_cache_ms. Returns true when no exchange of this
  // connection is left and none was refused (the owner may free this object).
  bool key_used(uint64_t auth_key_id);

 private:
  HandshakeOutput fail(int32_t code, std::string reason);
  // Ends `ex` for good: dead, its permit back, its secret `a` wiped. Called with ex.mu held.
  static void end_exchange(Exchange& ex);
  // end_exchange(ex), then fail(). Called with ex.mu held.
  HandshakeOutput kill(Exchange& ex, int32_t code, std::string reason);
  HandshakeOutput on_req_pq(ByteView body, uint32_t ctor, int64_t now_ms);
  HandshakeOutput on_req_dh_params(ByteView body, int64_t now_ms);
  HandshakeOutput on_set_client_dh_params(ByteView body, int64_t now_ms);

  std::shared_ptr<HandshakeContext> ctx_;
  std::string source_;
  bool exchanges_outlive_connection_ = false;
  bool dead_ = false;
  uint64_t last_msg_id_ = 0;
  std::vector<std::weak_ptr<Exchange>> mine_;
};

}  // namespace mtedge::mtproto
