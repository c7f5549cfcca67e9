// SecureAccept: the server side of obfuscated2 and fake-TLS for one connection, between
// detection and streaming (and of the obfuscated2 stream inside WebSocket messages, after
// the 101 reply). It buffers what the acceptors need, keeps every raw byte the
// client sent until the outcome is known (so a rejected connection can be spliced to the
// fronting server unchanged), and finally builds the connection's TransportStack.
//
//   SecureAccept acc(transport, options, replay);
//   switch (acc.feed(bytes, now, out)) {     // `out` receives the fake-TLS ServerHello
//     kNeedMore: read more;
//     kError:    acc.error(); acc.can_front() -> splice acc.raw() to the fronting server;
//     kDone:     acc.build_stack(stack, limits, seed); stack->feed(acc.rest(), sink);
//   }
//
// Fronting is possible only until the server has answered: once a fake-TLS ServerHello was
// written, a later failure (a bad inner init) closes the connection instead. A WebSocket
// connection was answered (101) before its init arrives: it is never fronted.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "base/bytes.h"
#include "codecs/core/codec_error.h"
#include "codecs/core/transport.h"
#include "codecs/core/transport_stack.h"
#include "codecs/obfuscated/fake_tls.h"
#include "codecs/obfuscated/obfuscated2.h"

namespace mtedge::gateway {

struct SecureAcceptOptions {
  std::span<const codecs::obfuscated::Secret> secrets;
  codecs::obfuscated::InitOptions init;  // plain obfuscated2 (no ee secrets)
  codecs::obfuscated::FakeTlsOptions tls;
};

class SecureAccept {
 public:
  enum class Step : uint8_t { kNeedMore, kDone, kError };

  // `transport`: kObfuscated (raw socket bytes), kFakeTls (a ClientHello, then records) or
  // kWebSocket (WebSocket frames: `envelope`, the stage that unframes the socket bytes).
  // `options.secrets` must outlive this object (they live in the listener's config).
  SecureAccept(codecs::TransportKind transport, SecureAcceptOptions options,
               codecs::obfuscated::ReplayCache* replay,
               std::unique_ptr<codecs::EnvelopeStage> envelope = nullptr);

  // Feeds raw socket bytes (may modify them). Writes what must be sent to the client
  // (the fake-TLS reply) to `out`. After kDone or kError feed() must not be called again.
  Step feed(MutableByteView bytes, int64_t now, Bytes& out);

  codecs::CodecError error() const { return error_; }
  // True while nothing was answered: the bytes in raw() may go to the fronting server.
  bool can_front() const { return !answered_; }
  ByteView raw() const;

  // After kDone.
  void build_stack(std::optional<codecs::TransportStack>& stack, codecs::FrameLimits limits,
                   uint64_t seed);
  MutableByteView rest() { return inner_->rest(); }
  codecs::TransportKind inner_transport() const { return inner_->init().transport; }
  int16_t dc_id() const { return inner_->init().dc_id; }
  const std::string& secret_label() const { return inner_->init().secret_label; }
  codecs::TransportKind transport() const { return transport_; }
  // The SNI of a fake-TLS hello (for logs), empty otherwise.
  const std::string& sni() const;

 private:
  Step fail(codecs::CodecError error) {
    error_ = error;
    return Step::kError;
  }
  Step feed_inner(MutableByteView bytes, int64_t now);

  codecs::TransportKind transport_;
  SecureAcceptOptions options_;
  codecs::obfuscated::ReplayCache* replay_;
  std::optional<codecs::obfuscated::FakeTlsAcceptor> tls_;
  std::optional<codecs::obfuscated::ObfuscatedAcceptor> inner_;
  Bytes raw_;  // plain obfuscated2: the bytes fed before the outcome
  codecs::CodecError error_ = codecs::CodecError::kNone;
  bool answered_ = false;
};

}  // namespace mtedge::gateway
