// obfuscated2 (docs/spec/wire-notes.md §3.1): a 64-byte init, then AES-256-CTR both ways in front
// of an unchanged abridged / intermediate / padded framer.
//
// Init layout (client plaintext): [0..8) random | [8..40) key | [40..56) iv | [56..60) tag |
// [60..62) dc (i16 LE) | [62..64) random. The client sends init[0..56) in clear and [56..64)
// encrypted; its CTR stream has then consumed 64 bytes.
//   client->server: key = init[8..40)            (with secret S: SHA256(init[8..40) || S))
//                   iv  = init[40..56)
//   server->client: the same from reverse(init[8..56)): key = its first 32 bytes (or
//                   SHA256(them || S)), iv = its last 16.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/bytes.h"
#include "codecs/core/codec_error.h"
#include "codecs/core/framer.h"
#include "codecs/core/transport.h"
#include "codecs/core/transport_stack.h"
#include "codecs/obfuscated/aes_ctr_stage.h"
#include "codecs/obfuscated/replay_cache.h"
#include "codecs/obfuscated/secret.h"
#include "codecs/obfuscated/tls_record_stage.h"  // the usual envelope stage

namespace mtedge::codecs::obfuscated {

inline constexpr size_t kInitSize = 64;

struct ObfuscatedKeys {
  crypto::CtrParams client_to_server;
  crypto::CtrParams server_to_client;
};

// Key schedule from init[8..56) (plaintext on the wire); `secret` null = no secret.
ObfuscatedKeys derive_keys(ByteView init64, const std::array<uint8_t, kSecretKeySize>* secret);

struct InitOptions {
  bool allow_no_secret = true;  // also try the init without a secret (direct-DC style)
  // A dd secret accepts only the padded tag (dddddddd). Off by default: GramJS sends abridged
  // with dd secrets.
  bool dd_strict = false;
  // The inner transports accepted; the tag of each is the obfuscated2 tag column of the
  // transport table (codecs/core/transport.h). Rows without a tag never match.
  TransportSet allowed_inner = TransportSet::all();
  // Also try `ee` secrets. Off for plain obfuscated2 (ee clients always come through
  // fake-TLS); on for the init inside fake-TLS records.
  bool include_ee = false;
  // Where the digests of inits matched WITHOUT a secret go; null: the acceptor's cache. Such
  // inits are free for anyone to make, so a separate cache keeps a flood of them from evicting
  // the digests that protect clients with a secret from a replayed probe.
  ReplayCache* no_secret_replay = nullptr;
};

struct ServerInit {
  CodecError error = CodecError::kNone;
  TransportKind transport = TransportKind::kAbridged;
  int16_t dc_id = 0;         // signed: +10000 test DCs, negative media DCs, random for web
  int secret_index = -1;     // index into the secrets span; -1 = matched without a secret
  std::string secret_label;  // empty without a secret
  ObfuscatedKeys keys;
  // in: client->server, has consumed the 64 init bytes; out: server->client, fresh.
  std::unique_ptr<AesCtrStage> stage;

  bool ok() const { return error == CodecError::kNone; }
};

// Server side: tries "no secret" (if allowed) then each secret in order, testing the tag
// with a one-block keystream probe before building CTR contexts. Errors:
// kObfuscatedBadTag (no candidate yields ef/ee/dd), kObfuscatedTagNotAllowed (a valid tag
// the options forbid, e.g. dd_strict), kObfuscatedReplay (init[8..24) seen within the
// cache window; checked only once a candidate matched, in options.no_secret_replay when that
// candidate is "no secret" and the option is set). `replay` may be null.
ServerInit accept_init(ByteView init64, std::span<const Secret> secrets, const InitOptions& options,
                       ReplayCache* replay, int64_t now);

struct ClientInit {
  std::array<uint8_t, kInitSize> header{};  // the 64 bytes to send first
  ObfuscatedKeys keys;
  // out: client->server, has consumed 64 bytes; in: server->client, fresh.
  std::unique_ptr<AesCtrStage> stage;
};

// Client side from caller-chosen plaintext: writes the tag and dc into `plain` and
// encrypts. Does not enforce the first-bytes rules (tests use fixed vectors).
ClientInit client_init_from(std::array<uint8_t, kInitSize> plain, TransportKind inner, int16_t dc,
                            const std::array<uint8_t, kSecretKeySize>* secret);

// Client side with fresh random bytes obeying §3.1 (never looks like another transport).
// `secret` null = no secret. `inner` must be abridged, intermediate or padded.
ClientInit make_client_init(TransportKind inner, int16_t dc,
                            const std::array<uint8_t, kSecretKeySize>* secret);

// Makes a client-role stack speak obfuscated2: a fresh init for the stack's framer (abridged,
// intermediate or padded) becomes its preamble (sent by write_tag() instead of the framer's
// tag), and the AES-CTR stage goes outside the stages the stack already has.
void add_client_obfuscation(TransportStack& stack, int16_t dc,
                            const std::array<uint8_t, kSecretKeySize>* secret);

// True if the first 8 bytes could start an obfuscated2 init by the rules of §3.1.
bool valid_init_prefix(const uint8_t* first8);

// Drives the server-side init on a byte stream, for the gateway: plain obfuscated2 (raw
// socket bytes) or, with an envelope stage, the stream inside fake-TLS records
// (TlsRecordStage) or WebSocket frames (WsStreamStage).
//
//   ObfuscatedAcceptor acc(secrets, options, &cache);        // or acc.set_record_stage(...)
//   switch (acc.feed(bytes, now)) {
//     case kNeedMore: read more;
//     case kError: acc.error() (plain obfuscated2: front with the bytes read so far);
//     case kDone: stack = TransportStack(make_framer(acc.init().transport, kServer), limits);
//                 for (auto& s : acc.take_stages()) stack.add_outer_stage(std::move(s));
//                 stack.feed(acc.rest(), sink);       // bytes that followed the init
//   }
// take_stages() returns the stages innermost first (AES-CTR, then the envelope stage).
class ObfuscatedAcceptor {
 public:
  enum class Step : uint8_t { kNeedMore, kDone, kError };

  ObfuscatedAcceptor(std::span<const Secret> secrets, InitOptions options, ReplayCache* replay)
      : secrets_(secrets), options_(options), replay_(replay) {}

  // Inside fake-TLS records or WebSocket frames: raw bytes pass through this stage first.
  void set_record_stage(std::unique_ptr<EnvelopeStage> stage) { records_ = std::move(stage); }

  // Feeds raw bytes (modified in place). After kDone or kError, feed() must not be called.
  Step feed(MutableByteView bytes, int64_t now);

  CodecError error() const { return error_; }
  const ServerInit& init() const { return init_; }
  std::vector<std::unique_ptr<StreamStage>> take_stages();
  // After kDone: bytes that followed the init, to feed to the TransportStack as raw bytes.
  MutableByteView rest() { return rest_; }

 private:
  std::span<const Secret> secrets_;
  InitOptions options_;
  ReplayCache* replay_;
  std::unique_ptr<EnvelopeStage> records_;
  std::array<uint8_t, kInitSize> buf_{};
  size_t have_ = 0;
  ServerInit init_;
  Bytes rest_;
  CodecError error_ = CodecError::kNone;
  bool done_ = false;
};

}  // namespace mtedge::codecs::obfuscated
