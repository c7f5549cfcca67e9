// The DH exchange state machine. Every check of docs/spec/wire-notes.md §7.4 is marked with its
// item.
#include "mtproto/handshake/handshake_server.h"

#include <cstring>

#include "crypto/aes_ige.h"
#include "crypto/bignum.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "mtproto/handshake/exchange.h"
#include "mtproto/handshake/messages.h"
#include "mtproto/handshake/unencrypted.h"
#include "mtproto/keys/kdf.h"
#include "mtproto/tl/tl_reader.h"
#include "mtproto/tl/tl_writer.h"

namespace mtedge::mtproto {

using namespace handshake_ids;

namespace {

constexpr size_t kMaxSetClientDhEncrypted = 1024;  // client_DH_inner_data is ~340 bytes

HandshakeOutput reply(Bytes body, std::string reason = {}) {
  HandshakeOutput out;
  out.kind = HandshakeOutput::Kind::kReply;
  out.reply = std::move(body);
  out.reason = std::move(reason);
  return out;
}

// A random 31-bit prime. Deterministic Miller-Rabin (bases 2, 7, 61 are exact below 2^32):
// microseconds, where BN_generate_prime costs ~0.5 ms - req_pq is free for a peer to send.
bool is_prime_u32(uint32_t n) {
  if (n < 2) return false;
  for (uint32_t small : {2u, 3u, 5u, 7u, 11u, 13u, 61u})
    if (n % small == 0) return n == small;
  uint32_t d = n - 1;
  int r = 0;
  while ((d & 1) == 0) {
    d >>= 1;
    ++r;
  }
  auto pow_mod = [n](uint64_t b, uint32_t e) {
    uint64_t result = 1;
    b %= n;
    while (e) {
      if (e & 1) result = result * b % n;
      b = b * b % n;
      e >>= 1;
    }
    return result;
  };
  for (uint32_t a : {2u, 7u, 61u}) {
    uint64_t x = pow_mod(a, d);
    if (x == 1 || x == n - 1) continue;
    bool composite = true;
    for (int i = 1; i < r && composite; ++i) {
      x = x * x % n;
      if (x == n - 1) composite = false;
    }
    if (composite) return false;
  }
  return true;
}

uint32_t random_prime_31() {
  while (true) {
    uint32_t v;
    crypto::random_bytes(MutableByteView(reinterpret_cast<uint8_t*>(&v), sizeof v));
    v = (v & 0x7fffffffu) | 0x40000001u;  // exactly 31 bits, odd
    if (is_prime_u32(v)) return v;
  }
}

crypto::Sha256Digest request_hash(ByteView body, size_t object_size) {
  return crypto::sha256(body.first(object_size));
}

Bytes dh_gen_body(uint32_t ctor, const Exchange& ex, const Int128& hash) {
  return build_dh_gen_answer(ctor, ex.nonce, ex.server_nonce, hash);
}

}  // namespace

namespace {

// Ends an exchange after set_client_DH_params: its permit goes back, the server's DH secret
// is wiped, and only the last reply is kept for repeats (the resPQ and server_DH_params
// replies can no longer be asked for), so a finished exchange costs little while its reply
// is cached (reply_cache_ms).
void finish_exchange(Exchange& ex, int64_t expires_ms) {
  ex.stage = Exchange::Stage::kDone;
  ex.expires_ms = expires_ms;
  ex.permit.release();
  crypto::wipe(ex.a.data(), ex.a.size());
  Bytes().swap(ex.a);
  Bytes().swap(ex.res_pq);
  Bytes().swap(ex.dh_reply);
}

}  // namespace

HandshakeServer::HandshakeServer(std::shared_ptr<HandshakeContext> context, std::string source,
                                 bool exchanges_outlive_connection)
    : ctx_(std::move(context)),
      source_(std::move(source)),
      exchanges_outlive_connection_(exchanges_outlive_connection) {}

// The connection is gone: its permits go back now rather than at the exchanges' timeout, and
// unless its exchanges may go on elsewhere they end (DH secrets wiped, table entries dropped).
HandshakeServer::~HandshakeServer() {
  for (const auto& weak : mine_) {
    auto ex = weak.lock();
    if (!ex) continue;
    {
      std::lock_guard lock(ex->mu);
      if (exchanges_outlive_connection_) {
        ex->permit.release();
        continue;
      }
      end_exchange(*ex);
    }
    ctx_->forget_exchange(ex->nonce);
  }
}

bool HandshakeServer::costly(ByteView payload) {
  auto msg = parse_unencrypted(payload);
  if (!msg || msg->body.size() < 4) return false;
  const uint32_t ctor = load_le32(msg->body.data());
  return ctor == kReqDhParams || ctor == kSetClientDhParams;
}

size_t HandshakeServer::in_flight(int64_t now_ms) const {
  size_t n = 0;
  for (const auto& weak : mine_) {
    auto ex = weak.lock();
    if (!ex) continue;
    std::lock_guard lock(ex->mu);
    bool open =
        ex->stage == Exchange::Stage::kResPqSent || ex->stage == Exchange::Stage::kDhParamsSent;
    if (open && ex->expires_ms > now_ms) ++n;
  }
  return n;
}

bool HandshakeServer::key_used(uint64_t auth_key_id) {
  std::erase_if(mine_, [&](const std::weak_ptr<Exchange>& weak) {
    auto ex = weak.lock();
    if (!ex) return true;
    std::lock_guard lock(ex->mu);
    if (ex->stage != Exchange::Stage::kDone || ex->auth_key_id != auth_key_id) return false;
    ctx_->forget_exchange(ex->nonce);
    return true;
  });
  return mine_.empty() && !dead_;
}

HandshakeOutput HandshakeServer::fail(int32_t code, std::string reason) {
  dead_ = true;
  HandshakeOutput out;
  out.kind = HandshakeOutput::Kind::kTransportError;
  out.transport_error = code;
  out.reason = std::move(reason);
  return out;
}

void HandshakeServer::end_exchange(Exchange& ex) {
  ex.stage = Exchange::Stage::kDead;
  ex.permit.release();
  crypto::wipe(ex.a.data(), ex.a.size());
  ex.a.clear();
}

HandshakeOutput HandshakeServer::kill(Exchange& ex, int32_t code, std::string reason) {
  end_exchange(ex);
  return fail(code, std::move(reason));
}

HandshakeOutput HandshakeServer::handle_payload(ByteView payload, int64_t now_ms) {
  auto msg = parse_unencrypted(payload);
  if (!msg) return fail(kTransportErrorBadQuery, msg.message());
  HandshakeOutput out = handle_body(msg->body, now_ms);
  if (out.kind == HandshakeOutput::Kind::kReply) {
    last_msg_id_ = make_server_msg_id(static_cast<uint64_t>(now_ms), last_msg_id_);
    out.reply = build_unencrypted(last_msg_id_, out.reply);
  }
  return out;
}

HandshakeOutput HandshakeServer::handle_body(ByteView body, int64_t now_ms) {
  if (dead_) return fail(kTransportErrorBadQuery, "handshake already failed on this connection");
  if (body.size() < 4) return fail(kTransportErrorBadQuery, "handshake query too short");
  uint32_t ctor = load_le32(body.data());
  switch (ctor) {
    case kReqPq:
    case kReqPqMulti: return on_req_pq(body, ctor, now_ms);
    case kReqDhParams: return on_req_dh_params(body, now_ms);
    case kSetClientDhParams: return on_set_client_dh_params(body, now_ms);
    default: return fail(kTransportErrorBadQuery, "not a handshake query");
  }
}

// ---- item 1: req_pq / req_pq_multi -> resPQ ----
HandshakeOutput HandshakeServer::on_req_pq(ByteView body, uint32_t ctor, int64_t now_ms) {
  TlReader r(body);
  r.read_uint32();
  Int128 nonce = r.read_int128();
  if (!r.ok()) return fail(kTransportErrorBadQuery, "req_pq: short");

  if (auto existing = ctx_->find_exchange(nonce, now_ms)) {
    // Identical repeat (same query, same nonce): the same resPQ, as long as it is kept.
    std::lock_guard lock(existing->mu);
    if (existing->req_pq_ctor == ctor && existing->stage != Exchange::Stage::kDead &&
        !existing->res_pq.empty() && existing->expires_ms > now_ms)
      return reply(existing->res_pq, "repeated req_pq");
    return fail(kTransportErrorBadQuery, "req_pq: nonce already used");
  }
  if (in_flight(now_ms) >= ctx_->config().max_in_flight_per_connection)
    return fail(kTransportErrorFlood, "req_pq: too many handshakes on this connection");

  auto ex = std::make_shared<Exchange>();
  ex->nonce = nonce;
  ex->source = source_;
  crypto::random_bytes(ex->server_nonce);
  // pq: product of two distinct random ~31-bit primes, p < q (so pq < 2^63).
  uint32_t p = random_prime_31(), q = random_prime_31();
  while (q == p) q = random_prime_31();
  if (p > q) std::swap(p, q);
  ex->p = p;
  ex->q = q;
  ex->pq = uint64_t{p} * q;
  ex->req_pq_ctor = ctor;
  ex->expires_ms = now_ms + ctx_->config().timeout_ms;

  TlWriter w(ex->res_pq);
  w.write_uint32(kResPq);
  w.write_int128(ex->nonce);
  w.write_int128(ex->server_nonce);
  w.write_bytes(crypto::u64_to_be(ex->pq));
  w.write_vector_header(static_cast<uint32_t>(ctx_->keys().size()));
  for (const auto& key : ctx_->keys()) w.write_uint64(key.fingerprint());

  if (!ctx_->add_exchange(ex, now_ms))
    return fail(kTransportErrorFlood, "req_pq: exchange table full");
  std::erase_if(mine_, [](const std::weak_ptr<Exchange>& weak) { return weak.expired(); });
  mine_.push_back(ex);
  return reply(ex->res_pq);
}

// ---- items 2-3: req_DH_params -> server_DH_params_ok / _fail ----
HandshakeOutput HandshakeServer::on_req_dh_params(ByteView body, int64_t now_ms) {
  TlReader r(body);
  r.read_uint32();
  Int128 nonce = r.read_int128();
  Int128 server_nonce = r.read_int128();
  ByteView p_bytes = r.read_bytes();
  ByteView q_bytes = r.read_bytes();
  uint64_t fingerprint = r.read_uint64();
  ByteView encrypted = r.read_bytes();
  if (!r.ok()) return fail(kTransportErrorBadQuery, "req_DH_params: malformed");
  crypto::Sha256Digest hash = request_hash(body, r.position());

  auto ex = ctx_->find_exchange(nonce, now_ms);
  if (!ex) return fail(kTransportErrorBadQuery, "req_DH_params: unknown nonce");
  std::lock_guard lock(ex->mu);
  // The nonce travels in clear on some transports: a query that does not prove it belongs to
  // the exchange (server_nonce, same source) fails its sender only, never the exchange.
  if (ex->server_nonce != server_nonce)
    return fail(kTransportErrorBadQuery, "req_DH_params: server_nonce mismatch");
  if (ex->source != source_)
    return fail(kTransportErrorBadQuery, "req_DH_params: exchange of another source");
  if (ex->expires_ms <= now_ms || ex->stage == Exchange::Stage::kDead)
    return kill(*ex, kTransportErrorBadQuery, "req_DH_params: exchange timed out or dead");
  if (ex->stage != Exchange::Stage::kResPqSent) {
    if (!ex->dh_reply.empty() && ex->dh_request_hash == hash)
      return reply(ex->dh_reply, "repeated req_DH_params");
    return kill(*ex, kTransportErrorBadQuery, "req_DH_params: unexpected at this stage");
  }

  // p * q == pq, p < q (the factors the server chose).
  auto p = crypto::be_to_u64(p_bytes), q = crypto::be_to_u64(q_bytes);
  if (!p || !q || *p != ex->p || *q != ex->q)
    return kill(*ex, kTransportErrorBadQuery, "req_DH_params: wrong pq factors");
  const crypto::RsaPrivateKey* key = ctx_->key_by_fingerprint(fingerprint);
  if (!key) return kill(*ex, kTransportErrorBadQuery, "req_DH_params: unknown key fingerprint");
  if (encrypted.empty() || encrypted.size() > 256)
    return kill(*ex, kTransportErrorBadQuery, "req_DH_params: encrypted_data size");
  // The expensive part starts here (RSA decryption, g^a): it needs a permit (caps in flight and
  // the per-source rate).
  if (HandshakeLimiter* limiter = ctx_->limiter()) {
    HandshakeLimiter::Refusal why = HandshakeLimiter::Refusal::kNone;
    ex->permit = limiter->try_acquire(source_, now_ms, &why);
    if (!ex->permit) {
      const bool rate = why == HandshakeLimiter::Refusal::kSourceRate;
      HandshakeOutput out = kill(*ex, kTransportErrorFlood,
                                 rate ? "req_DH_params: handshake rate of this source exceeded"
                                      : "req_DH_params: handshake cap reached (source or global)");
      out.rate_limited = rate;
      return out;
    }
  }
  crypto::RsaBlock cipher{};
  std::memcpy(cipher.data() + (256 - encrypted.size()), encrypted.data(), encrypted.size());
  auto plain = key->decrypt_raw(cipher);
  if (!plain) return kill(*ex, kTransportErrorBadQuery, "req_DH_params: RSA decrypt failed");
  auto decoded = decode_rsa_inner(*plain, ctx_->config().allow_legacy_rsa);
  if (!decoded) return kill(*ex, kTransportErrorBadQuery, decoded.message());
  const PQInnerData& in = decoded->inner;
  if (in.nonce != ex->nonce || in.server_nonce != ex->server_nonce)
    return kill(*ex, kTransportErrorBadQuery, "p_q_inner_data: nonce mismatch");
  if (crypto::be_to_u64(in.pq) != ex->pq || crypto::be_to_u64(in.p) != ex->p ||
      crypto::be_to_u64(in.q) != ex->q)
    return kill(*ex, kTransportErrorBadQuery, "p_q_inner_data: pq/p/q mismatch");
  if (in.dc) {
    int32_t expected = ctx_->config().dc_id + (ctx_->config().test_dc ? 10000 : 0);
    bool ok = *in.dc == expected || (ctx_->config().accept_media_dc && *in.dc == -expected);
    if (!ok)
      return kill(*ex, kTransportErrorBadDc,
                  "p_q_inner_data: dc mismatch [dc = " + std::to_string(*in.dc) + "]");
  }
  ex->new_nonce = in.new_nonce;
  ex->dc = in.dc.value_or(0);
  ex->dh_request_hash = hash;

  // Refusals that are not protocol errors: server_DH_params_fail (the client may start over).
  if (in.temp() && (!ctx_->config().allow_temp_keys || *in.expires_in <= 0)) {
    Bytes out;
    TlWriter w(out);
    w.write_uint32(kServerDhParamsFail);
    w.write_int128(ex->nonce);
    w.write_int128(ex->server_nonce);
    w.write_int128(new_nonce_hash_fail(ex->new_nonce));
    ex->dh_reply = out;
    ex->stage = Exchange::Stage::kDone;
    ex->permit.release();
    return reply(std::move(out), "temp key refused");
  }
  ex->temp = in.temp();
  ex->expires_in = in.temp() ? std::min(*in.expires_in, ctx_->config().max_temp_expires_in) : 0;

  // Item 3: a, g_a with 2^(2048-64) <= g_a <= p - 2^(2048-64): a precomputed pair when the
  // pool has one (taken once, never reused), else computed here.
  const DhGroup& group = ctx_->group();
  std::optional<DhPair> pair;
  if (DhPairPool* pool = ctx_->dh_pool()) pair = pool->take();
  if (!pair) {
    auto fresh = compute_dh_pair(group, ctx_->modulus());
    if (!fresh) return kill(*ex, kTransportErrorBadQuery, "server: cannot generate g_a");
    pair.emplace(std::move(fresh).value());
  }
  ex->a = std::move(pair->secret);
  const Bytes& g_a = pair->public_value;
  Bytes answer;
  {
    TlWriter w(answer);
    w.write_uint32(kServerDhInnerData);
    w.write_int128(ex->nonce);
    w.write_int128(ex->server_nonce);
    w.write_int32(static_cast<int32_t>(group.g));
    w.write_bytes(group.prime);
    w.write_bytes(g_a);
    w.write_int32(static_cast<int32_t>(now_ms / 1000));
  }
  crypto::Sha1Digest answer_sha = crypto::sha1(answer);
  Bytes with_hash(answer_sha.begin(), answer_sha.end());
  append(with_hash, answer);
  size_t pad = (16 - with_hash.size() % 16) % 16;
  size_t at = with_hash.size();
  with_hash.resize(at + pad);
  crypto::random_bytes(MutableByteView(with_hash).subspan(at));
  AesKeyIv tmp = handshake_tmp_aes_key_iv(ex->new_nonce, ex->server_nonce);
  crypto::aes_ige_encrypt(tmp.key, tmp.iv, with_hash.data(), with_hash.data(), with_hash.size());

  Bytes out;
  TlWriter w(out);
  w.write_uint32(kServerDhParamsOk);
  w.write_int128(ex->nonce);
  w.write_int128(ex->server_nonce);
  w.write_bytes(with_hash);
  ex->dh_reply = out;
  ex->stage = Exchange::Stage::kDhParamsSent;
  return reply(std::move(out));
}

// ---- items 4-7: set_client_DH_params -> dh_gen_ok / dh_gen_retry / dh_gen_fail ----
HandshakeOutput HandshakeServer::on_set_client_dh_params(ByteView body, int64_t now_ms) {
  TlReader r(body);
  r.read_uint32();
  Int128 nonce = r.read_int128();
  Int128 server_nonce = r.read_int128();
  ByteView encrypted = r.read_bytes();
  if (!r.ok()) return fail(kTransportErrorBadQuery, "set_client_DH_params: malformed");
  crypto::Sha256Digest hash = request_hash(body, r.position());

  auto ex = ctx_->find_exchange(nonce, now_ms);
  if (!ex) return fail(kTransportErrorBadQuery, "set_client_DH_params: unknown nonce");
  std::lock_guard lock(ex->mu);
  if (ex->server_nonce != server_nonce)
    return fail(kTransportErrorBadQuery, "set_client_DH_params: server_nonce mismatch");
  if (ex->source != source_)
    return fail(kTransportErrorBadQuery, "set_client_DH_params: exchange of another source");
  if (!ex->set_reply.empty() && ex->set_request_hash == hash &&
      ex->stage != Exchange::Stage::kDead && ex->expires_ms > now_ms)
    return reply(ex->set_reply, "repeated set_client_DH_params");
  if (ex->expires_ms <= now_ms)
    return kill(*ex, kTransportErrorBadQuery, "set_client_DH_params: exchange timed out");
  if (ex->stage != Exchange::Stage::kDhParamsSent)
    return kill(*ex, kTransportErrorBadQuery, "set_client_DH_params: unexpected at this stage");

  // Item 4: decrypt, SHA1(data) prefix, client_DH_inner_data.
  if (encrypted.size() < 32 || encrypted.size() % 16 != 0 ||
      encrypted.size() > kMaxSetClientDhEncrypted)
    return kill(*ex, kTransportErrorBadQuery, "set_client_DH_params: encrypted_data size");
  Bytes plain(encrypted.begin(), encrypted.end());
  AesKeyIv tmp = handshake_tmp_aes_key_iv(ex->new_nonce, ex->server_nonce);
  crypto::aes_ige_decrypt(tmp.key, tmp.iv, plain.data(), plain.data(), plain.size());
  ByteView data = ByteView(plain).subspan(20);
  TlReader in(data);
  bool ctor_ok = in.expect(kClientDhInnerData);
  Int128 in_nonce = in.read_int128();
  Int128 in_server_nonce = in.read_int128();
  uint64_t retry_id = in.read_uint64();
  ByteView g_b = in.read_bytes();
  if (!ctor_ok || !in.ok())
    return kill(*ex, kTransportErrorBadQuery, "client_DH_inner_data: malformed");
  crypto::Sha1Digest check = crypto::sha1(data.first(in.position()));
  if (std::memcmp(check.data(), plain.data(), 20) != 0 || in.remaining() >= 16)
    return kill(*ex, kTransportErrorBadQuery, "client_DH_inner_data: hash mismatch");
  if (in_nonce != ex->nonce || in_server_nonce != ex->server_nonce)
    return kill(*ex, kTransportErrorBadQuery, "client_DH_inner_data: nonce mismatch");
  if (retry_id != ex->retry_id)
    return kill(*ex, kTransportErrorBadQuery, "client_DH_inner_data: wrong retry_id");
  // Item 5: 1 < g_b < p-1 and the 2^(2048-64) margin.
  const DhGroup& group = ctx_->group();
  if (!crypto::is_good_dh_value(g_b, group.prime))
    return kill(*ex, kTransportErrorBadQuery, "client_DH_inner_data: g_b out of range");

  // Item 6: auth_key = g_b^a mod p.
  auto key_bytes = ctx_->modulus().pow(g_b, ex->a, 256);
  if (!key_bytes) return kill(*ex, kTransportErrorBadQuery, "server: modexp failed");
  auto key = AuthKey::from_bytes(*key_bytes);
  if (!key) return kill(*ex, kTransportErrorBadQuery, "server: bad auth key size");
  ex->set_request_hash = hash;

  StoredAuthKey stored;
  stored.key = *key;
  stored.temp = ex->temp;
  stored.created_at = now_ms / 1000;
  stored.expires_at = ex->temp ? now_ms / 1000 + ex->expires_in : 0;
  stored.dc_id = ex->dc;
  auto inserted = ctx_->store().insert(stored);
  if (!inserted) {
    // The store failed (e.g. persistence I/O): not the client's fault, never -404.
    ex->set_reply = dh_gen_body(kDhGenFail, *ex, new_nonce_hash(ex->new_nonce, 3, key->aux_hash()));
    finish_exchange(*ex, now_ms + ctx_->config().reply_cache_ms);
    return reply(ex->set_reply, "dh_gen_fail: " + inserted.message());
  }
  if (!inserted.value()) {
    // auth_key_id collision: the client picks a new b (dh_gen_retry), up to max_retries.
    if (++ex->retries > ctx_->config().max_retries) {
      ex->set_reply =
          dh_gen_body(kDhGenFail, *ex, new_nonce_hash(ex->new_nonce, 3, key->aux_hash()));
      finish_exchange(*ex, now_ms + ctx_->config().reply_cache_ms);
      return reply(ex->set_reply, "dh_gen_fail: too many retries");
    }
    ex->retry_id = key->aux_hash_u64();
    ex->set_reply =
        dh_gen_body(kDhGenRetry, *ex, new_nonce_hash(ex->new_nonce, 2, key->aux_hash()));
    return reply(ex->set_reply, "dh_gen_retry: auth_key_id collision");
  }
  ex->set_reply = dh_gen_body(kDhGenOk, *ex, new_nonce_hash(ex->new_nonce, 1, key->aux_hash()));
  ex->auth_key_id = key->id();
  finish_exchange(*ex, now_ms + ctx_->config().reply_cache_ms);

  HandshakeOutput out = reply(ex->set_reply);
  CompletedAuthKey done;
  done.key = *key;
  done.server_salt = initial_server_salt(ex->new_nonce, ex->server_nonce);  // item 7
  done.temp = ex->temp;
  done.expires_in = ex->expires_in;
  done.dc_id = ex->dc;
  out.completed = std::move(done);
  return out;
}

}  // namespace mtedge::mtproto
