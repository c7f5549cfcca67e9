// The messenger state shared by every worker: the Model behind one mutex.
//
// Lock order: a session shard, then a key shard (SessionService), then Store::mu_, which is a
// leaf: nothing is called out while it is held (no push, no delivery, no other lock) except the
// record sink, which must be a leaf too. Handlers read and write through read()/write() and
// push updates only after those return.
//
// Durability: write() applies each record to the model and hands its encoded bytes to the sink
// (the hook for an append-only log) in the same critical section, so the sink sees records in
// exactly the order they were applied. Nothing here waits for the sink to persist anything.
//
// Presence (online status) is in memory only, beside the model: presence() may be used with or
// without Store::mu_ held (its own mutex is a leaf); the model reads it for user objects.
#pragma once

#include <functional>
#include <mutex>
#include <utility>

#include "backend-adapters/embedded/state/model.h"
#include "backend-adapters/embedded/state/presence.h"
#include "backend-adapters/embedded/state/records.h"

namespace mtedge::backend::embedded::state {

// What write() hands its function: the model to read, and apply() for every change.
class Transaction {
 public:
  Transaction(Model& model, const std::function<void(const Bytes&)>& sink)
      : model_(model), sink_(sink) {}
  const Model& model() const { return model_; }
  void apply(const Record& record) {
    model_.apply(record);
    if (sink_) sink_(encode(record));
  }

 private:
  Model& model_;
  const std::function<void(const Bytes&)>& sink_;
};

class Store {
 public:
  Store() { model_.set_presence(&presence_); }
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Presence& presence() { return presence_; }

  // `sink` gets every applied record, encoded, in order (set before the store is shared).
  void set_sink(std::function<void(const Bytes&)> sink) { sink_ = std::move(sink); }

  template <class Fn>
  auto read(Fn&& fn) const {
    std::lock_guard lock(mu_);
    return fn(static_cast<const Model&>(model_));
  }
  template <class Fn>
  auto write(Fn&& fn) {
    std::lock_guard lock(mu_);
    Transaction txn(model_, sink_);
    return fn(txn);
  }

 private:
  mutable std::mutex mu_;
  Presence presence_;
  Model model_;
  std::function<void(const Bytes&)> sink_;
};

}  // namespace mtedge::backend::embedded::state
