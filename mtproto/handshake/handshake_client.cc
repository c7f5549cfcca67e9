#include "mtproto/handshake/handshake_client.h"

#include <cstring>

#include "crypto/aes_ige.h"
#include "crypto/bignum.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "mtproto/tl/tl_reader.h"
#include "mtproto/tl/tl_writer.h"

namespace mtedge::mtproto {

using namespace handshake_ids;

namespace {

uint64_t mul_mod(uint64_t a, uint64_t b, uint64_t m) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) % m);
}
uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

}  // namespace

std::optional<std::pair<uint64_t, uint64_t>> factor_pq(uint64_t pq) {
  if (pq < 4) return std::nullopt;
  if (pq % 2 == 0) return std::make_pair(uint64_t{2}, pq / 2);
  for (uint64_t c = 1; c < 64; ++c) {
    uint64_t x = 2, y = 2, d = 1;
    while (d == 1) {
      x = (mul_mod(x, x, pq) + c) % pq;
      y = (mul_mod(y, y, pq) + c) % pq;
      y = (mul_mod(y, y, pq) + c) % pq;
      d = gcd(x > y ? x - y : y - x, pq);
    }
    if (d != pq) {
      uint64_t a = d, b = pq / d;
      if (a > b) std::swap(a, b);
      return std::make_pair(a, b);
    }
  }
  return std::nullopt;
}

HandshakeClient::HandshakeClient(HandshakeClientOptions options) : options_(std::move(options)) {}

Bytes HandshakeClient::req_pq() {
  crypto::random_bytes(nonce_);
  Bytes out;
  TlWriter w(out);
  w.write_uint32(options_.use_req_pq_multi ? kReqPqMulti : kReqPq);
  w.write_int128(nonce_);
  return out;
}

Result<Bytes> HandshakeClient::on_res_pq(ByteView body) {
  TlReader r(body);
  if (!r.expect(kResPq)) return Status::error("client: not resPQ");
  if (r.read_int128() != nonce_) return Status::error("client: resPQ nonce mismatch");
  server_nonce_ = r.read_int128();
  auto pq = crypto::be_to_u64(r.read_bytes());
  uint32_t count = r.read_vector_header(8);
  bool found = false;
  for (uint32_t i = 0; i < count; ++i)
    found |= r.read_uint64() == options_.server_key.fingerprint();
  if (!r.ok() || !pq) return Status::error("client: malformed resPQ");
  if (!found) return Status::error("client: server key fingerprint not offered");
  pq_ = *pq;
  auto f = factor_pq(pq_);
  if (!f) return Status::error("client: cannot factor pq");
  crypto::random_bytes(new_nonce_);

  PQInnerData inner;
  inner.constructor = options_.inner_constructor;
  inner.pq = crypto::u64_to_be(pq_);
  inner.p = crypto::u64_to_be(f->first);
  inner.q = crypto::u64_to_be(f->second);
  inner.nonce = nonce_;
  inner.server_nonce = server_nonce_;
  inner.new_nonce = new_nonce_;
  if (inner.constructor == kPQInnerDataDc || inner.constructor == kPQInnerDataTempDc)
    inner.dc = options_.dc;
  if (inner.constructor == kPQInnerDataTemp || inner.constructor == kPQInnerDataTempDc)
    inner.expires_in = options_.expires_in;
  if (hooks.inner) hooks.inner(inner);
  Bytes data = serialize_p_q_inner_data(inner);
  auto block = options_.encoding == RsaEncoding::kRsaPad ? rsa_pad_encode(data, options_.server_key)
                                                         : legacy_rsa_encode(data);
  if (!block) return block.status();
  auto encrypted = options_.server_key.encrypt_raw(*block);
  if (!encrypted) return encrypted.status();

  ReqDhParamsFields f2;
  f2.nonce = nonce_;
  f2.server_nonce = server_nonce_;
  f2.p = inner.p;
  f2.q = inner.q;
  f2.fingerprint = options_.server_key.fingerprint();
  f2.encrypted_data.assign(encrypted->begin(), encrypted->end());
  if (hooks.req_dh) hooks.req_dh(f2);
  Bytes out;
  TlWriter w(out);
  w.write_uint32(kReqDhParams);
  w.write_int128(f2.nonce);
  w.write_int128(f2.server_nonce);
  w.write_bytes(f2.p);
  w.write_bytes(f2.q);
  w.write_uint64(f2.fingerprint);
  w.write_bytes(f2.encrypted_data);
  return out;
}

