// The management API's own counters (exported on GET /metrics after the gateway's): answers
// by status class and refusals by reason. Written on the management thread, read anywhere.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace mtedge::gateway::admin {

struct Counters {
  std::atomic<uint64_t> answered{0};  // every answer, refusals included
  // Refusals, by reason (docs/operations.md "Management API").
  std::atomic<uint64_t> forbidden{0};     // address not allowed: closed at accept (or 403)
  std::atomic<uint64_t> unauthorized{0};  // 401: token missing or wrong
  std::atomic<uint64_t> too_large{0};     // 413: head over 8 KiB or body over 64 KiB
  std::atomic<uint64_t> bad_request{0};   // 400: unparsable request or query
  std::atomic<uint64_t> busy{0};          // connection closed at accept: the cap was reached
  std::atomic<uint64_t> timed_out{0};     // no whole request within the read deadline

  // Counts one answer of `status`.
  void count_answer(unsigned status);
  std::string prometheus_text() const;
};

}  // namespace mtedge::gateway::admin
