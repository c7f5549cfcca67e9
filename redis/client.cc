#include "redis/client.h"

#include <algorithm>
#include <list>
#include <memory>
#include <random>
#include <unordered_set>
#include <vector>

#include "io/timer_heap.h"
#include "redis/connection.h"
#include "redis/hash_slot.h"
#include "redis/slot_map.h"

namespace mtedge::redis {

// Owns the connections, every command and the slot map; outlives the Client until the
// loop has closed its timer (hiredis may still hand commands back inside close()).
class Client::Core final : public CommandOwner {
 public:
  Core(uv_loop_t* loop, ClientOptions options)
      : loop_(loop), options_(std::move(options)), rng_(std::random_device{}()) {
    timers_.init(loop_);
    if (options_.nodes.empty()) return;  // every command fails: "no Redis node configured"
    if (options_.cluster) {
      refresh_slots();
    } else {
      connection_for(options_.nodes.front());
    }
  }
  ~Core() {
    for (Command* command : live_) delete command;  // none: close() answered them all
  }

  void command(Args args, Callback done, size_t key_index) {
    ++stats_.commands;
    if (closing_) {
      done(Status::error("redis: client closed"));
      return;
    }
    auto* command = new Command(std::move(args), std::move(done), key_index, *this);
    live_.insert(command);
    timers_.arm(*command, options_.command_timeout_ms);
    if (command->args.empty()) {
      // Redis answers nothing to an empty request: the replies after it would shift.
      fail_soon(*command, Status::error("redis: empty command"));
      return;
    }
    if (options_.nodes.empty()) {
      fail_soon(*command, Status::error("redis: no Redis node configured"));
      return;
    }
    route(*command, false);
  }

  void close() {
    if (closing_) return;
    closing_ = true;
    timers_.cancel(refresh_timer_);
    const Status closed = Status::error("redis: client closed");
    for (auto& connection : connections_) connection->close(closed);
    const std::vector<Command*> rest(live_.begin(), live_.end());
    for (Command* command : rest) {
      if (live_.count(command) != 0 && !command->answered()) answer(*command, closed);
    }
    timers_.close([](uv_handle_t* handle) { delete static_cast<Core*>(handle->data); }, this);
  }

  bool ready() const {
    if (options_.cluster) return slots_loaded_;
    return !connections_.empty() && connections_.front()->ready();
  }

  ClientStats stats() const {
    ClientStats stats = stats_;
    for (const auto& connection : connections_) {
      stats.handshakes += connection->handshakes();
      stats.connect_failures += connection->connect_failures();
    }
    return stats;
  }

 private:
  struct RefreshTimer final : io::TimerHeap::Node {
    explicit RefreshTimer(Core& c) : core(c) {}
    Core& core;
    void on_due() override { core.refresh_slots(); }
  };

  // --- CommandOwner ---
  void on_command_due(Command& command) override {
    if (command.deferred) {
      const Status why = *command.deferred;
      answer(command, why);
      return;
    }
    ++stats_.timeouts;
    std::string where = command.connection != nullptr
                            ? "server = " + command.connection->address().text()
                            : std::string("waiting for the slot map");
    std::string cause;
    if (command.connection != nullptr && !command.connection->last_error().empty()) {
      cause = ": " + command.connection->last_error();
    } else if (command.connection == nullptr && !slot_map_error_.empty()) {
      cause = ": " + slot_map_error_;
    }
    answer(command, Status::error(
                        std::string("redis: command timed out [command = ").append(command.name()) +
                        ", timeout_ms = " + std::to_string(options_.command_timeout_ms) + ", " +
                        where + "]" + cause));
  }

  void on_command_result(Command& command, Result<Reply> result) override {
    if (command.answered()) {
      release(command);  // timed out earlier: the late reply is dropped
      return;
    }
    if (!result) {
      ++stats_.connection_errors;
    } else if (options_.cluster && !closing_ && result->is_error() &&
               follow_redirect(command, result->str())) {
      return;
    }
    answer(command, std::move(result));
  }

  void on_command_refused(Command& command, Status why) override {
    answer(command, std::move(why));
  }

