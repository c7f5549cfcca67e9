// One command on its way through a Client (internal to redis/): its arguments, its callback,
// its deadline on the client's TimerHeap, and where it is. A command is, at any time, queued
// on one Connection (or on the cluster's wait for a slot map), in flight (hiredis holds it as
// privdata until it hands it back with a reply or NULL), or neither (about to be routed).
// It is answered once (`done` is emptied), and deleted once answered and not in flight.
#pragma once

#include <functional>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "io/timer_heap.h"
#include "redis/reply.h"

namespace mtedge::redis {

using Args = std::vector<std::string>;
using Callback = std::function<void(Result<Reply>)>;

class Connection;
struct Command;

// The client core, as its commands and connections see it.
class CommandOwner {
 public:
  // The command's deadline (or a deferred failure's zero delay) came.
  virtual void on_command_due(Command& command) = 0;
  // A non-internal command came back from hiredis: a reply, or the connection's loss.
  virtual void on_command_result(Command& command, Result<Reply> result) = 0;
  // A connection gives up a queued command (authentication refused, connection closed).
  virtual void on_command_refused(Command& command, Status why) = 0;
  // A connection went down or failed to come up; it retries after its backoff.
  virtual void on_connection_down(Connection& connection) = 0;

 protected:
  ~CommandOwner() = default;
};

struct Command final : io::TimerHeap::Node {
  Command(Args a, Callback cb, size_t key, CommandOwner& o)
      : args(std::move(a)), done(std::move(cb)), key_index(key), owner(&o) {}

  Args args;
  Callback done;         // empty once answered
  size_t key_index = 0;  // args[key_index] is the routing key; 0: none
  CommandOwner* owner = nullptr;
  std::optional<Status> deferred;  // a failure to deliver when the zero-delay timer fires
  bool internal = false;           // AUTH/SELECT/ASKING: no deadline, reply for the client
  bool asking = false;             // send ASKING right before it (one ASK redirect)
  unsigned redirects = 0;
  bool in_flight = false;
  Connection* connection = nullptr;  // where it is queued or in flight
  std::list<Command*>* queue = nullptr;
  std::list<Command*>::iterator queue_pos;

  bool answered() const { return !done; }
  const std::string& name() const {
    static const std::string kNone = "(empty)";
    return args.empty() ? kNone : args[0];
  }

 private:
  void on_due() override { owner->on_command_due(*this); }
};

}  // namespace mtedge::redis
