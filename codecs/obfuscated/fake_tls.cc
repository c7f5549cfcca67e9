#include "codecs/obfuscated/fake_tls.h"

#include <algorithm>
#include <initializer_list>

#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "crypto/x25519.h"

namespace mtedge::codecs::obfuscated {
namespace {

constexpr size_t kServerRandomOffset = 11;
constexpr uint8_t kCcs[6] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
constexpr size_t kMinHelloRecord = 64;  // far below any real hello; rejects junk early

void put16(Bytes& b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
void put(Bytes& b, std::initializer_list<uint8_t> bytes) {
  append(b, ByteView(bytes.begin(), bytes.size()));
}

}  // namespace

Bytes build_server_hello(const std::array<uint8_t, kSecretKeySize>& key,
                         const ClientHelloInfo& hello, size_t fake_len) {
  fake_len = std::min<size_t>(std::max<size_t>(fake_len, 1), kTlsMaxOutRecord);
  const size_t sid = hello.session_id_size;
  const size_t hs_len = 86 + sid;
  Bytes out;
  out.reserve(5 + 4 + hs_len + sizeof kCcs + 5 + fake_len);
  put(out, {0x16, 0x03, 0x03});
  put16(out, uint16_t(4 + hs_len));
  put(out, {0x02, 0x00});
  put16(out, uint16_t(hs_len));
  put(out, {0x03, 0x03});
  out.resize(out.size() + 32);  // server_random, filled in last
  out.push_back(uint8_t(sid));
  append(out, ByteView(hello.session_id.data(), sid));
  put16(out, hello.cipher_suite);
  out.push_back(0x00);  // compression
  put16(out, 46);       // extensions
  put(out, {0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20});
  uint8_t pub[32];
  crypto::x25519_public_key(pub);
  append(out, ByteView(pub, sizeof pub));
  put(out, {0x00, 0x2b, 0x00, 0x02, 0x03, 0x04});
  append(out, ByteView(kCcs, sizeof kCcs));
  put(out, {0x17, 0x03, 0x03});
  put16(out, uint16_t(fake_len));
  size_t at = out.size();
  out.resize(at + fake_len);
  crypto::random_bytes(out.data() + at, fake_len);

  crypto::Sha256Digest server_random =
      crypto::hmac_sha256(ByteView(key), {ByteView(hello.random), ByteView(out)});
  std::copy(server_random.begin(), server_random.end(), out.begin() + kServerRandomOffset);
  return out;
}

CodecError check_server_hello(const std::array<uint8_t, kSecretKeySize>& key,
                              const std::array<uint8_t, 32>& client_random, ByteView data,
                              size_t& size) {
  size = 0;
  const uint8_t* d = data.data();
  const size_t n = data.size();
  // record 16 03 03 LL LL
  if (n >= 1 && d[0] != 0x16) return CodecError::kTlsBadHello;
  if (n < 5) return CodecError::kNone;
  if (d[1] != 0x03 || d[2] != 0x03) return CodecError::kTlsBadHello;
  size_t hello_end = 5 + load_be16(d + 3);
  if (hello_end < kServerRandomOffset + 32) return CodecError::kTlsBadHello;
  // then exactly 14 03 03 00 01 01 17 03 03 NN NN
  size_t prefix_end = hello_end + sizeof kCcs + 5;
  if (n < prefix_end) {
    // Check what is there of the fixed prefix.
    for (size_t i = hello_end; i < n && i < hello_end + sizeof kCcs + 3; ++i) {
      static const uint8_t kPrefix[9] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01, 0x17, 0x03, 0x03};
      if (d[i] != kPrefix[i - hello_end]) return CodecError::kTlsBadHello;
    }
    return CodecError::kNone;
  }
  if (!std::equal(kCcs, kCcs + sizeof kCcs, d + hello_end) || d[hello_end + 6] != 0x17 ||
      d[hello_end + 7] != 0x03 || d[hello_end + 8] != 0x03) {
    return CodecError::kTlsBadHello;
  }
  size_t total = prefix_end + load_be16(d + prefix_end - 2);
  if (n < total) return CodecError::kNone;

  Bytes zeroed(d, d + total);
  std::fill_n(zeroed.begin() + kServerRandomOffset, 32, uint8_t(0));
  crypto::Sha256Digest expect =
      crypto::hmac_sha256(ByteView(key), {ByteView(client_random), ByteView(zeroed)});
  if (!crypto::equal_ct(expect.data(), d + kServerRandomOffset, 32)) {
    return CodecError::kTlsBadDigest;
  }
  size = total;
  return CodecError::kNone;
}

FakeTlsAcceptor::Step FakeTlsAcceptor::feed(ByteView bytes, int64_t now) {
  if (error_ != CodecError::kNone) return Step::kError;
  if (hello_size_ > 0) return Step::kDone;  // finished: later bytes belong to the records
  size_t old = buf_.size();
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  // Fail at the first byte that cannot start a ClientHello record `16 03 01 LL LL`.
  static const uint8_t kStart[3] = {0x16, 0x03, 0x01};
  for (size_t i = old; i < 3 && i < buf_.size(); ++i) {
    if (buf_[i] != kStart[i]) return fail(CodecError::kTlsBadHello);
  }
  if (buf_.size() < kTlsRecordHeader) return Step::kNeedMore;
  size_t length = load_be16(buf_.data() + 3);
  if (length < kMinHelloRecord || length > kTlsMaxHelloRecord)
    return fail(CodecError::kTlsBadHello);
  size_t record = kTlsRecordHeader + length;
  if (buf_.size() < record) return Step::kNeedMore;

  CodecError e = verify_client_hello(ByteView(buf_).first(record), secrets_, options_.hello, now,
                                     replay_, hello_);
  if (e != CodecError::kNone) return fail(e);
  hello_size_ = record;
  size_t lo = std::min(options_.fake_record_min, options_.fake_record_max);
  size_t hi = std::max(options_.fake_record_min, options_.fake_record_max);
  size_t fake_len = lo + (hi > lo ? crypto::random_u32() % (hi - lo + 1) : 0);
  reply_ = build_server_hello(secrets_[size_t(hello_.secret_index)].key, hello_.info, fake_len);
  return Step::kDone;
}

Bytes FakeTlsClient::hello(uint32_t now, ClientHelloParams params, bool use_domain_sni) {
  if (params.sni.empty() && use_domain_sni) params.sni = domain_;
  return build_client_hello(key_, now, params, random_);
}

FakeTlsClient::Step FakeTlsClient::feed(ByteView bytes) {
  if (error_ != CodecError::kNone) return Step::kError;
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  size_t size = 0;
  error_ = check_server_hello(key_, random_, ByteView(buf_), size);
  if (error_ != CodecError::kNone) return Step::kError;
  if (size == 0) return Step::kNeedMore;
  reply_size_ = size;
  return Step::kDone;
}

std::unique_ptr<TlsRecordStage> FakeTlsClient::take_record_stage() {
  TlsRecordOptions options;
  options.accept_leading_ccs = false;
  options.send_leading_ccs = true;
  options.max_out_record = 2878;  // what tdlib writes
  return std::make_unique<TlsRecordStage>(options);
}

}  // namespace mtedge::codecs::obfuscated
