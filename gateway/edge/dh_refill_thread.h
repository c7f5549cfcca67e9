// The background thread that keeps a DhPairPool (mtproto/handshake/dh_pair_pool.h) full: it
// sleeps while the pool is at its bound and computes one pair at a time while it is not.
//
// It runs at the lowest priority the system offers (SCHED_IDLE on Linux: it gets a core only
// when nothing else wants it; else nice 19), so precomputing never takes CPU from the worker
// loops or the handshake threads. Under a handshake flood that keeps both cores busy the pool
// drains and handshakes compute their own pairs, as without a pool. The destructor stops the
// thread after the pair it is computing (at most one exponentiation, ~1-2 ms).
#pragma once

#include <thread>

#include "mtproto/handshake/dh_pair_pool.h"

namespace mtedge::gateway {

class DhRefillThread {
 public:
  // `pool` must outlive this object.
  explicit DhRefillThread(mtproto::DhPairPool& pool);
  ~DhRefillThread();
  DhRefillThread(const DhRefillThread&) = delete;
  DhRefillThread& operator=(const DhRefillThread&) = delete;

 private:
  void run();

  mtproto::DhPairPool& pool_;
  std::thread thread_;
};

}  // namespace mtedge::gateway