  void on_connection_down(Connection& connection) override {
    if (!options_.cluster || closing_) return;
    if (slots_command_ != nullptr && slots_command_->connection == &connection &&
        !slots_command_->in_flight) {
      // The node asked for the slot map is unreachable: ask the next one (after a backoff).
      answer(*slots_command_, Status::error("redis: cannot reach " + connection.address().text() +
                                            ": " + connection.last_error()));
      return;
    }
    refresh_slots();  // a master may have failed over
  }

  // --- commands ---
  // Answers (if not yet) and releases: the callback runs last, after the command is gone
  // from every list, so it may call command() or close() freely.
  void answer(Command& command, Result<Reply> result) {
    Callback done = std::move(command.done);
    command.done = nullptr;
    release(command);
    if (done) done(std::move(result));
  }

  // Off the timer heap and out of any queue; deleted unless hiredis still holds it.
  void release(Command& command) {
    timers_.cancel(command);
    if (command.queue != nullptr) {
      command.queue->erase(command.queue_pos);
      command.queue = nullptr;
      command.connection = nullptr;
    }
    if (!command.in_flight) {
      live_.erase(&command);
      delete &command;
    }
  }

  // A failure delivered from the next timer turn, never inside command().
  void fail_soon(Command& command, Status why) {
    command.deferred = std::move(why);
    timers_.arm(command, 0);
  }

  Status queue_full(const std::string& where) {
    ++stats_.queue_full;
    return Status::error("redis: queue full [max_queued_commands = " +
                         std::to_string(options_.max_queued_commands) + ", " + where + "]");
  }

  void dispatch(Command& command, Connection& connection) {
    if (!connection.ready() && connection.queued() >= options_.max_queued_commands) {
      fail_soon(command, queue_full("server = " + connection.address().text()));
      return;
    }
    connection.submit(command);
  }

  // `fresh_map`: the slot map was just loaded, so a slot it leaves without a master fails
  // now instead of waiting for yet another map.
  void route(Command& command, bool fresh_map) {
    if (!options_.cluster) {
      dispatch(command, *connections_.front());
      return;
    }
    if (!slots_loaded_) {
      wait_for_map(command);
      return;
    }
    const Address* master = nullptr;
    uint16_t slot = 0;
    if (command.key_index != Client::kNoKey && command.key_index < command.args.size()) {
      slot = key_hash_slot(command.args[command.key_index]);
      master = slots_.master(slot);
    } else if (!slots_.masters().empty()) {
      master = &slots_.masters().front();
    }
    if (master != nullptr) {
      const Address target = *master;
      dispatch(command, connection_for(target));
    } else if (fresh_map) {
      fail_soon(
          command,
          Status::error(std::string("redis: no master serves slot ").append(std::to_string(slot))));
    } else {
      wait_for_map(command);
      refresh_slots();
    }
  }

  void wait_for_map(Command& command) {
    if (waiting_.size() >= options_.max_queued_commands) {
      fail_soon(command, queue_full("waiting for the slot map"));
      return;
    }
    command.queue = &waiting_;
    command.queue_pos = waiting_.insert(waiting_.end(), &command);
  }

  Connection& connection_for(const Address& address) {
    for (auto& connection : connections_) {
      if (connection->address() == address) return *connection;
    }
    connections_.push_back(std::make_unique<Connection>(loop_, timers_, options_, address,
                                                        !options_.cluster, *this, rng_));
    connections_.back()->start();
    return *connections_.back();
  }

  // --- cluster ---
  bool follow_redirect(Command& command, const std::string& error) {
    const std::optional<Redirect> redirect = parse_redirect(error);
    if (!redirect) return false;
    if (!redirect->target.numeric()) {
      // hiredis would resolve the name with a blocking call on this loop.
      answer(command, Status::error("redis: redirect to a host name refused (numeric addresses "
                                    "only) [" +
                                    error.substr(0, 80) + "]"));
      return true;
    }
    if (++command.redirects > options_.max_redirects) {
      ++stats_.redirect_limit;
      answer(command, Status::error("redis: too many redirects [max_redirects = " +
                                    std::to_string(options_.max_redirects) +
                                    ", last = " + error.substr(0, 80) + "]"));
      return true;
    }
    if (redirect->kind == Redirect::Kind::kMoved) {
      ++stats_.moved;
      slots_.assign(redirect->slot, redirect->target);
      refresh_slots();
    } else {
      ++stats_.ask;
      command.asking = true;
    }
    dispatch(command, connection_for(redirect->target));
    return true;
  }

