// SniffDriver: the first mode of every connection. It peeks at what the client sends
// (at most codecs::detector::kMaxPeek bytes, in a buffer allocated only when the tag does not
// arrive in one read) until the detector decides, then starts the mode the detector found:
// a plain framer (streaming), SecureAccept (obfuscated2, fake-TLS), or HTTP. A transport the
// listener does not allow is the codec error `unknown_transport` (fronted or closed).
//
// Timer: the first-byte timeout, then (from the first read, which also bounds a TLS
// handshake) the detection timeout; when it is due the connection closes (detect_timeout).
#pragma once

#include <cstdint>
#include <memory>

#include "codecs/detector/detector.h"
#include "gateway/conn/conn_port.h"

namespace mtedge::gateway {

class SniffDriver final : public ConnDriver {
 public:
  explicit SniffDriver(ConnPort& port) : port_(port) {}

  void on_bytes(MutableByteView data) override;
  void on_timer() override;

 private:
  // Makes the detected mode current (this driver is gone when it returns kNone). Returns the
  // error for a connection that must be rejected.
  codecs::CodecError start(const codecs::detector::Detection& d);

  ConnPort& port_;
  std::unique_ptr<uint8_t[]> peek_;  // up to kMaxPeek bytes, while the detector needs more
  uint8_t peek_len_ = 0;
};

}  // namespace mtedge::gateway
