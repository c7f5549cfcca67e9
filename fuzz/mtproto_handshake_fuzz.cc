// Handshake state machine fed arbitrary unencrypted messages, several in sequence, on one
// connection with the fixed test key. Input: records of [u16 LE length][payload]. To get past
// the nonce and pq checks, req_DH_params and set_client_DH_params records get the current
// exchange's nonce, server_nonce (and p, q) patched in from the last resPQ, so the fuzzer
// reaches RSA decoding, the inner-data parser and the DH checks.
#include <cstdint>
#include <cstring>
#include <string>

#include "crypto/bignum.h"
#include "mtproto/auth_keys/memory_auth_key_store.h"
#include "mtproto/handshake/handshake_client.h"
#include "mtproto/handshake/handshake_server.h"
#include "mtproto/handshake/unencrypted.h"
#include "mtproto/tl/tl_reader.h"
#include "mtproto/tl/tl_writer.h"
#include "tests/support/keys.h"
#include "tests/support/vectors.h"

using namespace mtedge;
using namespace mtedge::mtproto;

namespace {

std::shared_ptr<HandshakeContext> context() {
  static std::shared_ptr<HandshakeContext> ctx = [] {
    auto key = crypto::RsaPrivateKey::from_pem_file(
        mtedge::test::vector_path(mtedge::test::kTestRsaKeyFile));
    if (!key) abort();
    auto store = MemoryAuthKeyStore::open({});
    HandshakeConfig cfg;
    cfg.max_in_flight_per_connection = 4;
    auto c = HandshakeContext::create(cfg, {key.value()},
                                      std::shared_ptr<AuthKeyStore>(std::move(store).value()));
    if (!c) abort();
    return c.value();
  }();
  return ctx;
}

struct Current {
  bool have = false;
  Int128 nonce{}, server_nonce{};
  Bytes p, q;
};

void learn(const Bytes& reply_payload, Current& cur) {
  auto m = parse_unencrypted(reply_payload);
  if (!m || m->constructor != handshake_ids::kResPq) return;
  TlReader r(m->body);
  r.read_uint32();
  cur.nonce = r.read_int128();
  cur.server_nonce = r.read_int128();
  auto pq = crypto::be_to_u64(r.read_bytes());
  if (!r.ok() || !pq) return;
  auto f = factor_pq(*pq);
  if (!f) return;
  cur.p = crypto::u64_to_be(f->first);
  cur.q = crypto::u64_to_be(f->second);
  cur.have = true;
}

Bytes patch(ByteView payload, const Current& cur) {
  Bytes out(payload.begin(), payload.end());
  auto m = parse_unencrypted(payload);
  if (!m || !cur.have) return out;
  size_t body_at = kUnencryptedHeaderSize;
  if (m->constructor == handshake_ids::kSetClientDhParams && m->body.size() >= 36) {
    std::memcpy(&out[body_at + 4], cur.nonce.data(), 16);
    std::memcpy(&out[body_at + 20], cur.server_nonce.data(), 16);
  } else if (m->constructor == handshake_ids::kReqDhParams) {
    TlReader r(m->body);
    r.read_uint32();
    r.read_int128();
    r.read_int128();
    r.read_bytes();
    r.read_bytes();
    uint64_t fp = r.read_uint64();
    auto enc = r.read_bytes();
    if (!r.ok()) return out;
    Bytes body;
    TlWriter w(body);
    w.write_uint32(handshake_ids::kReqDhParams);
    w.write_int128(cur.nonce);
    w.write_int128(cur.server_nonce);
    w.write_bytes(cur.p);
    w.write_bytes(cur.q);
    w.write_uint64(fp);
    w.write_bytes(enc);
    append(body, r.rest());
    out = build_unencrypted(m->msg_id, body);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  HandshakeServer server(context(), "fuzz");
  Current cur;
  int64_t now = 1'700'000'000'000;
  size_t pos = 0;
  for (int i = 0; i < 8 && pos + 2 <= size; ++i) {
    size_t len = data[pos] | (size_t{data[pos + 1]} << 8);
    pos += 2;
    len = std::min(len, size - pos);
    Bytes msg = patch(ByteView(data + pos, len), cur);
    pos += len;
    HandshakeOutput out = server.handle_payload(msg, now);
    if (out.kind == HandshakeOutput::Kind::kReply) learn(out.reply, cur);
    now += 100;
  }
  return 0;
}
