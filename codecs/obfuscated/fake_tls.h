// Fake-TLS handshake (docs/spec/wire-notes.md §3.3-3.5): the server-side acceptor the gateway
// drives, the ServerHello builder, and the client side used by tests and the load generator.
//
// Server flow, sans-io:
//   FakeTlsAcceptor acc(secrets, options, &cache);
//   switch (acc.feed(bytes, now)) {
//     kNeedMore: read more (the acceptor buffers at most 5 + 16384 bytes);
//     kError:    acc.error() is kTlsBadHello / kTlsBadDigest / kTlsBadTimestamp / kTlsReplay
//                (action kFrontOrClose): splice acc.received() then the rest of the socket to
//                the fronting address; acc.sni() may pick the target;
//     kDone:     send acc.server_hello(); then run obfuscated2 inside the records:
//                ObfuscatedAcceptor inner(std::span(&secrets[acc.secret_index()], 1),
//                                         {.allow_no_secret = false, .include_ee = true}, ...);
//                inner.set_record_stage(acc.take_record_stage());
//                inner.feed(acc.leftover(), now) ... as for plain obfuscated2.
//   }
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/bytes.h"
#include "codecs/core/codec_error.h"
#include "codecs/obfuscated/client_hello.h"
#include "codecs/obfuscated/replay_cache.h"
#include "codecs/obfuscated/secret.h"
#include "codecs/obfuscated/tls_record_stage.h"

namespace mtedge::codecs::obfuscated {

struct FakeTlsOptions {
  HelloCheckOptions hello;
  // Length range of the one fake application-data record after ChangeCipherSpec (it
  // stands in for the encrypted certificate chain).
  size_t fake_record_min = 1024;
  size_t fake_record_max = 4096;
  TlsRecordOptions records;
};

// Builds the server's reply (§3.4): ServerHello record (session id and cipher suite echoed,
// X25519 key_share, supported_versions TLS 1.3), ChangeCipherSpec, one 17 03 03 record of
// `fake_len` random bytes; server_random = HMAC-SHA256(S, client_random || reply with the
// random zeroed).
Bytes build_server_hello(const std::array<uint8_t, kSecretKeySize>& key,
                         const ClientHelloInfo& hello, size_t fake_len);

// Client side: checks a server reply starting at `data`. Returns kNone and sets `size` to
// the reply's length (records 16, 14, 17) when complete and authentic; kNone with size 0
// when more bytes are needed; kTlsBadHello when malformed; kTlsBadDigest when the HMAC fails.
CodecError check_server_hello(const std::array<uint8_t, kSecretKeySize>& key,
                              const std::array<uint8_t, 32>& client_random, ByteView data,
                              size_t& size);

class FakeTlsAcceptor {
 public:
  enum class Step : uint8_t { kNeedMore, kDone, kError };

  // `secrets` must outlive the acceptor; only kEe secrets are tried.
  FakeTlsAcceptor(std::span<const Secret> secrets, FakeTlsOptions options, ReplayCache* replay)
      : secrets_(secrets), options_(options), replay_(replay) {}

  // Feeds raw bytes from the socket, starting with the first byte of the connection.
  // Fails fast (kTlsBadHello) on the first byte that cannot begin a ClientHello record.
  Step feed(ByteView bytes, int64_t now);

  CodecError error() const { return error_; }
  // Every byte fed so far, unmodified (for splicing to the fronting server on error).
  ByteView received() const { return ByteView(buf_); }
  const std::string& sni() const { return hello_.info.sni; }

  // After kDone:
  const Bytes& server_hello() const { return reply_; }
  int secret_index() const { return hello_.secret_index; }
  const VerifiedHello& hello() const { return hello_; }
  MutableByteView leftover() { return MutableByteView(buf_).subspan(hello_size_); }
  std::unique_ptr<TlsRecordStage> take_record_stage() {
    return std::make_unique<TlsRecordStage>(options_.records);
  }

 private:
  Step fail(CodecError e) {
    error_ = e;
    return Step::kError;
  }

  std::span<const Secret> secrets_;
  FakeTlsOptions options_;
  ReplayCache* replay_;
  Bytes buf_;
  size_t hello_size_ = 0;
  VerifiedHello hello_;
  Bytes reply_;
  CodecError error_ = CodecError::kNone;
};

// Client side of the fake-TLS handshake, for tests and the load generator.
//   FakeTlsClient c(secret);  send(c.hello(now, params));
//   feed server bytes until kDone; then the record stage (sends CCS first) carries the
//   obfuscated2 init (make_client_init with the same key) and everything after it.
class FakeTlsClient {
 public:
  enum class Step : uint8_t { kNeedMore, kDone, kError };

  explicit FakeTlsClient(const Secret& secret) : key_(secret.key), domain_(secret.domain) {}

  // `params.sni` defaults to the secret's domain when empty and `use_domain_sni` is set.
  Bytes hello(uint32_t now, ClientHelloParams params = {}, bool use_domain_sni = true);
  Step feed(ByteView bytes);
  CodecError error() const { return error_; }
  // After kDone: bytes after the server's reply, and the record stage.
  MutableByteView leftover() { return MutableByteView(buf_).subspan(reply_size_); }
  std::unique_ptr<TlsRecordStage> take_record_stage();

 private:
  std::array<uint8_t, kSecretKeySize> key_;
  std::string domain_;
  std::array<uint8_t, 32> random_{};
  Bytes buf_;
  size_t reply_size_ = 0;
  CodecError error_ = CodecError::kNone;
};

}  // namespace mtedge::codecs::obfuscated
