// Connection: one hiredis async link to one Redis node on one uv loop (internal to redis/).
//
// It connects (within connect_timeout_ms, AUTH and SELECT included), pipelines every command
// it is given in order, queues commands while it is down and runs them, in order, once the
// handshake (AUTH, SELECT) has answered, and reconnects after a loss with exponential backoff
// and jitter. Commands in flight when the link drops come back to the owner with an error
// (they may or may not have run); queued ones stay queued, except when the server refused
// the handshake's AUTH or SELECT, which fails them with the server's answer.
//
// Loop thread only. hiredis's callbacks reach it through ac->data (cleared when the
// connection drops the context itself) and each command's privdata.
#pragma once

#include <uv.h>

#include <cstdint>
#include <list>
#include <random>
#include <string>

#include "io/timer_heap.h"
#include "redis/command.h"
#include "redis/hiredis_reply.h"
#include "redis/options.h"

struct redisAsyncContext;

namespace mtedge::redis {

class Connection {
 public:
  Connection(uv_loop_t* loop, io::TimerHeap& timers, const ClientOptions& options, Address address,
             bool select_db, CommandOwner& owner, std::minstd_rand& rng);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const Address& address() const { return address_; }
  bool ready() const { return state_ == State::kReady; }
  size_t queued() const { return queue_.size(); }
  // Why the last connect or handshake failed, or why the link dropped ("" once it is up).
  const std::string& last_error() const { return last_error_; }
  uint64_t handshakes() const { return handshakes_; }
  uint64_t connect_failures() const { return connect_failures_; }

  // Connects now (from idle; a no-op otherwise).
  void start();
  // Sends now when ready, else queues (the caller bounds the queue).
  void submit(Command& command);
  // Drops the link (in-flight commands come back with `why`), refuses every queued command
  // with `why`, and never reconnects.
  void close(const Status& why);

 private:
  enum class State { kIdle, kConnecting, kHandshaking, kReady, kClosed };
  struct PhaseTimer final : io::TimerHeap::Node {
    explicit PhaseTimer(Connection& c) : connection(c) {}
    Connection& connection;
    void on_due() override { connection.on_phase_due(); }
  };

  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);

  void connect();
  void handshake();
  void on_handshake_reply(uint64_t generation, const Result<Reply>& result);
  void become_ready();
  void send(Command& command);
  bool send_internal(Args args, Callback done);
  // Hands the command to hiredis (false when the context takes no more commands).
  bool write(Command& command);
  void enqueue(Command& command);
  // Hands every queued command back to the owner with `why`.
  void refuse_queued(const Status& why);
  // Frees the hiredis context (in-flight commands come back with `why`).
  void drop(const std::string& why);
  void schedule_reconnect(const std::string& why);
  void on_phase_due();
  std::string describe_error(const redisAsyncContext* ac) const;
  // The context's error text (the reply limit's refusal in words, when that was the cause).
  std::string reader_error(const redisAsyncContext* ac) const;

  uv_loop_t* loop_;
  io::TimerHeap& timers_;
  const ClientOptions& options_;
  Address address_;
  bool select_db_;
  CommandOwner& owner_;
  std::minstd_rand& rng_;

  State state_ = State::kIdle;
  redisAsyncContext* ac_ = nullptr;
  PhaseTimer phase_timer_{*this};  // connect+handshake deadline, or the reconnect delay
  std::list<Command*> queue_;
  uint64_t generation_ = 0;  // one per connect attempt; stale handshake replies are ignored
  unsigned handshake_pending_ = 0;
  std::string handshake_error_;
  std::string drop_reason_;
  ReplyLimit reply_limit_;  // the reader's refusal, if it refused a reply (reset per connect)
  std::string last_error_;
  unsigned failures_ = 0;  // consecutive failed attempts (the backoff's exponent)
  uint64_t handshakes_ = 0;
  uint64_t connect_failures_ = 0;
};

}  // namespace mtedge::redis