Result<Bytes> HandshakeClient::on_server_dh_params(ByteView body) {
  TlReader r(body);
  if (!r.expect(kServerDhParamsOk)) return Status::error("client: not server_DH_params_ok");
  if (r.read_int128() != nonce_ || r.read_int128() != server_nonce_)
    return Status::error("client: server_DH_params nonce mismatch");
  ByteView enc = r.read_bytes();
  if (!r.ok() || enc.size() % 16 != 0 || enc.size() < 32)
    return Status::error("client: bad encrypted_answer");
  Bytes plain(enc.begin(), enc.end());
  AesKeyIv tmp = handshake_tmp_aes_key_iv(new_nonce_, server_nonce_);
  crypto::aes_ige_decrypt(tmp.key, tmp.iv, plain.data(), plain.data(), plain.size());
  ByteView answer = ByteView(plain).subspan(20);
  TlReader a(answer);
  bool ok = a.expect(kServerDhInnerData);
  bool nonces = a.read_int128() == nonce_ && a.read_int128() == server_nonce_;
  g_ = static_cast<uint32_t>(a.read_int32());
  auto prime = a.read_bytes();
  auto g_a = a.read_bytes();
  server_time_ = a.read_int32();
  if (!ok || !a.ok() || !nonces) return Status::error("client: bad server_DH_inner_data");
  crypto::Sha1Digest h = crypto::sha1(answer.first(a.position()));
  if (std::memcmp(h.data(), plain.data(), 20) != 0 || a.remaining() >= 16)
    return Status::error("client: server_DH_inner_data hash mismatch");
  dh_prime_.assign(prime.begin(), prime.end());
  g_a_.assign(g_a.begin(), g_a.end());
  if (!crypto::is_good_dh_generator(g_, dh_prime_) || !crypto::is_good_dh_value(g_a_, dh_prime_))
    return Status::error("client: bad DH parameters");
  return build_set_client_dh_params();
}

Result<Bytes> HandshakeClient::build_set_client_dh_params() {
  Bytes b(256);
  Bytes g_b;
  for (int i = 0; i < 16; ++i) {
    crypto::random_bytes(b);
    auto gb = crypto::mod_exp_u32(g_, b, dh_prime_, 256);
    if (!gb) return gb.status();
    if (crypto::is_good_dh_value(*gb, dh_prime_)) {
      g_b = std::move(gb).value();
      break;
    }
  }
  if (g_b.empty()) return Status::error("client: cannot generate g_b");
  auto key = crypto::mod_exp(g_a_, b, dh_prime_, 256);
  if (!key) return key.status();
  auto ak = AuthKey::from_bytes(*key);
  if (!ak) return ak.status();
  auth_key_ = *ak;
  if (hooks.g_b) hooks.g_b(g_b);

  Bytes data;
  TlWriter w(data);
  w.write_uint32(kClientDhInnerData);
  w.write_int128(nonce_);
  w.write_int128(server_nonce_);
  w.write_uint64(retry_id_);
  w.write_bytes(g_b);
  crypto::Sha1Digest h = crypto::sha1(data);
  Bytes plain(h.begin(), h.end());
  append(plain, data);
  size_t at = plain.size();
  plain.resize(at + (16 - at % 16) % 16);
  crypto::random_bytes(MutableByteView(plain).subspan(at));
  if (hooks.set_plain) hooks.set_plain(plain);
  AesKeyIv tmp = handshake_tmp_aes_key_iv(new_nonce_, server_nonce_);
  crypto::aes_ige_encrypt(tmp.key, tmp.iv, plain.data(), plain.data(), plain.size());

  Bytes out;
  TlWriter o(out);
  o.write_uint32(kSetClientDhParams);
  o.write_int128(nonce_);
  o.write_int128(server_nonce_);
  o.write_bytes(plain);
  return out;
}

Result<HandshakeClient::GenResult> HandshakeClient::on_dh_gen(ByteView body) {
  TlReader r(body);
  uint32_t ctor = r.read_uint32();
  bool nonces = r.read_int128() == nonce_ && r.read_int128() == server_nonce_;
  Int128 hash = r.read_int128();
  if (!r.ok() || !nonces) return Status::error("client: malformed dh_gen answer");
  uint8_t n = ctor == kDhGenOk ? 1 : ctor == kDhGenRetry ? 2 : ctor == kDhGenFail ? 3 : 0;
  if (n == 0) return Status::error("client: not a dh_gen answer");
  if (hash != new_nonce_hash(new_nonce_, n, auth_key_.aux_hash()))
    return Status::error("client: new_nonce_hash mismatch");
  GenResult res;
  if (n == 1) {
    res.kind = GenResult::Kind::kOk;
  } else if (n == 3) {
    res.kind = GenResult::Kind::kFail;
  } else {
    res.kind = GenResult::Kind::kRetry;
    retry_id_ = auth_key_.aux_hash_u64();
    auto next = build_set_client_dh_params();
    if (!next) return next.status();
    res.next = std::move(next).value();
  }
  return res;
}

}  // namespace mtedge::mtproto
