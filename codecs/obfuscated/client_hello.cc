#include "codecs/obfuscated/client_hello.h"

#include <algorithm>
#include <random>
#include <vector>

#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"

namespace mtedge::codecs::obfuscated {
namespace {

// Bounds-checked reader over the hello; any over-read marks it failed.
class Reader {
 public:
  Reader(const uint8_t* p, size_t size) : p_(p), end_(p + size) {}
  bool ok() const { return ok_; }
  size_t left() const { return size_t(end_ - p_); }
  const uint8_t* pos() const { return p_; }
  bool need(size_t n) {
    if (!ok_ || left() < n) ok_ = false;
    return ok_;
  }
  uint8_t u8() { return need(1) ? *p_++ : 0; }
  uint16_t u16() {
    if (!need(2)) return 0;
    uint16_t v = load_be16(p_);
    p_ += 2;
    return v;
  }
  uint32_t u24() {
    if (!need(3)) return 0;
    uint32_t v = load_be24(p_);
    p_ += 3;
    return v;
  }
  const uint8_t* take(size_t n) {
    if (!need(n)) return nullptr;
    const uint8_t* v = p_;
    p_ += n;
    return v;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

bool parse_sni(const uint8_t* body, size_t size, std::string& sni) {
  Reader r(body, size);
  size_t list = r.u16();
  if (!r.ok() || list != r.left() || list == 0) return false;
  while (r.left() > 0) {
    uint8_t type = r.u8();
    size_t len = r.u16();
    const uint8_t* name = r.take(len);
    if (!r.ok()) return false;
    if (type == 0 && sni.empty())
      sni.assign(reinterpret_cast<const char*>(name), std::min<size_t>(len, 255));
  }
  return true;
}

}  // namespace

CodecError parse_client_hello(ByteView record, ClientHelloInfo& info) {
  const CodecError bad = CodecError::kTlsBadHello;
  if (record.size() < kTlsRecordHeader) return bad;
  const uint8_t* d = record.data();
  if (d[0] != 0x16 || d[1] != 0x03 || d[2] != 0x01) return bad;
  size_t length = load_be16(d + 3);
  if (length > kTlsMaxHelloRecord || record.size() != kTlsRecordHeader + length) return bad;

  Reader r(d + kTlsRecordHeader, length);
  if (r.u8() != 0x01) return bad;  // handshake type client_hello
  size_t body = r.u24();
  if (!r.ok() || body != r.left()) return bad;  // exactly one hello filling the record
  if (r.u8() != 0x03) return bad;               // legacy_version 03 0x
  r.u8();
  const uint8_t* random = r.take(32);
  size_t sid_len = r.u8();
  if (!r.ok() || sid_len > 32) return bad;
  const uint8_t* sid = r.take(sid_len);
  size_t cs_len = r.u16();
  if (!r.ok() || cs_len < 2 || cs_len % 2 != 0) return bad;
  const uint8_t* cs = r.take(cs_len);
  size_t comp_len = r.u8();
  if (!r.ok() || comp_len < 1) return bad;
  r.take(comp_len);
  if (!r.ok()) return bad;

  info = ClientHelloInfo{};
  info.record_size = record.size();
  std::copy(random, random + 32, info.random.begin());
  if (sid_len > 0) std::copy(sid, sid + sid_len, info.session_id.begin());
  info.session_id_size = sid_len;
  for (size_t i = 0; i < cs_len; i += 2) {
    uint16_t suite = load_be16(cs + i);
    if (!is_grease(suite)) {
      info.cipher_suite = suite;
      break;
    }
  }

  // Every fake-TLS client (and every TLS 1.3 hello) has an extensions block.
  size_t ext_len = r.u16();
  if (!r.ok() || ext_len != r.left()) return bad;
  bool seen_sni = false;
  while (r.left() > 0) {
    uint16_t type = r.u16();
    size_t len = r.u16();
    const uint8_t* ext = r.take(len);
    if (!r.ok()) return bad;
    if (type == 0x0000) {
      if (seen_sni || !parse_sni(ext, len, info.sni)) return bad;
      seen_sni = true;
    }
  }
  return CodecError::kNone;
}

CodecError verify_client_hello(ByteView record, std::span<const Secret> secrets,
                               const HelloCheckOptions& options, int64_t now, ReplayCache* replay,
                               VerifiedHello& out) {
  CodecError parsed = parse_client_hello(record, out.info);
  if (parsed != CodecError::kNone) return parsed;

  Bytes zeroed(record.begin(), record.end());
  std::fill_n(zeroed.begin() + kClientRandomOffset, 32, uint8_t(0));
  const uint8_t* random = out.info.random.data();
  out.secret_index = -1;
  crypto::Sha256Digest digest{};
  for (size_t i = 0; i < secrets.size(); ++i) {
    if (secrets[i].kind != SecretKind::kEe) continue;
    crypto::Sha256Digest d = crypto::hmac_sha256(secrets[i].key_view(), ByteView(zeroed));
    if (crypto::equal_ct(d.data(), random, 28)) {
      out.secret_index = int(i);
      digest = d;
      break;
    }
  }
  if (out.secret_index < 0) return CodecError::kTlsBadDigest;

  uint8_t ts[4];
  for (size_t i = 0; i < 4; ++i) ts[i] = uint8_t(digest[28 + i] ^ random[28 + i]);
  out.timestamp = load_le32(ts);
  int64_t t = int64_t(out.timestamp);
  if (t < now - options.max_past_seconds || t > now + options.max_future_seconds) {
    return CodecError::kTlsBadTimestamp;
  }
  if (replay != nullptr &&
      !replay->check_and_insert(client_random_replay_digest(ByteView(out.info.random)), now)) {
    return CodecError::kTlsReplay;
  }
  return CodecError::kNone;
}

namespace {

void put16(Bytes& b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}

Bytes random_vec(size_t n) {
  Bytes b(n);
  crypto::random_bytes(b.data(), n);
  return b;
}

uint16_t grease(uint8_t r) {
  uint8_t nib = uint8_t((r & 0xf0) | 0x0a);
  return uint16_t((nib << 8) | nib);
}

struct Ext {
  uint16_t type;
  Bytes body;
};

}  // namespace

Bytes build_client_hello(const std::array<uint8_t, kSecretKeySize>& key, uint32_t now,
                         const ClientHelloParams& params, std::array<uint8_t, 32>& random_out) {
  Bytes g = random_vec(8);  // GREASE choices
  std::vector<Ext> middle;
  if (!params.sni.empty()) {
    Bytes b;
    put16(b, uint16_t(params.sni.size() + 3));
    b.push_back(0x00);
    put16(b, uint16_t(params.sni.size()));
    b.insert(b.end(), params.sni.begin(), params.sni.end());
    middle.push_back({0x0000, b});
  }
  middle.push_back({0x0017, {}});      // extended_master_secret
  middle.push_back({0xff01, {0x00}});  // renegotiation_info
  {
    Bytes b;
    std::vector<uint16_t> groups = {grease(g[1])};
    if (params.modern) groups.push_back(0x11ec);  // X25519MLKEM768
    groups.insert(groups.end(), {0x001d, 0x0017, 0x0018});
    put16(b, uint16_t(groups.size() * 2));
    for (uint16_t x : groups) put16(b, x);
    middle.push_back({0x000a, b});  // supported_groups
  }
  middle.push_back({0x000b, {0x01, 0x00}});  // ec_point_formats
  middle.push_back({0x0023, {}});            // session_ticket
  middle.push_back(
      {0x0010, {0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h', 't', 't', 'p', '/', '1', '.', '1'}});
  middle.push_back({0x0005, {0x01, 0x00, 0x00, 0x00, 0x00}});  // status_request
  middle.push_back({0x000d,
                    {0x00, 0x10, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03, 0x08, 0x05, 0x05,
                     0x01, 0x08, 0x06, 0x06, 0x01}});  // signature_algorithms
  middle.push_back({0x0012, {}});                      // signed_certificate_timestamp
  {
    Bytes shares;
    put16(shares, grease(g[1]));
    put16(shares, 1);
    shares.push_back(0x00);
    if (params.modern) {
      put16(shares, 0x11ec);
      put16(shares, 1216);
      Bytes k = random_vec(1216);
      shares.insert(shares.end(), k.begin(), k.end());
    }
    put16(shares, 0x001d);
    put16(shares, 32);
    Bytes k = random_vec(32);
    shares.insert(shares.end(), k.begin(), k.end());
    Bytes b;
    put16(b, uint16_t(shares.size()));
    b.insert(b.end(), shares.begin(), shares.end());
    middle.push_back({0x0033, b});  // key_share
  }
  middle.push_back({0x002d, {0x01, 0x01}});  // psk_key_exchange_modes
  {
    Bytes b = {0x06};
    put16(b, grease(g[2]));
    put16(b, 0x0304);
    put16(b, 0x0303);
    middle.push_back({0x002b, b});  // supported_versions
  }
  middle.push_back({0x001b, {0x02, 0x00, 0x02}});            // compress_certificate
  middle.push_back({0x4469, {0x00, 0x03, 0x02, 'h', '2'}});  // application_settings
  if (params.modern) {
    Bytes b = {0x00, 0x00, 0x01, 0x00, 0x01, g[3]};  // outer, HKDF-SHA256, AES-128-GCM, config id
    put16(b, 32);
    Bytes enc = random_vec(32);
    b.insert(b.end(), enc.begin(), enc.end());
    put16(b, 208);
    Bytes payload = random_vec(208);
    b.insert(b.end(), payload.begin(), payload.end());
    middle.push_back({0xfe0d, b});  // encrypted_client_hello (GREASE)
  }
  if (params.shuffle_seed != 0) {
    std::mt19937_64 rng(params.shuffle_seed);
    for (size_t i = middle.size(); i > 1; --i) std::swap(middle[i - 1], middle[rng() % i]);
  }
  std::vector<Ext> exts;
  exts.push_back({grease(g[4]), {}});
  exts.insert(exts.end(), middle.begin(), middle.end());
  exts.push_back({uint16_t(grease(g[5]) ^ 0x1010), {0x00}});  // a second, different GREASE

  Bytes hello;  // handshake body after the 4-byte handshake header
  hello.push_back(0x03);
  hello.push_back(0x03);
  hello.insert(hello.end(), 32, 0x00);  // random, filled in last
  hello.push_back(32);
  Bytes sid = random_vec(32);
  hello.insert(hello.end(), sid.begin(), sid.end());
  const uint16_t suites[] = {grease(g[0]), 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                             0xcca9,       0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  put16(hello, uint16_t(sizeof suites));
  for (uint16_t s : suites) put16(hello, s);
  hello.push_back(0x01);
  hello.push_back(0x00);
  Bytes ext_bytes;
  for (const Ext& e : exts) {
    put16(ext_bytes, e.type);
    put16(ext_bytes, uint16_t(e.body.size()));
    ext_bytes.insert(ext_bytes.end(), e.body.begin(), e.body.end());
  }
  // Padding extension (0x0015) up to params.pad_to bytes of record.
  size_t size_without_pad = 5 + 4 + hello.size() + 2 + ext_bytes.size();
  if (size_without_pad + 4 <= params.pad_to) {
    size_t pad = params.pad_to - size_without_pad - 4;
    put16(ext_bytes, 0x0015);
    put16(ext_bytes, uint16_t(pad));
    ext_bytes.insert(ext_bytes.end(), pad, 0x00);
  }
  put16(hello, uint16_t(ext_bytes.size()));
  hello.insert(hello.end(), ext_bytes.begin(), ext_bytes.end());

  Bytes record = {0x16, 0x03, 0x01};
  put16(record, uint16_t(hello.size() + 4));
  record.push_back(0x01);
  record.push_back(uint8_t(hello.size() >> 16));
  put16(record, uint16_t(hello.size()));
  record.insert(record.end(), hello.begin(), hello.end());

  crypto::Sha256Digest d = crypto::hmac_sha256(ByteView(key), ByteView(record));
  uint8_t ts[4];
  store_le32(ts, now);
  for (size_t i = 0; i < 4; ++i) d[28 + i] ^= ts[i];
  std::copy(d.begin(), d.end(), record.begin() + kClientRandomOffset);
  random_out = d;
  return record;
}

}  // namespace mtedge::codecs::obfuscated
