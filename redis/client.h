// redis::Client: an asynchronous Redis client bound to one uv loop (one per worker loop; a
// Client is never shared between threads). docs/redis.md has the whole contract.
//
//  - command(args, done, key_index): args are byte strings (binary-safe); done(Result<Reply>)
//    runs exactly once, on the loop thread, never inside command() itself (except after
//    close(), when it runs at once with "redis: client closed"). A server error is a Reply of
//    type kError; a failed Result is a client-side failure: timeout, connection lost while in
//    flight, queue full, handshake refused, too many redirects, client closed.
//  - Commands are pipelined on one connection per node, in the order of command() calls.
//  - Every command has a deadline (command_timeout_ms from command()); at the deadline the
//    callback gets a timeout error and a late reply is dropped.
//  - While a node is down its commands queue (max_queued_commands, then refused at once);
//    the node is reconnected with exponential backoff and jitter, AUTH and SELECT run before
//    any queued command. Commands in flight when a link drops fail (they may have run).
//  - Cluster mode: the slot map comes from CLUSTER SLOTS (seeds, then known masters); each
//    command goes to the master of its key's slot (args[key_index], hash tags honoured;
//    key_index 0: no key, any master); MOVED updates the map, retries and refreshes the map
//    in the background; ASK retries once on the target after ASKING; at most max_redirects.
//  - close() (or the destructor) answers every pending callback with "redis: client closed",
//    inside close(). The loop must run afterwards for the client's handles to close.
#pragma once

#include <uv.h>

#include <cstdint>

#include "redis/command.h"
#include "redis/options.h"
#include "redis/reply.h"

namespace mtedge::redis {

struct ClientStats {
  uint64_t commands = 0;           // command() calls
  uint64_t timeouts = 0;           // commands answered with a timeout
  uint64_t queue_full = 0;         // commands refused: max_queued_commands reached
  uint64_t connection_errors = 0;  // commands in flight when their link dropped
  uint64_t handshakes = 0;         // (re)connects that completed AUTH/SELECT
  uint64_t connect_failures = 0;   // connects or handshakes that failed or timed out
  uint64_t moved = 0;              // MOVED redirects followed
  uint64_t ask = 0;                // ASK redirects followed
  uint64_t redirect_limit = 0;     // commands failed after max_redirects
  uint64_t slot_map_loads = 0;     // CLUSTER SLOTS replies taken as the slot map
};

class Client {
 public:
  static constexpr size_t kNoKey = 0;

  // Starts connecting at once (standalone: nodes[0]; cluster: loads the slot map).
  Client(uv_loop_t* loop, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void command(Args args, Callback done, size_t key_index = 1);
  void close();

  // Standalone: the connection is up. Cluster: a slot map is loaded.
  bool ready() const;
  ClientStats stats() const;

 private:
  class Core;
  Core* core_;  // null after close(); the Core deletes itself once the loop closed its timer
  ClientStats final_stats_;  // stats() after close()
};

}  // namespace mtedge::redis
