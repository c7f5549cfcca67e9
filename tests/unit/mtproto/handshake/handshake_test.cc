// Server-side DH handshake driven by the client of mtproto/handshake/handshake_client.h.
#include <gtest/gtest.h>

#include <atomic>

#include "crypto/bignum.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "mtproto/handshake/unencrypted.h"
#include "mtproto/tl/tl_reader.h"
#include "mtproto/tl/tl_writer.h"
#include "tests/support/handshake_context.h"

namespace mtedge::mtproto {
namespace {

using namespace handshake_ids;
using Kind = HandshakeOutput::Kind;

constexpr int64_t kNow = 1'707'425'104'000;

HandshakeClientOptions client_options(RsaEncoding enc = RsaEncoding::kRsaPad,
                                      uint32_t inner = kPQInnerDataDc) {
  HandshakeClientOptions o;
  o.server_key = testing::test_key().public_key();
  o.encoding = enc;
  o.inner_constructor = inner;
  return o;
}

// Sends a client body through handle_payload (msg_id 0 like TDLib) and returns the output
// with the reply unwrapped to its body.
HandshakeOutput send(HandshakeServer& server, ByteView body, int64_t now = kNow) {
  HandshakeOutput out = server.handle_payload(build_unencrypted(0, body), now);
  if (out.kind == Kind::kReply) {
    auto m = parse_unencrypted(out.reply);
    EXPECT_TRUE(m.is_ok());
    EXPECT_EQ(m->msg_id % 4, 1u);
    out.reply.assign(m->body.begin(), m->body.end());
  }
  return out;
}

void expect_error(const HandshakeOutput& out, int32_t code) {
  EXPECT_EQ(out.kind, Kind::kTransportError) << out.reason;
  EXPECT_EQ(out.transport_error, code) << out.reason;
  EXPECT_FALSE(out.completed.has_value());
}

struct Flow {
  HandshakeServer& server;
  HandshakeClient& client;
  HandshakeOutput res_pq, dh_params, gen;

