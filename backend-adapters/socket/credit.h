// Credit accounting of one backend stream, both directions (docs/protocol.md "Flow
// control"). Counted in messages. Sans-io: the stream asks, the ledger answers.
//
// Gateway -> backend: the backend grants credit; each client frame spends one. With none
// left the stream queues (bounded) and the gateway stops reading the affected clients.
//
// Backend -> gateway: the gateway grants a window of `window` messages. Each charged
// message is either settled (its credit goes back to the backend at the next grant) or
// held for a slow client (it goes back once that client drains or closes). One client holds at
// most its share (`max_held_per_conn`, default window / 8, at least 1): past it the message is
// settled anyway, so a client that stops reading cannot starve the stream; its own outbound
// limit (the gateway's write_buffer_limit) bounds it instead. So the credit
// the backend holds + credit held for slow clients + credit not yet granted back always
// equals the window: a backend can never have more than `window` messages outstanding.
#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>

namespace mtedge::backend::socket {

class CreditLedger {
 public:
  // `max_held_per_conn` 0: window / 8, at least 1.
  explicit CreditLedger(uint32_t window, uint32_t max_held_per_conn = 0)
      : window_(window),
        max_held_per_conn_(max_held_per_conn != 0 ? max_held_per_conn
                                                  : std::max<uint32_t>(1, window / 8)) {
    reset();
  }

  // A new stream: no send credit, the whole window is granted in the Hello.
  void reset();
  uint32_t window() const { return window_; }
  uint32_t max_held_per_conn() const { return max_held_per_conn_; }

  // ---- gateway -> backend
  // Adds a grant from the backend. Saturates: a backend cannot wrap the counter.
  void add_send_credit(uint32_t messages);
  // Spends one credit for a frame; false when there is none.
  bool try_spend();
  uint64_t send_credit() const { return send_credit_; }

  // ---- backend -> gateway
  // The backend sent a message that costs credit; false means it had none (a breach).
  bool charge();
  // The message is done with; its credit can go back.
  void settle() { ++to_grant_; }
  // The message went to a client above its high-water mark: keep its credit until
  // release(conn), unless the client already holds its share; then the credit is settled
  // and false returned.
  bool hold(uint64_t conn);
  // The client drained or closed: its held credit can go back.
  void release(uint64_t conn);
  // Credit to grant back now: everything owed once it reaches a quarter of the window (or
  // any amount with `force`, e.g. when the backend has run dry); 0 = send nothing yet.
  uint32_t take_grant(bool force);

  uint32_t backend_credit() const { return backend_credit_; }
  uint32_t held() const { return held_total_; }
  uint32_t owed() const { return to_grant_; }

 private:
  uint32_t window_;
  uint32_t max_held_per_conn_;
  uint64_t send_credit_ = 0;
  uint32_t backend_credit_ = 0;
  uint32_t to_grant_ = 0;
  uint32_t held_total_ = 0;
  std::unordered_map<uint64_t, uint32_t> held_;
};

}  // namespace mtedge::backend::socket