  // One CLUSTER SLOTS at a time, asked of the seeds and known masters in turn; a failure
  // retries after the reconnect backoff.
  void refresh_slots() {
    if (refreshing_ || closing_ || refresh_timer_.armed()) return;
    std::vector<Address> candidates = slots_.masters();
    for (const Address& seed : options_.nodes) {
      if (std::find(candidates.begin(), candidates.end(), seed) == candidates.end()) {
        candidates.push_back(seed);
      }
    }
    const Address asked = candidates[refresh_turn_++ % candidates.size()];
    refreshing_ = true;
    auto* command = slots_command_ = new Command(
        {"CLUSTER", "SLOTS"},
        [this, asked](Result<Reply> result) { on_slots(asked, std::move(result)); }, Client::kNoKey,
        *this);
    live_.insert(command);
    timers_.arm(*command, options_.command_timeout_ms);
    dispatch(*command, connection_for(asked));
  }

  void on_slots(const Address& asked, Result<Reply> result) {
    refreshing_ = false;
    slots_command_ = nullptr;
    if (closing_) return;
    Result<SlotMap> map = !result ? Result<SlotMap>(result.status())
                          : result->is_error()
                              ? Result<SlotMap>(Status::error("CLUSTER SLOTS: " + result->str()))
                              : SlotMap::from_cluster_slots(*result, asked.host);
    if (!map) {
      slot_map_error_ = "slot map from " + asked.text() + ": " + map.message();
      const unsigned exponent = std::min(refresh_failures_++, 32u);
      const uint64_t delay =
          std::min(options_.reconnect_max_ms, options_.reconnect_min_ms << exponent);
      timers_.arm(refresh_timer_, std::uniform_int_distribution<uint64_t>(delay / 2, delay)(rng_));
      return;
    }
    refresh_failures_ = 0;
    slot_map_error_.clear();
    slots_ = std::move(map.value());
    slots_loaded_ = true;
    ++stats_.slot_map_loads;
    std::list<Command*> waiting;
    waiting.swap(waiting_);
    for (Command* command : waiting) {
      command->queue = nullptr;
      route(*command, true);
    }
  }

  uv_loop_t* loop_;
  ClientOptions options_;
  io::TimerHeap timers_;
  std::minstd_rand rng_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::unordered_set<Command*> live_;  // every command not yet deleted
  bool closing_ = false;
  ClientStats stats_;

  SlotMap slots_;
  bool slots_loaded_ = false;
  bool refreshing_ = false;
  Command* slots_command_ = nullptr;  // the CLUSTER SLOTS being asked, until answered
  size_t refresh_turn_ = 0;
  unsigned refresh_failures_ = 0;
  std::string slot_map_error_;
  std::list<Command*> waiting_;  // commands waiting for a slot map
  RefreshTimer refresh_timer_{*this};
};

Client::Client(uv_loop_t* loop, ClientOptions options)
    : core_(new Core(loop, std::move(options))) {}

Client::~Client() {
  close();
}

void Client::command(Args args, Callback done, size_t key_index) {
  if (core_ == nullptr) {
    ++final_stats_.commands;
    done(Status::error("redis: client closed"));
    return;
  }
  core_->command(std::move(args), std::move(done), key_index);
}

void Client::close() {
  if (core_ == nullptr) return;
  // A callback run by close() may destroy this Client: nothing touches `this` afterwards.
  Core* core = core_;
  core_ = nullptr;
  final_stats_ = core->stats();
  core->close();
}

bool Client::ready() const {
  return core_ != nullptr && core_->ready();
}

ClientStats Client::stats() const {
  return core_ != nullptr ? core_->stats() : final_stats_;
}

}  // namespace mtedge::redis
