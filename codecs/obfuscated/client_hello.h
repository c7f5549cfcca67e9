// Fake-TLS ClientHello (docs/spec/wire-notes.md §3.3, §3.5): parsing, verification against `ee`
// secrets, and a client-side builder for tests and the load generator.
//
// The record is `16 03 01 LL LL` + handshake `01 LLLLLL` + version(2) + random(32) @11 +
// session_id + cipher_suites + compression_methods + extensions. The parser walks every
// field and extension with bounds checks; it does not rely on fixed offsets, extension
// order or SNI being present (modern hellos are ~1.8 KB with GREASE, ECH, ML-KEM shares).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "base/bytes.h"
#include "codecs/core/codec_error.h"
#include "codecs/obfuscated/replay_cache.h"
#include "codecs/obfuscated/secret.h"

namespace mtedge::codecs::obfuscated {

inline constexpr size_t kTlsRecordHeader = 5;
inline constexpr size_t kTlsMaxHelloRecord = 16384;  // record payload cap for the hello
inline constexpr size_t kClientRandomOffset = 11;

struct ClientHelloInfo {
  std::array<uint8_t, 32> random{};
  std::array<uint8_t, 32> session_id{};
  size_t session_id_size = 0;
  uint16_t cipher_suite = 0x1301;  // first non-GREASE suite offered
  std::string sni;                 // first host_name in server_name, empty if none
  size_t record_size = 0;          // 5 + LL
};

// Parses exactly one whole record (`record.size()` must be 5 + LL). kTlsBadHello on any
// structural problem.
CodecError parse_client_hello(ByteView record, ClientHelloInfo& info);

inline bool is_grease(uint16_t v) {
  return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

struct HelloCheckOptions {
  // Accepted timestamps: [now - max_past, now + max_future] (unix seconds).
  int64_t max_past_seconds = 600;
  int64_t max_future_seconds = 120;
};

struct VerifiedHello {
  ClientHelloInfo info;
  int secret_index = -1;  // into the secrets span (only kEe secrets are tried)
  uint32_t timestamp = 0;
};

// Verifies a parsed record: HMAC-SHA256(S, record with random zeroed)[0..28) == random[0..28)
// (constant time) for some `ee` secret, timestamp = LE_u32(D[28..32) ^ random[28..32)) in
// the window, and the random is not a replay (`replay` may be null). Errors, in check
// order: kTlsBadHello, kTlsBadDigest, kTlsBadTimestamp, kTlsReplay.
CodecError verify_client_hello(ByteView record, std::span<const Secret> secrets,
                               const HelloCheckOptions& options, int64_t now, ReplayCache* replay,
                               VerifiedHello& out);

// Client-side builder.
struct ClientHelloParams {
  std::string sni;            // empty: no server_name extension
  bool modern = false;        // ~1.8 KB Chrome-like: X25519MLKEM768 share, ECH GREASE
  uint64_t shuffle_seed = 0;  // 0: fixed extension order; else a permutation from the seed
  size_t pad_to = 517;        // padding extension grows the handshake body to this size
};

// Builds a ClientHello record for key S at unix time `now`; `random_out` receives the
// random as sent (needed to check the ServerHello).
Bytes build_client_hello(const std::array<uint8_t, kSecretKeySize>& key, uint32_t now,
                         const ClientHelloParams& params, std::array<uint8_t, 32>& random_out);

}  // namespace mtedge::codecs::obfuscated
