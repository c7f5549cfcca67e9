#include "redis/connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cassert>

#include "redis/hiredis_reply.h"
#include "redis/uv_events.h"

namespace mtedge::redis {

Connection::Connection(uv_loop_t* loop, io::TimerHeap& timers, const ClientOptions& options,
                       Address address, bool select_db, CommandOwner& owner, std::minstd_rand& rng)
    : loop_(loop),
      timers_(timers),
      options_(options),
      address_(std::move(address)),
      select_db_(select_db),
      owner_(owner),
      rng_(rng) {}

Connection::~Connection() {
  assert(ac_ == nullptr && queue_.empty() && !phase_timer_.armed());
}

void Connection::start() {
  if (state_ == State::kIdle && !phase_timer_.armed()) connect();
}

void Connection::connect() {
  ++generation_;
  redisAsyncContext* ac = redisAsyncConnect(address_.host.c_str(), address_.port);
  if (ac == nullptr) {
    ++connect_failures_;
    schedule_reconnect("cannot allocate a hiredis context");
    return;
  }
  if (ac->err != 0 || attach_to_loop(ac, loop_) != REDIS_OK) {
    const std::string why = ac->err != 0 ? ac->errstr : "cannot attach to the loop";
    redisAsyncFree(ac);
    ++connect_failures_;
    schedule_reconnect("connect failed: " + why);
    return;
  }
  reply_limit_ = ReplyLimit{};
  bound_reader(*ac->c.reader, reply_limit_);
  ac->data = this;
  redisAsyncSetConnectCallback(ac, on_connect);
  redisAsyncSetDisconnectCallback(ac, on_disconnect);
  ac_ = ac;
  state_ = State::kConnecting;
  timers_.arm(phase_timer_, options_.connect_timeout_ms);
}

void Connection::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<Connection*>(ac->data);
  if (self == nullptr) return;
  if (status != REDIS_OK) {
    self->ac_ = nullptr;  // hiredis frees it when this callback returns
    self->timers_.cancel(self->phase_timer_);
    ++self->connect_failures_;
    self->schedule_reconnect(std::string("connect failed: ") + ac->errstr);
    return;
  }
  self->handshake();
}

void Connection::on_disconnect(const redisAsyncContext* ac, int /*status*/) {
  auto* self = static_cast<Connection*>(ac->data);
  if (self == nullptr) return;  // dropped by drop(): already handled
  self->ac_ = nullptr;          // hiredis frees it when this callback returns
  self->timers_.cancel(self->phase_timer_);
  self->state_ = State::kIdle;
  self->schedule_reconnect(ac->err != 0 ? "connection lost: " + self->reader_error(ac)
                                        : std::string("connection closed by the server"));
}

void Connection::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* command = static_cast<Command*>(privdata);
  Connection* self = command->connection;
  command->in_flight = false;
  command->connection = nullptr;
  Result<Reply> result = reply != nullptr
                             ? Result<Reply>(copy_reply(*static_cast<redisReply*>(reply)))
                             : Result<Reply>(Status::error(self->describe_error(ac)));
  // NULL: the link is going down; until hiredis says so, new commands wait in the queue.
  if (reply == nullptr && self->state_ == State::kReady) self->state_ = State::kIdle;
  if (command->internal) {
    Callback done = std::move(command->done);
    delete command;
    if (done) done(std::move(result));
    return;
  }
  self->owner_.on_command_result(*command, std::move(result));
}

std::string Connection::reader_error(const redisAsyncContext* ac) const {
  if (ac->err == REDIS_ERR_OOM && reply_limit_.refused_elements != -1) {
    return describe_refusal(reply_limit_);
  }
  return ac->errstr;
}

std::string Connection::describe_error(const redisAsyncContext* ac) const {
  const std::string where = " [server = " + address_.text() + "]";
  if (ac != nullptr && ac->err != 0)
    return "redis: connection lost" + where + ": " + reader_error(ac);
  return "redis: " + drop_reason_ + where;
}

void Connection::handshake() {
  state_ = State::kHandshaking;
  handshake_error_.clear();
  handshake_pending_ = 0;
  const uint64_t generation = generation_;
  auto on_answer = [this, generation](Result<Reply> result) {
    on_handshake_reply(generation, result);
  };
  bool sent = true;
  if (!options_.password.empty()) {
    Args auth{"AUTH"};
    if (!options_.user.empty()) auth.push_back(options_.user);
    auth.push_back(options_.password);
    sent = send_internal(std::move(auth), on_answer);
    handshake_pending_ += sent;
  }
  if (sent && select_db_ && options_.db != 0) {
    sent = send_internal({"SELECT", std::to_string(options_.db)}, on_answer);
    handshake_pending_ += sent;
  }
  if (!sent) {
    // Not from here: hiredis still uses the context after this connect callback returns.
    timers_.arm(phase_timer_, 0);  // dropped and retried as a failed handshake
  } else if (handshake_pending_ == 0) {
    become_ready();
  }
}

