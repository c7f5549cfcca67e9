// A TestLoop for in-process adapter tests that also stops an adapter the way the gateway
// stops it.
#pragma once

#include "backend-adapters/api/adapter.h"
#include "tests/support/test_loop.h"

namespace mtedge::test {

class AdapterLoop : public TestLoop {
 public:
  // BackendAdapter::stop, then runs the loop until its `done` came; false if it did not.
  bool stop(backend::BackendAdapter& adapter, int timeout_ms) {
    bool done = false;
    adapter.stop([&] { done = true; });
    return run_until([&] { return done; }, timeout_ms);
  }
};

}  // namespace mtedge::test