  // Runs up to and including the step that fails; returns the first transport error or the
  // final output.
  HandshakeOutput run(int64_t now = kNow) {
    res_pq = send(server, client.req_pq(), now);
    if (res_pq.kind != Kind::kReply) return res_pq;
    auto req_dh = client.on_res_pq(res_pq.reply);
    EXPECT_TRUE(req_dh.is_ok()) << req_dh.message();
    dh_params = send(server, *req_dh, now);
    if (dh_params.kind != Kind::kReply) return dh_params;
    auto set = client.on_server_dh_params(dh_params.reply);
    if (!set) return dh_params;  // e.g. server_DH_params_fail
    gen = send(server, *set, now);
    return gen;
  }
};

void expect_completed(const HandshakeOutput& out, HandshakeClient& client, AuthKeyStore& store) {
  ASSERT_EQ(out.kind, Kind::kReply) << out.reason;
  auto gen = client.on_dh_gen(out.reply);
  ASSERT_TRUE(gen.is_ok()) << gen.message();
  EXPECT_EQ(gen->kind, HandshakeClient::GenResult::Kind::kOk);
  ASSERT_TRUE(out.completed.has_value());
  EXPECT_EQ(out.completed->key.data(), client.auth_key().data());
  EXPECT_EQ(out.completed->key.id(), client.auth_key().id());
  EXPECT_EQ(out.completed->server_salt, client.server_salt());
  auto stored = store.find(client.auth_key().id());
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(stored->key.data(), client.auth_key().data());
}

struct Case {
  const char* name;
  RsaEncoding encoding;
  uint32_t inner;
  bool multi;
};

class FullHandshake : public ::testing::TestWithParam<Case> {};

TEST_P(FullHandshake, Completes) {
  auto store = testing::memory_store();
  auto ctx = testing::make_context({}, store);
  HandshakeServer server(ctx, "10.0.0.1");
  auto opts = client_options(GetParam().encoding, GetParam().inner);
  opts.use_req_pq_multi = GetParam().multi;
  HandshakeClient client(opts);
  Flow flow{server, client};
  auto out = flow.run();
  expect_completed(out, client, *store);
  bool temp = GetParam().inner == kPQInnerDataTemp || GetParam().inner == kPQInnerDataTempDc;
  EXPECT_EQ(out.completed->temp, temp);
  EXPECT_EQ(store->find(client.auth_key().id())->temp, temp);
  if (temp) {
    EXPECT_EQ(out.completed->expires_in, 3600);
    EXPECT_EQ(store->find(client.auth_key().id())->expires_at, kNow / 1000 + 3600);
  }
  bool has_dc = GetParam().inner == kPQInnerDataDc || GetParam().inner == kPQInnerDataTempDc;
  EXPECT_EQ(out.completed->dc_id, has_dc ? 2 : 0);
  EXPECT_EQ(client.server_time(), kNow / 1000);
  EXPECT_FALSE(server.dead());
  EXPECT_EQ(server.in_flight(kNow), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Encodings, FullHandshake,
    ::testing::Values(Case{"RsaPadDc", RsaEncoding::kRsaPad, kPQInnerDataDc, true},
                      Case{"RsaPadTempDc", RsaEncoding::kRsaPad, kPQInnerDataTempDc, true},
                      Case{"LegacyPlain", RsaEncoding::kLegacySha1, kPQInnerData,
                           false},  // Telethon 1.25
                      Case{"LegacyDc", RsaEncoding::kLegacySha1, kPQInnerDataDc, true},
                      Case{"LegacyTemp", RsaEncoding::kLegacySha1, kPQInnerDataTemp, true},
                      Case{"RsaPadPlain", RsaEncoding::kRsaPad, kPQInnerData, false}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// With a pool of precomputed pairs: a full pool gives req_DH_params its (a, g_a) and an empty
// one makes it compute its own; both end in the key the client derived.
TEST(Handshake, DhPoolFullAndEmptyBothGiveTheRightKey) {
  auto store = testing::memory_store();
  HandshakeConfig config;
  config.dh_precompute = 2;
  auto ctx = testing::make_context(config, store);
  DhPairPool* pool = ctx->dh_pool();
  ASSERT_NE(pool, nullptr);
  while (pool->refill_one()) {
  }
  for (int i = 0; i < 4; ++i) {  // two from the full pool, then two misses
    HandshakeServer server(ctx, "10.0.0.1");
    HandshakeClient client(client_options());
    Flow flow{server, client};
    expect_completed(flow.run(), client, *store);
    DhPairPool::Stats s = pool->stats();
    EXPECT_EQ(s.taken, i < 2 ? uint64_t(i + 1) : 2u) << i;
    EXPECT_EQ(s.misses, i < 2 ? 0u : uint64_t(i - 1)) << i;
    EXPECT_EQ(s.size, i < 2 ? size_t(1 - i) : 0u) << i;
  }
}

TEST(Handshake, NoDhPoolByDefault) {
  EXPECT_EQ(testing::make_context()->dh_pool(), nullptr);
}

TEST(Handshake, ResPqContent) {
  auto ctx = testing::make_context();
  HandshakeServer server(ctx, "ip");
  HandshakeClient client(client_options());
  auto out = send(server, client.req_pq());
  ASSERT_EQ(out.kind, Kind::kReply);
  TlReader r(out.reply);
  EXPECT_TRUE(r.expect(kResPq));
  EXPECT_EQ(r.read_int128(), client.nonce());
  r.read_int128();
  auto pq = crypto::be_to_u64(r.read_bytes());
  ASSERT_TRUE(pq.has_value());
  EXPECT_LE(*pq, (uint64_t{1} << 63) - 1);
  auto f = factor_pq(*pq);
  ASSERT_TRUE(f.has_value());
  EXPECT_LT(f->first, f->second);
  EXPECT_TRUE(crypto::is_probable_prime(crypto::u64_to_be(f->first)));
  EXPECT_TRUE(crypto::is_probable_prime(crypto::u64_to_be(f->second)));
  EXPECT_EQ(r.read_vector_header(8), 1u);
  EXPECT_EQ(r.read_uint64(), testing::test_key().fingerprint());
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
}

TEST(Handshake, TdlibPaddedReqPq) {
  auto ctx = testing::make_context();
  HandshakeServer server(ctx, "ip");
  HandshakeClient client(client_options());
  Bytes body = client.req_pq();
  Bytes pad(188, 0x11);
  append(body, pad);  // 208-byte message_data, as TDLib sends
  auto out = send(server, body);
  ASSERT_EQ(out.kind, Kind::kReply) << out.reason;
  EXPECT_TRUE(client.on_res_pq(out.reply).is_ok());
}

TEST(Handshake, TestAndMediaDcs) {
  HandshakeConfig test_cfg;
  test_cfg.test_dc = true;
  test_cfg.dc_id = 2;
  for (int32_t dc : {10002, -10002}) {
    auto store = testing::memory_store();
    HandshakeServer server(testing::make_context(test_cfg, store), "ip");
    auto o = client_options();
    o.dc = dc;
    HandshakeClient client(o);
    Flow flow{server, client};
    expect_completed(flow.run(), client, *store);
  }
  auto store = testing::memory_store();
  HandshakeServer server(testing::make_context({}, store), "ip");
  auto o = client_options();
  o.dc = -2;
  HandshakeClient client(o);
  Flow flow{server, client};
  expect_completed(flow.run(), client, *store);
}

TEST(Handshake, WrongDcAnswers444ThenDead) {
  for (int32_t dc : {1, 3, 10002, -10002, 0}) {
    HandshakeServer server(testing::make_context(), "ip");
    auto o = client_options(RsaEncoding::kRsaPad, kPQInnerDataTempDc);
    o.dc = dc;
    HandshakeClient client(o);
    Flow flow{server, client};
    expect_error(flow.run(), kTransportErrorBadDc);
    EXPECT_TRUE(server.dead());
    expect_error(send(server, HandshakeClient(client_options()).req_pq()), kTransportErrorBadQuery);
  }
  HandshakeConfig no_media;
  no_media.accept_media_dc = false;
  HandshakeServer server(testing::make_context(no_media), "ip");
  auto o = client_options();
  o.dc = -2;
  HandshakeClient client(o);
  Flow flow{server, client};
  expect_error(flow.run(), kTransportErrorBadDc);
}

// Each tampering of req_DH_params answers -404 and kills the connection's handshake.
struct ReqDhTamper {
  const char* name;
  std::function<void(HandshakeClient&)> apply;
};

class ReqDhNegative : public ::testing::TestWithParam<ReqDhTamper> {};

TEST_P(ReqDhNegative, Answers404AndDies) {
  HandshakeServer server(testing::make_context(), "ip");
  HandshakeClient client(client_options());
  GetParam().apply(client);
  Flow flow{server, client};
  auto out = flow.run();
  expect_error(out, kTransportErrorBadQuery);
  EXPECT_TRUE(server.dead());
  // Later queries, even valid ones, get -404.
  HandshakeClient fresh(client_options());
  expect_error(send(server, fresh.req_pq()), kTransportErrorBadQuery);
}

INSTANTIATE_TEST_SUITE_P(
    Checks, ReqDhNegative,
    ::testing::Values(
        ReqDhTamper{"WrongNonce",
                    [](HandshakeClient& c) {
                      c.hooks.req_dh = [](ReqDhParamsFields& f) { f.nonce[0] ^= 1; };
                    }},
        ReqDhTamper{"WrongServerNonce",
                    [](HandshakeClient& c) {
                      c.hooks.req_dh = [](ReqDhParamsFields& f) { f.server_nonce[5] ^= 1; };
                    }},
        ReqDhTamper{"WrongFingerprint",
                    [](HandshakeClient& c) {
                      c.hooks.req_dh = [](ReqDhParamsFields& f) { f.fingerprint ^= 1; };
                    }},
        ReqDhTamper{"PqFactorsSwapped",
                    [](HandshakeClient& c) {
                      c.hooks.req_dh = [](ReqDhParamsFields& f) { std::swap(f.p, f.q); };
                    }},
        ReqDhTamper{"PqFactorWrong",
                    [](HandshakeClient& c) {
                      c.hooks.req_dh = [](ReqDhParamsFields& f) { f.p.back() ^= 2; };
                    }},
        ReqDhTamper{"PqFactorLeadingZeros",
                    [](HandshakeClient& c) {
                      c.hooks.req_dh = [](ReqDhParamsFields& f) { f.p.assign(12, 0); };
                    }},
        ReqDhTamper{"EncryptedDataFlipped",
                    [](HandshakeClient& c) {
                      c.hooks.req_dh = [](ReqDhParamsFields& f) { f.encrypted_data[100] ^= 1; };
                    }},
        ReqDhTamper{"EncryptedDataTooLong",
                    [](HandshakeClient& c) {
                      c.hooks.req_dh = [](ReqDhParamsFields& f) { f.encrypted_data.push_back(0); };
                    }},
        ReqDhTamper{"EncryptedDataAboveModulus",
                    [](HandshakeClient& c) {
                      c.hooks.req_dh = [](ReqDhParamsFields& f) {
                        f.encrypted_data.assign(256, 0xff);
                      };
                    }},
        ReqDhTamper{
            "InnerNonce",
            [](HandshakeClient& c) { c.hooks.inner = [](PQInnerData& d) { d.nonce[3] ^= 1; }; }},
        ReqDhTamper{"InnerServerNonce",
                    [](HandshakeClient& c) {
                      c.hooks.inner = [](PQInnerData& d) { d.server_nonce[3] ^= 1; };
                    }},
        ReqDhTamper{
            "InnerPq",
            [](HandshakeClient& c) { c.hooks.inner = [](PQInnerData& d) { d.pq.back() ^= 1; }; }},
        ReqDhTamper{"InnerPqSwapped",
                    [](HandshakeClient& c) {
                      c.hooks.inner = [](PQInnerData& d) { std::swap(d.p, d.q); };
                    }},
        ReqDhTamper{"InnerWrongConstructor",
                    [](HandshakeClient& c) {
                      c.hooks.inner = [](PQInnerData& d) { d.constructor = 0x12345678; };
                    }}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Handshake, BadSha1InSetClientDhParams) {
  HandshakeServer server(testing::make_context(), "ip");
  HandshakeClient client(client_options());
  client.hooks.set_plain = [](Bytes& plain) { plain[3] ^= 1; };
  Flow flow{server, client};
  expect_error(flow.run(), kTransportErrorBadQuery);
  EXPECT_TRUE(server.dead());
}

TEST(Handshake, TamperedSetClientDhParamsData) {
  HandshakeServer server(testing::make_context(), "ip");
  HandshakeClient client(client_options());
  client.hooks.set_plain = [](Bytes& plain) { plain[40] ^= 1; };  // inside client_DH_inner_data
  Flow flow{server, client};
  expect_error(flow.run(), kTransportErrorBadQuery);
}

TEST(Handshake, GbOutOfRange) {
  const Bytes& p = DhGroup::telegram_default().prime;
  Bytes p_minus_1 = p;
  p_minus_1.back() -= 1;
  Bytes small(256, 0);
  small[200] = 1;  // 2^(8*55) < 2^(2048-64)
  Bytes near_top = p;
  near_top[250] -= 1;  // p - 2^40: above p - 2^(2048-64)
  for (const Bytes& bad : {Bytes{1}, Bytes{0}, p_minus_1, p, small, near_top, Bytes(257, 0xff)}) {
    HandshakeServer server(testing::make_context(), "ip");
    HandshakeClient client(client_options());
    client.hooks.g_b = [&](Bytes& g_b) { g_b = bad; };
    Flow flow{server, client};
    expect_error(flow.run(), kTransportErrorBadQuery);
  }
}

// A store whose first `collisions` inserts report "already present".
class CollidingStore final : public AuthKeyStore {
 public:
  CollidingStore(int collisions, bool io_error = false)
      : collisions_(collisions), io_error_(io_error) {}
  std::shared_ptr<const StoredAuthKey> find(uint64_t id) const override { return inner_->find(id); }
  Result<bool> insert(const StoredAuthKey& key) override {
    if (io_error_) return Status::error("disk full");
    if (collisions_-- > 0) return false;
    return inner_->insert(key);
  }
  Status put(const StoredAuthKey& key) override { return inner_->put(key); }
  Result<bool> erase(uint64_t id) override { return inner_->erase(id); }
  Status bind_temp(uint64_t t, uint64_t p, int64_t e) override {
    return inner_->bind_temp(t, p, e);
  }
  size_t erase_expired(int64_t now) override { return inner_->erase_expired(now); }
  size_t size() const override { return inner_->size(); }

 private:
  std::atomic<int> collisions_;
  bool io_error_;
  std::shared_ptr<MemoryAuthKeyStore> inner_ = testing::memory_store();
};

TEST(Handshake, RetryOnAuthKeyIdCollision) {
  auto store = std::make_shared<CollidingStore>(2);
  HandshakeServer server(testing::make_context({}, store), "ip");
  HandshakeClient client(client_options());
  Flow flow{server, client};
  auto out = flow.run();
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(out.kind, Kind::kReply) << out.reason;
    EXPECT_EQ(load_le32(out.reply.data()), kDhGenRetry);
    EXPECT_FALSE(out.completed.has_value());
    auto gen = client.on_dh_gen(out.reply);  // checks new_nonce_hash2
    ASSERT_TRUE(gen.is_ok()) << gen.message();
    ASSERT_EQ(gen->kind, HandshakeClient::GenResult::Kind::kRetry);
    out = send(server, gen->next);
  }
  expect_completed(out, client, *store);
}

TEST(Handshake, TooManyRetriesGiveDhGenFail) {
  HandshakeConfig cfg;
  cfg.max_retries = 1;
  auto store = std::make_shared<CollidingStore>(100);
  HandshakeServer server(testing::make_context(cfg, store), "ip");
  HandshakeClient client(client_options());
  Flow flow{server, client};
  auto out = flow.run();
  auto gen = client.on_dh_gen(out.reply);
  ASSERT_TRUE(gen.is_ok());
  ASSERT_EQ(gen->kind, HandshakeClient::GenResult::Kind::kRetry);
  out = send(server, gen->next);
  ASSERT_EQ(out.kind, Kind::kReply);
  gen = client.on_dh_gen(out.reply);  // checks new_nonce_hash3
  ASSERT_TRUE(gen.is_ok()) << gen.message();
  EXPECT_EQ(gen->kind, HandshakeClient::GenResult::Kind::kFail);
  EXPECT_FALSE(server.dead());  // not a protocol error: the client may start over
}

TEST(Handshake, StoreFailureGivesDhGenFailNever404) {
  auto store = std::make_shared<CollidingStore>(0, /*io_error=*/true);
  HandshakeServer server(testing::make_context({}, store), "ip");
  HandshakeClient client(client_options());
  Flow flow{server, client};
  auto out = flow.run();
  ASSERT_EQ(out.kind, Kind::kReply);
  EXPECT_EQ(load_le32(out.reply.data()), kDhGenFail);
  auto gen = client.on_dh_gen(out.reply);
  ASSERT_TRUE(gen.is_ok()) << gen.message();
  EXPECT_EQ(gen->kind, HandshakeClient::GenResult::Kind::kFail);
}

TEST(Handshake, WrongRetryIdIs404) {
  HandshakeServer server(testing::make_context(), "ip");
  HandshakeClient client(client_options());
  client.hooks.set_plain = [](Bytes& plain) {
    // retry_id sits at SHA1(20) + ctor(4) + nonces(32); recompute the SHA1 so only it is wrong.
    plain[20 + 36] = 1;
    ByteView data(plain.data() + 20, 4 + 32 + 8 + 4 + 256);
    crypto::Sha1Digest h = crypto::sha1(data);
    std::copy(h.begin(), h.end(), plain.begin());
  };
  Flow flow{server, client};
  expect_error(flow.run(), kTransportErrorBadQuery);
}

TEST(Handshake, IdenticalRepeatsGetIdenticalReplies) {
  auto store = testing::memory_store();
  auto ctx = testing::make_context({}, store);
  HandshakeServer server(ctx, "ip");
  HandshakeClient client(client_options());
  Bytes req_pq = client.req_pq();
  auto a = send(server, req_pq);
  auto b = send(server, req_pq);
  ASSERT_EQ(a.kind, Kind::kReply);
  EXPECT_EQ(a.reply, b.reply);
  auto req_dh = client.on_res_pq(a.reply);
  ASSERT_TRUE(req_dh.is_ok());
  auto c = send(server, *req_dh);
  auto d = send(server, *req_dh);
  ASSERT_EQ(c.kind, Kind::kReply);
  EXPECT_EQ(c.reply, d.reply);
  // The same request on another connection (client reconnected) gets the same reply too.
  HandshakeServer other(ctx, "ip");
  auto e = send(other, *req_dh);
  ASSERT_EQ(e.kind, Kind::kReply) << e.reason;
  EXPECT_EQ(c.reply, e.reply);
  auto set = client.on_server_dh_params(c.reply);
  ASSERT_TRUE(set.is_ok());
  auto f = send(server, *set);
  expect_completed(f, client, *store);
  auto g = send(server, *set);
  ASSERT_EQ(g.kind, Kind::kReply);
  EXPECT_EQ(f.reply, g.reply);
  EXPECT_FALSE(g.completed.has_value());  // the key is reported once
  EXPECT_EQ(store->size(), 1u);
  // A different req_DH_params for the same exchange is an error.
  Bytes changed = *req_dh;
  changed.back() ^= 1;
  expect_error(send(server, changed), kTransportErrorBadQuery);
}

TEST(Handshake, UsingTheKeyFreesItsExchange) {
  auto store = testing::memory_store();
  auto ctx = testing::make_context({}, store);
  HandshakeServer server(ctx, "ip");
  HandshakeClient client(client_options());
  Flow flow{server, client};
  expect_completed(flow.run(), client, *store);
  EXPECT_EQ(ctx->exchanges(kNow), 1u);  // keeps dh_gen_ok for a repeat
  const uint64_t key_id = client.auth_key().id();
  EXPECT_FALSE(server.key_used(key_id ^ 1));  // another key: nothing is freed
  EXPECT_EQ(ctx->exchanges(kNow), 1u);
  EXPECT_TRUE(server.key_used(key_id));  // the client has its key: nothing left to repeat
  EXPECT_EQ(ctx->exchanges(kNow), 0u);
  EXPECT_EQ(store->size(), 1u);
}

TEST(Handshake, GarbageAfterEachStep) {
  const Bytes garbage = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  for (int step = 0; step < 4; ++step) {
    auto ctx = testing::make_context();
    HandshakeServer server(ctx, "ip");
    HandshakeClient client(client_options());
    Bytes next = client.req_pq();
    for (int i = 0; i < step; ++i) {
      auto out = send(server, next);
      ASSERT_EQ(out.kind, Kind::kReply) << out.reason;
      if (i == 0) next = client.on_res_pq(out.reply).value();
      if (i == 1) next = client.on_server_dh_params(out.reply).value();
      if (i == 2) {
        EXPECT_TRUE(out.completed.has_value());
      }
    }
    expect_error(send(server, garbage), kTransportErrorBadQuery);
    // A truncated copy of the next valid message is -404 as well (already dead here).
    expect_error(send(server, ByteView(next).first(next.size() / 2)), kTransportErrorBadQuery);
    if (step < 3) expect_error(send(server, next), kTransportErrorBadQuery);
  }
  // Truncated requests on a fresh connection.
  auto ctx = testing::make_context();
  HandshakeClient client(client_options());
  Bytes req_pq = client.req_pq();
  for (size_t n = 4; n < req_pq.size(); ++n) {
    HandshakeServer server(ctx, "ip");
    expect_error(send(server, ByteView(req_pq).first(n)), kTransportErrorBadQuery);
  }
  HandshakeServer server(ctx, "ip");
  expect_error(server.handle_payload(Bytes(10, 0), kNow), kTransportErrorBadQuery);
}

TEST(Handshake, TimeoutKillsTheExchange) {
  HandshakeConfig cfg;
  cfg.timeout_ms = 5'000;
  auto ctx = testing::make_context(cfg);
  {
    HandshakeServer server(ctx, "ip");
    HandshakeClient client(client_options());
    auto res = send(server, client.req_pq());
    auto req_dh = client.on_res_pq(res.reply);
    expect_error(send(server, *req_dh, kNow + 5'001), kTransportErrorBadQuery);
  }
  {
    HandshakeServer server(ctx, "ip");
    HandshakeClient client(client_options());
    auto res = send(server, client.req_pq());
    auto dh = send(server, client.on_res_pq(res.reply).value(), kNow + 1'000);
    auto set = client.on_server_dh_params(dh.reply);
    expect_error(send(server, *set, kNow + 5'000), kTransportErrorBadQuery);
  }
  EXPECT_EQ(ctx->exchanges(kNow + 10'000), 0u);  // swept
}

TEST(Handshake, PerConnectionCap) {
  HandshakeConfig cfg;
  cfg.max_in_flight_per_connection = 2;
  auto ctx = testing::make_context(cfg);
  HandshakeServer server(ctx, "ip");
  HandshakeClient c1(client_options()), c2(client_options()), c3(client_options());
  EXPECT_EQ(send(server, c1.req_pq()).kind, Kind::kReply);
  EXPECT_EQ(send(server, c2.req_pq()).kind, Kind::kReply);
  EXPECT_EQ(server.in_flight(kNow), 2u);
  expect_error(send(server, c3.req_pq()), kTransportErrorFlood);
  EXPECT_TRUE(server.dead());
  // Timed-out exchanges do not count.
  HandshakeServer later(ctx, "ip");
  EXPECT_EQ(send(later, c1.req_pq(), kNow).kind, Kind::kReply);
  EXPECT_EQ(send(later, c2.req_pq(), kNow).kind, Kind::kReply);
  EXPECT_EQ(later.in_flight(kNow + cfg.timeout_ms), 0u);
  EXPECT_EQ(send(later, c3.req_pq(), kNow + cfg.timeout_ms).kind, Kind::kReply);
}

// Sends req_pq and returns the req_DH_params the client answers it with.
Bytes start_exchange(HandshakeServer& server, HandshakeClient& client, int64_t now = kNow) {
  auto res = send(server, client.req_pq(), now);
  EXPECT_EQ(res.kind, Kind::kReply) << res.reason;
  auto req_dh = client.on_res_pq(res.reply);
  EXPECT_TRUE(req_dh.is_ok()) << req_dh.message();
  return req_dh.is_ok() ? req_dh.value() : Bytes();
}

// The caps count exchanges from req_DH_params (where the RSA and modexp cost is) to their end.
TEST(Handshake, PerSourceAndGlobalCaps) {
  auto limiter = HandshakeLimiter::create({.max_per_source = 1, .max_global = 2});
  auto store = testing::memory_store();
  auto ctx = testing::make_context({}, store, limiter);
  HandshakeServer a(ctx, "1.1.1.1"), b(ctx, "1.1.1.1"), c(ctx, "2.2.2.2"), d(ctx, "3.3.3.3");
  HandshakeClient ca(client_options()), cb(client_options()), cc(client_options()),
      cd(client_options());
  Bytes req_a = start_exchange(a, ca), req_b = start_exchange(b, cb), req_c = start_exchange(c, cc),
        req_d = start_exchange(d, cd);
  EXPECT_EQ(limiter->in_flight(), 0u);  // req_pq takes no permit
  auto dh = send(a, req_a);
  ASSERT_EQ(dh.kind, Kind::kReply) << dh.reason;
  EXPECT_EQ(limiter->in_flight("1.1.1.1"), 1u);
  expect_error(send(b, req_b), kTransportErrorFlood);  // per source
  EXPECT_EQ(send(c, req_c).kind, Kind::kReply);
  expect_error(send(d, req_d), kTransportErrorFlood);  // global
  // Finishing a's handshake frees its slot.
  auto out = send(a, ca.on_server_dh_params(dh.reply).value());
  expect_completed(out, ca, *store);
  EXPECT_EQ(limiter->in_flight("1.1.1.1"), 0u);
  EXPECT_EQ(limiter->in_flight(), 1u);
  HandshakeServer e(ctx, "1.1.1.1");
  HandshakeClient ce(client_options());
  EXPECT_EQ(send(e, start_exchange(e, ce)).kind, Kind::kReply);
}

// A bare req_pq holds no slot: strangers cannot lock others out with 20-byte queries.
TEST(Handshake, ReqPqAloneTakesNoPermit) {
  auto limiter = HandshakeLimiter::create({.max_per_source = 1, .max_global = 1});
  auto ctx = testing::make_context({}, nullptr, limiter);
  std::vector<std::unique_ptr<HandshakeServer>> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(std::make_unique<HandshakeServer>(ctx, "10.0.0." + std::to_string(i)));
    HandshakeClient c(client_options());
    EXPECT_EQ(send(*idle.back(), c.req_pq()).kind, Kind::kReply);
  }
  HandshakeServer fresh(ctx, "192.0.2.1");
  HandshakeClient client(client_options());
  Flow flow{fresh, client};
  expect_completed(flow.run(), client, ctx->store());
}

// Closing the connection (destroying its HandshakeServer) gives its permits back at once.
TEST(Handshake, PermitsEndWithTheConnection) {
  auto limiter = HandshakeLimiter::create({.max_per_source = 1, .max_global = 8});
  auto ctx = testing::make_context({}, nullptr, limiter);
  {
    HandshakeServer a(ctx, "1.1.1.1");
    HandshakeClient ca(client_options());
    ASSERT_EQ(send(a, start_exchange(a, ca)).kind, Kind::kReply);
    EXPECT_EQ(limiter->in_flight("1.1.1.1"), 1u);
  }
  EXPECT_EQ(limiter->in_flight(), 0u);
  EXPECT_EQ(ctx->exchanges(kNow), 0u);  // and its exchange is gone
  HandshakeServer b(ctx, "1.1.1.1");
  HandshakeClient cb(client_options());
  EXPECT_EQ(send(b, start_exchange(b, cb)).kind, Kind::kReply);
}

// HTTP: the next step may come over another connection; the exchange outlives the first one
// (its permit does not).
TEST(Handshake, HttpExchangesOutliveTheirConnection) {
  auto limiter = HandshakeLimiter::create({});
  auto store = testing::memory_store();
  auto ctx = testing::make_context({}, store, limiter);
  HandshakeClient client(client_options());
  HandshakeOutput dh;
  {
    HandshakeServer first(ctx, "1.1.1.1", /*exchanges_outlive_connection=*/true);
    dh = send(first, start_exchange(first, client));
    ASSERT_EQ(dh.kind, Kind::kReply);
  }
  EXPECT_EQ(limiter->in_flight(), 0u);
  HandshakeServer second(ctx, "1.1.1.1", true);
  expect_completed(send(second, client.on_server_dh_params(dh.reply).value()), client, *store);
}

// A token bucket per source: burst 2, then one per second; other sources are not affected.
TEST(Handshake, RatePerSource) {
  auto limiter = HandshakeLimiter::create({.max_per_source = 100,
                                           .max_global = 100,
                                           .per_second_per_source = 1,
                                           .burst_per_source = 2});
  auto ctx = testing::make_context({}, nullptr, limiter);
  auto attempt = [&](const std::string& source, int64_t now) {
    HandshakeServer server(ctx, source);
    HandshakeClient client(client_options());
    return send(server, start_exchange(server, client, now), now);
  };
  EXPECT_EQ(attempt("1.1.1.1", kNow).kind, Kind::kReply);
  EXPECT_EQ(attempt("1.1.1.1", kNow).kind, Kind::kReply);
  HandshakeOutput third = attempt("1.1.1.1", kNow + 500);
  expect_error(third, kTransportErrorFlood);
  EXPECT_TRUE(third.rate_limited);
  EXPECT_EQ(attempt("2001:db8::/64", kNow + 500).kind, Kind::kReply);
  EXPECT_EQ(attempt("1.1.1.1", kNow + 1'000).kind, Kind::kReply);
  expect_error(attempt("1.1.1.1", kNow + 1'100), kTransportErrorFlood);
  // Sources whose bucket is full again and that have nothing in flight are forgotten.
  EXPECT_EQ(limiter->sources(), 2u);
  ctx->sweep(kNow + 10'000);
  EXPECT_EQ(limiter->sources(), 0u);
}

// An exempt source ("": loopback behind a local balancer) has no per-source limits; the
// process-wide cap still holds.
TEST(Handshake, ExemptSourceHasOnlyTheGlobalCap) {
  auto limiter = HandshakeLimiter::create(
      {.max_per_source = 1, .max_global = 3, .per_second_per_source = 1, .burst_per_source = 1});
  std::vector<HandshakeLimiter::Permit> permits;
  for (int i = 0; i < 3; ++i) {
    permits.push_back(limiter->try_acquire("", kNow));
    EXPECT_TRUE(permits.back()) << i;
  }
  HandshakeLimiter::Refusal why = HandshakeLimiter::Refusal::kNone;
  EXPECT_FALSE(limiter->try_acquire("", kNow, &why));
  EXPECT_EQ(why, HandshakeLimiter::Refusal::kGlobalInFlight);
  EXPECT_EQ(limiter->sources(), 0u);
  permits.clear();
  EXPECT_EQ(limiter->in_flight(), 0u);
}

// An observer who saw the nonce in clear sends req_DH_params / set_client_DH_params with a wrong
// server_nonce, or from another source: only the sender fails; the victim's exchange goes on.
TEST(Handshake, ForeignQueriesFailOnlyTheirSender) {
  auto store = testing::memory_store();
  auto ctx = testing::make_context({}, store);
  HandshakeServer victim(ctx, "1.1.1.1");
  HandshakeClient client(client_options());
  Bytes req_dh = start_exchange(victim, client);

  HandshakeServer attacker(ctx, "6.6.6.6");
  Bytes forged = req_dh;
  forged[4 + 16] ^= 1;  // server_nonce follows ctor and nonce
  expect_error(send(attacker, forged), kTransportErrorBadQuery);
  HandshakeServer same_source(ctx, "1.1.1.1");
  expect_error(send(same_source, forged), kTransportErrorBadQuery);
  // With the right server_nonce, but from another source.
  HandshakeServer other_source(ctx, "6.6.6.6");
  expect_error(send(other_source, req_dh), kTransportErrorBadQuery);

  auto dh = send(victim, req_dh);
  ASSERT_EQ(dh.kind, Kind::kReply) << dh.reason;
  Bytes set = client.on_server_dh_params(dh.reply).value();
  Bytes forged_set = set;
  forged_set[4 + 16] ^= 1;
  HandshakeServer attacker2(ctx, "6.6.6.6");
  expect_error(send(attacker2, forged_set), kTransportErrorBadQuery);
  expect_completed(send(victim, set), client, *store);
}

TEST(Handshake, LegacyRsaCanBeRefused) {
  HandshakeConfig cfg;
  cfg.allow_legacy_rsa = false;
  auto ctx = testing::make_context(cfg);
  {
    HandshakeServer server(ctx, "ip");
    HandshakeClient legacy(client_options(RsaEncoding::kLegacySha1, kPQInnerData));
    Flow flow{server, legacy};
    expect_error(flow.run(), kTransportErrorBadQuery);
  }
  HandshakeServer server(ctx, "ip");
  HandshakeClient current(client_options());
  Flow flow{server, current};
  expect_completed(flow.run(), current, ctx->store());
}

TEST(Handshake, ExchangeTableCap) {
  HandshakeConfig cfg;
  cfg.max_exchanges = 1;
  auto ctx = testing::make_context(cfg);
  HandshakeServer a(ctx, "ip"), b(ctx, "ip");
  HandshakeClient ca(client_options()), cb(client_options());
  EXPECT_EQ(send(a, ca.req_pq()).kind, Kind::kReply);
  expect_error(send(b, cb.req_pq()), kTransportErrorFlood);
}

TEST(Handshake, TempKeysRefusedGiveServerDhParamsFail) {
  HandshakeConfig cfg;
  cfg.allow_temp_keys = false;
  HandshakeServer server(testing::make_context(cfg), "ip");
  HandshakeClient client(client_options(RsaEncoding::kRsaPad, kPQInnerDataTempDc));
  Flow flow{server, client};
  auto out = flow.run();
  ASSERT_EQ(out.kind, Kind::kReply);
  TlReader r(out.reply);
  EXPECT_TRUE(r.expect(kServerDhParamsFail));
  EXPECT_EQ(r.read_int128(), client.nonce());
  EXPECT_EQ(r.read_int128(), client.server_nonce());
  EXPECT_EQ(r.read_int128(), new_nonce_hash_fail(client.new_nonce()));
  EXPECT_FALSE(server.dead());
}

TEST(Handshake, TempExpiresInIsClamped) {
  HandshakeConfig cfg;
  cfg.max_temp_expires_in = 100;
  auto store = testing::memory_store();
  HandshakeServer server(testing::make_context(cfg, store), "ip");
  auto o = client_options(RsaEncoding::kRsaPad, kPQInnerDataTempDc);
  o.expires_in = 1'000'000;
  HandshakeClient client(o);
  Flow flow{server, client};
  auto out = flow.run();
  expect_completed(out, client, *store);
  EXPECT_EQ(out.completed->expires_in, 100);
}

TEST(Handshake, NonHandshakeQueriesAre404) {
  HandshakeServer server(testing::make_context(), "ip");
  Bytes ping = {0xec, 0x77, 0xbe, 0x7a, 1, 0, 0, 0, 0, 0, 0, 0};
  expect_error(send(server, ping), kTransportErrorBadQuery);
  HandshakeServer server2(testing::make_context(), "ip");
  HandshakeClient client(client_options());
  client.req_pq();
  // set_client_DH_params for an exchange that never started.
  Bytes body;
  TlWriter w(body);
  w.write_uint32(kSetClientDhParams);
  w.write_int128(client.nonce());
  w.write_int128(client.nonce());
  w.write_bytes(Bytes(336, 0));
  expect_error(send(server2, body), kTransportErrorBadQuery);
}

TEST(Handshake, ContextValidation) {
  auto store = testing::memory_store();
  EXPECT_FALSE(HandshakeContext::create({}, {}, store).is_ok());
  EXPECT_FALSE(HandshakeContext::create({}, {testing::test_key()}, nullptr).is_ok());
  EXPECT_FALSE(
      HandshakeContext::create({}, {testing::test_key(), testing::test_key()}, store).is_ok());
  HandshakeConfig bad_dc;
  bad_dc.dc_id = 10001;
  EXPECT_FALSE(HandshakeContext::create(bad_dc, {testing::test_key()}, store).is_ok());
  DhGroup bad_group = DhGroup::telegram_default();
  bad_group.g = 2;
  EXPECT_FALSE(
      HandshakeContext::create({}, {testing::test_key()}, store, nullptr, bad_group).is_ok());
}

TEST(Handshake, SeveralKeysOffered) {
  auto second = crypto::RsaPrivateKey::generate();
  ASSERT_TRUE(second.is_ok());
  auto store = testing::memory_store();
  auto ctx = HandshakeContext::create({}, {testing::test_key(), *second}, store);
  ASSERT_TRUE(ctx.is_ok());
  HandshakeServer server(ctx.value(), "ip");
  HandshakeClientOptions o = client_options();
  o.server_key = second->public_key();
  HandshakeClient client(o);
  Flow flow{server, client};
  expect_completed(flow.run(), client, *store);
}

}  // namespace
}  // namespace mtedge::mtproto
