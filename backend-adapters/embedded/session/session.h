// Per-session state of the session layer (one per (auth_key_id, session_id)) and per-key
// state. Plain data guarded by the owning shard's mutex in SessionService; nothing here locks.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend-adapters/api/frame.h"
#include "backend-adapters/embedded/session/sorted_window.h"
#include "base/bytes.h"

namespace mtedge::backend::embedded {

using mtedge::Bytes;
using SharedBytes = std::shared_ptr<const Bytes>;

// (auth_key_id, session_id): the identity of a session.
struct SessionKey {
  uint64_t auth_key_id = 0;
  int64_t session_id = 0;
  bool operator==(const SessionKey&) const = default;
};
struct SessionKeyHash {
  size_t operator()(const SessionKey& k) const {
    uint64_t h = k.auth_key_id * 0x9e3779b97f4a7c15ull ^ uint64_t(k.session_id);
    return size_t(h ^ (h >> 31));
  }
};

// A server message ready to be encrypted by the edge stage: the session's current salt and id
// are filled in when it is handed to the gateway.
struct OutMessage {
  int64_t msg_id = 0;
  int32_t seq_no = 0;
  SharedBytes body;
};

// What the client told us in initConnection.
struct AppInfo {
  int32_t api_id = 0;
  std::string device_model;
  std::string system_version;
  std::string app_version;
  std::string system_lang_code;
  std::string lang_pack;
  std::string lang_code;
};

// A content-related server message the client has not acknowledged yet (resent on the
// session's next connection and on msg_resend_req).
struct QueuedMessage {
  OutMessage message;
  int64_t req_msg_id = 0;  // for rpc_result: the query it answers; 0 otherwise
};

// An answered query, kept for duplicates (never executed twice).
struct StoredResult {
  int64_t id = 0;     // the query's msg_id (req_msg_id)
  OutMessage answer;  // the whole rpc_result message as sent
};

// A received client message: its seq_no and whether it was a container.
struct ReceivedMsg {
  int64_t id = 0;  // msg_id
  int32_t seq_no = 0;
  bool container = false;
};

// A live connection bound to a session.
struct SessionConn {
  ConnId id = 0;
  // HTTP: one packet per request, so the connection can carry a message only while it holds
  // a request (`holding_since` != 0: the order in which it began holding one, oldest lowest).
  bool http = false;
  uint64_t holding_since = 0;
};

struct Session {
  SessionKey key;
  uint64_t unique_id = 0;    // new_session_created.unique_id: the same in every announcement
  int64_t first_msg_id = 0;  // new_session_created.first_msg_id (0: not announced yet)
  int64_t last_out_msg_id = 0;
  int32_t out_content_count = 0;  // content-related messages sent (seq_no source)
  int layer = 0;                  // from invokeWithLayer (0: unknown)

  // Received client msg_ids (bounded; the lowest are forgotten first).
  SortedWindow<ReceivedMsg> received;
  int64_t forgotten_up_to = 0;  // highest forgotten id: ids <= this are "too old to know" (20)

  // Oldest first, at most max_queued_messages (a vector: an idle session allocates nothing).
  std::vector<QueuedMessage> unacked;
  // By req_msg_id; beyond max_stored_results the smallest req_msg_id (the client's oldest
  // query: msg_ids grow with time) is forgotten first.
  SortedWindow<StoredResult> results;

  std::vector<SessionConn> conns;  // live connections bound to this session, oldest first
  uint64_t holding_counter = 0;    // source of SessionConn::holding_since
  // Content-related messages could not be handed to any connection (HTTP without a held
  // request): `unacked` goes out with the session's next request, on any connection.
  bool resend_unacked = false;
  bool overflow_logged = false;  // the unacked-queue overflow warning was logged for this session
  uint32_t last_active = 0;      // unix seconds, whole (idle expiry needs no more; fits until 2106)
  std::shared_ptr<const AppInfo> app;  // from initConnection
};

// One session of a key, as the key's state knows it (KeyState::sessions).
struct KeySession {
  int64_t session_id = 0;
  uint32_t last_active = 0;  // unix seconds, whole (refreshed at most once a second)
};

// Per auth key: what outlives one session. Who the key is signed in as lives in the messenger
// state (state/model.h), not here: this entry may be evicted.
struct KeyState {
  uint64_t auth_key_id = 0;
  int layer = 0;
  std::shared_ptr<const AppInfo> app;
  int64_t handshake_salt = 0;       // the salt the DH handshake gave the client
  double handshake_salt_until = 0;  // accepted until (unix seconds); 0 = none
  // The key's sessions, at most max_sessions_per_key (its least recently active goes first).
  std::vector<KeySession> sessions;
};

}  // namespace mtedge::backend::embedded