void Connection::on_handshake_reply(uint64_t generation, const Result<Reply>& result) {
  // A stale attempt, or the link dropped (drop()/on_disconnect schedule the reconnect).
  if (generation != generation_ || state_ != State::kHandshaking || !result) return;
  if (result->is_error() && handshake_error_.empty()) handshake_error_ = result->str();
  if (--handshake_pending_ > 0) return;
  if (handshake_error_.empty()) {
    become_ready();
    return;
  }
  // The server refused AUTH or SELECT: every queued command learns why, then retry later.
  const std::string why = "handshake refused: " + handshake_error_;
  ++connect_failures_;
  drop(why);
  refuse_queued(Status::error("redis: " + why + " [server = " + address_.text() + "]"));
  schedule_reconnect(why);
}

void Connection::become_ready() {
  timers_.cancel(phase_timer_);
  state_ = State::kReady;
  failures_ = 0;
  last_error_.clear();
  ++handshakes_;
  while (!queue_.empty() && state_ == State::kReady) {
    Command* command = queue_.front();
    queue_.pop_front();
    command->queue = nullptr;
    send(*command);
  }
}

void Connection::submit(Command& command) {
  if (state_ == State::kReady) {
    send(command);
  } else {
    enqueue(command);
  }
}

void Connection::send(Command& command) {
  if ((command.asking && !send_internal({"ASKING"}, nullptr)) || !write(command)) {
    state_ = State::kIdle;  // the link is going down: hiredis takes no more commands
    enqueue(command);
    return;
  }
  command.asking = false;
}

bool Connection::send_internal(Args args, Callback done) {
  auto* command = new Command(std::move(args), std::move(done), 0, owner_);
  command->internal = true;
  if (write(*command)) return true;
  delete command;
  return false;
}

bool Connection::write(Command& command) {
  if (ac_ == nullptr) return false;
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(command.args.size());
  lengths.reserve(command.args.size());
  for (const std::string& arg : command.args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  if (redisAsyncCommandArgv(ac_, on_reply, &command, int(argv.size()), argv.data(),
                            lengths.data()) != REDIS_OK) {
    return false;
  }
  command.connection = this;
  command.in_flight = true;
  return true;
}

void Connection::enqueue(Command& command) {
  command.connection = this;
  command.queue = &queue_;
  command.queue_pos = queue_.insert(queue_.end(), &command);
}

void Connection::drop(const std::string& why) {
  timers_.cancel(phase_timer_);
  state_ = State::kIdle;
  redisAsyncContext* ac = ac_;
  if (ac == nullptr) return;
  ac_ = nullptr;
  ac->data = nullptr;  // no connect/disconnect callback reaches this connection any more
  drop_reason_ = why;
  redisAsyncFree(ac);  // in-flight commands come back with NULL (deferred inside a callback)
}

void Connection::schedule_reconnect(const std::string& why) {
  if (state_ == State::kClosed) return;
  state_ = State::kIdle;
  last_error_ = why;
  const unsigned exponent = std::min(failures_, 32u);
  const uint64_t delay = std::min(options_.reconnect_max_ms, options_.reconnect_min_ms << exponent);
  ++failures_;
  std::uniform_int_distribution<uint64_t> jitter(delay / 2, delay);
  timers_.arm(phase_timer_, jitter(rng_));
  owner_.on_connection_down(*this);
}

void Connection::on_phase_due() {
  switch (state_) {
    case State::kIdle: connect(); return;
    case State::kConnecting:
    case State::kHandshaking: {
      const std::string why = std::string("connect timed out [connect_timeout_ms = ")
                                  .append(std::to_string(options_.connect_timeout_ms))
                                  .append("]");
      ++connect_failures_;
      drop(why);
      schedule_reconnect(why);
      return;
    }
    case State::kReady:
    case State::kClosed: return;
  }
}

void Connection::close(const Status& why) {
  drop(why.message().starts_with("redis: ") ? why.message().substr(7) : why.message());
  state_ = State::kClosed;
  refuse_queued(why);
}

void Connection::refuse_queued(const Status& why) {
  while (!queue_.empty()) {
    Command* command = queue_.front();
    queue_.pop_front();
    command->queue = nullptr;
    command->connection = nullptr;
    owner_.on_command_refused(*command, why);
  }
}

}  // namespace mtedge::redis
