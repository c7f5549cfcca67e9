// FrontingDriver: a rejected connection spliced byte for byte to the listener's fronting
// server through a FrontingLink (gateway/conn/fronting.h), both directions bounded: a full
// link stops reading the client until it drains, a full client queue stops reading the
// server until the client's queue drains.
//
// Timer: the idle timeout, checked lazily against the last traffic either way.
// Lives on the heap (a rare mode).
#pragma once

#include <uv.h>

#include "gateway/conn/conn_port.h"
#include "gateway/conn/fronting.h"

namespace mtedge::gateway {

class FrontingDriver final : public ConnDriver, private FrontingOwner {
 public:
  // Starts connecting to the listener's fronting server (which must be set); `raw` (every
  // byte the client sent so far) is sent first.
  FrontingDriver(ConnPort& port, uv_loop_t* loop, ByteView raw);

  void on_bytes(MutableByteView data) override;
  void on_timer() override;
  void on_drained() override;
  void on_close() override;

 private:
  // FrontingOwner
  bool fronting_data(ByteView bytes) override;
  void fronting_drained() override;
  void fronting_closed(bool connected) override;

  ConnPort& port_;
  FrontingLink* link_;  // null once the server side closed; deletes itself
};

}  // namespace mtedge::gateway
