// The client side of every TCP transport mtedge accepts, sans-io: plain abridged,
// intermediate, padded and full; obfuscated2 (with or without an MTProxy secret) around one
// of the first three; fake-TLS (ee secret) or WebSocket (GET /apiws, binary messages)
// around obfuscated2; HTTP (each packet the body of a keep-alive POST /api, each answer the
// body of its 200 response; several requests in flight are pipelined).
//
//   ClientTransport t(spec, secret);
//   send(t.start(now));              // tag, obfuscated2 init, ClientHello or upgrade request
//   on bytes: t.feed(bytes, sink, out) -> error; send(out) (the init once the server answered)
//   t.ready() ? t.write_packet(payload, out) : wait
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "codecs/core/transport_stack.h"
#include "codecs/http/http_client_codec.h"
#include "codecs/obfuscated/fake_tls.h"
#include "codecs/obfuscated/secret.h"

namespace mtedge::bench {

struct TransportSpec {
  // What the connection starts with: a framed transport (then `inner` too: plain), kHttp, or
  // kObfuscated, kFakeTls or kWebSocket around obfuscated2 around `inner`.
  codecs::TransportKind outer = codecs::TransportKind::kIntermediate;
  codecs::TransportKind inner = codecs::TransportKind::kIntermediate;
  int16_t dc = 2;  // obfuscated2 init's dc field

  bool plain() const { return outer == inner; }
  bool is(codecs::TransportKind kind) const { return outer == kind; }

  // Names from the transport table: a framed transport ("abridged" | "intermediate" |
  // "padded" | "full"), "http", or "obfuscated[:inner]" | "fake-tls[:inner]" |
  // "websocket[:inner]" (inner: one obfuscated2 carries; intermediate by default).
  static Result<TransportSpec> parse(std::string_view text);
  std::string name() const;
};

class ClientTransport {
 public:
  // `secret`: plain or dd for obfuscated2 (optional), ee for fake-TLS (required).
  ClientTransport(const TransportSpec& spec,
                  const std::optional<codecs::obfuscated::Secret>& secret);

  // The first bytes of the connection.
  Bytes start(uint32_t unix_now);
  // Bytes from the server, modified in place. Packets go to `sink`; bytes the client must
  // send in reply (fake-TLS: its ChangeCipherSpec and the obfuscated2 init) are appended
  // to `out`. Returns kNone or the error that ends the connection.
  codecs::CodecError feed(MutableByteView bytes, codecs::FrameSink& sink, Bytes& out);
  // True once packets may be written (fake-TLS: after the server's hello was verified;
  // WebSocket: after 101 Switching Protocols; HTTP: at once).
  bool ready() const { return stack_ != nullptr || http_ != nullptr; }
  void write_packet(ByteView payload, Bytes& out);

 private:
  void build_stack(Bytes& out);
  // WebSocket: reads the upgrade response; kNeedMore until its end, then kDone with the
  // bytes after it in `rest`.
  codecs::CodecError on_upgrade_response(ByteView bytes, bool& done, Bytes& rest);

  TransportSpec spec_;
  std::optional<codecs::obfuscated::Secret> secret_;
  std::unique_ptr<codecs::obfuscated::FakeTlsClient> tls_;  // until the server hello is in
  Bytes upgrade_response_;                                  // WebSocket: the response read so far
  std::unique_ptr<codecs::TransportStack> stack_;
  std::unique_ptr<codecs::http::HttpResponseParser> http_;  // HTTP (instead of stack_)
};

}  // namespace mtedge::bench
