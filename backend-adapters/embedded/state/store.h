// The messenger state shared by every worker: the Model behind one mutex.
//
// Lock order: a session shard, then a key shard (SessionService), then Store::mu_, which is a
// leaf: nothing is called out while it is held (no push, no delivery, no other lock) except the
// record sink, which must be a leaf too. Handlers read and write through read()/write() and
// push updates only after those return.
//
// Durability: write() applies each record to the model and hands its encoded bytes to the sink
// (state/storage.h appends them to its log) in the same critical section, so the sink sees
// records in exactly the order they were applied. The sink answers each record's lsn; write()
// notes the last one in the calling thread's WrittenLsn, so whoever answers the call can wait
// for it to be durable (Storage::when_durable). Nothing here waits for the sink to persist
// anything.
//
// Presence (online status) is in memory only, beside the model: presence() may be used with or
// without Store::mu_ held (its own mutex is a leaf); the model reads it for user objects.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>

#include "backend-adapters/embedded/state/model.h"
#include "backend-adapters/embedded/state/presence.h"
#include "backend-adapters/embedded/state/records.h"

namespace mtedge::backend::embedded::state {

// Takes every applied record, encoded, in apply order; returns its lsn (0: not logged).
using RecordSink = std::function<uint64_t(const Bytes&)>;

// The highest lsn Store::write noted on this thread while the scope lives (0: none). Scopes
// nest; an inner one's lsn also counts for the outer one.
class WrittenLsn {
 public:
  WrittenLsn() : outer_(current_) { current_ = this; }
  ~WrittenLsn() {
    current_ = outer_;
    if (outer_ != nullptr) outer_->lsn_ = std::max(outer_->lsn_, lsn_);
  }
  WrittenLsn(const WrittenLsn&) = delete;
  WrittenLsn& operator=(const WrittenLsn&) = delete;
  uint64_t lsn() const { return lsn_; }
  static void note(uint64_t lsn) {
    if (current_ != nullptr) current_->lsn_ = std::max(current_->lsn_, lsn);
  }

 private:
  static inline thread_local WrittenLsn* current_ = nullptr;
  WrittenLsn* outer_;
  uint64_t lsn_ = 0;
};

// What write() hands its function: the model to read, and apply() for every change.
class Transaction {
 public:
  Transaction(Model& model, const RecordSink& sink) : model_(model), sink_(sink) {}
  const Model& model() const { return model_; }
  void apply(const Record& record) {
    model_.apply(record);
    if (sink_) last_lsn_ = std::max(last_lsn_, sink_(encode(record)));
  }
  // The lsn of the last record this transaction appended (0: none).
  uint64_t last_lsn() const { return last_lsn_; }

 private:
  Model& model_;
  const RecordSink& sink_;
  uint64_t last_lsn_ = 0;
};

class Store {
 public:
  Store() { model_.set_presence(&presence_); }
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Presence& presence() { return presence_; }

  // `sink` gets every applied record, encoded, in order (null: none).
  void set_sink(RecordSink sink) {
    std::lock_guard lock(mu_);
    sink_ = std::move(sink);
  }

  template <class Fn>
  auto read(Fn&& fn) const {
    std::lock_guard lock(mu_);
    return fn(static_cast<const Model&>(model_));
  }
  // Runs `fn` on a Transaction; the lsn of the last record it appended is noted in the
  // calling thread's WrittenLsn (also when `fn` throws nothing and returns early).
  template <class Fn>
  auto write(Fn&& fn) {
    std::lock_guard lock(mu_);
    Transaction txn(model_, sink_);
    struct Note {
      const Transaction& txn;
      ~Note() { WrittenLsn::note(txn.last_lsn()); }
    } note{txn};
    return fn(txn);
  }

 private:
  mutable std::mutex mu_;
  Presence presence_;
  Model model_;
  RecordSink sink_;
};

}  // namespace mtedge::backend::embedded::state
