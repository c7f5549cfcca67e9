// The server's DH half-pairs (b, g^b mod p) for one DH group (docs/spec/wire-notes.md §7.4 item
// 3), computed ahead of need. A handshake's req_DH_params takes a pair instead of running the
// g^b exponentiation on its critical path; a background thread (gateway/edge/dh_refill_thread.h)
// tops the pool up in idle time.
//
// Contracts: the pool never holds more than `capacity` pairs; a pair leaves the pool exactly
// once (take() moves it out), so no secret b is ever handed to two exchanges; secrets are
// wiped when a pair is destroyed. When the pool is empty, take() counts a miss and the caller
// computes its own pair (compute_dh_pair) inline. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/bignum.h"
#include "mtproto/handshake/dh_group.h"

namespace mtedge::mtproto {

// One server DH half: a random 2048-bit secret and its public value g^secret mod p, which
// already passed the range check of §7.4 item 5 (2^(2048-64) <= g^b <= p - 2^(2048-64)).
struct DhPair {
  Bytes secret;        // 256 bytes big-endian; wiped on destruction
  Bytes public_value;  // 256 bytes big-endian

  DhPair() = default;
  DhPair(DhPair&&) = default;
  DhPair& operator=(DhPair&&) = default;
  DhPair(const DhPair&) = delete;
  DhPair& operator=(const DhPair&) = delete;
  ~DhPair();
};

// A fresh pair for `group` (whose prime is `modulus`): a random secret, one constant-time
// exponentiation, redrawn while the public value is out of range (rare: ~2^-60).
Result<DhPair> compute_dh_pair(const DhGroup& group, const crypto::MontgomeryModulus& modulus);

class DhPairPool {
 public:
  struct Stats {
    size_t size = 0;      // pairs ready now
    size_t capacity = 0;  // the bound
    uint64_t taken = 0;   // pairs handed to handshakes
    uint64_t misses = 0;  // take() found the pool empty (the handshake computed its own)
  };

  // `capacity` > 0. The pool starts empty.
  DhPairPool(DhGroup group, crypto::MontgomeryModulus modulus, size_t capacity);
  ~DhPairPool();
  DhPairPool(const DhPairPool&) = delete;
  DhPairPool& operator=(const DhPairPool&) = delete;

  // The group the pairs belong to (the pool's key).
  const DhGroup& group() const { return group_; }

  // Moves one pair out (it is never handed out again); nullopt when empty (a miss).
  std::optional<DhPair> take();

  // Computes one pair (outside the lock) and adds it if there is room; false when the pool
  // was already full or is closed, in which case nothing is computed. Two callers racing for
  // the last slot may compute one pair more than needed: the extra one is wiped, never kept.
  bool refill_one();

  // Blocks until the pool has room or close() was called; false once closed.
  bool wait_for_room();
  // Wakes every wait_for_room() for good (the refill thread is stopping).
  void close();

  Stats stats() const;

 private:
  const DhGroup group_;
  const crypto::MontgomeryModulus modulus_;
  const size_t capacity_;

  mutable std::mutex mu_;
  std::condition_variable room_;
  std::deque<DhPair> pairs_;
  bool closed_ = false;
  uint64_t taken_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace mtedge::mtproto
