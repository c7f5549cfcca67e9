#include "codecs/obfuscated/fake_tls.h"

#include <gtest/gtest.h>

#include "codecs/obfuscated/obfuscated2.h"
#include "tests/support/hex.h"
#include "tests/support/keys.h"
#include "tests/support/split_feed.h"
#include "tests/support/vectors.h"

namespace mtedge::codecs::obfuscated {
namespace {

constexpr uint32_t kNow = 1700000000;  // the vectors' hello time

Secret ee_secret(std::string label = "tls") {
  Secret s;
  s.label = std::move(label);
  s.kind = SecretKind::kEe;
  s.key = mtedge::test::kObfuscatedTestKey;
  s.domain = "example.com";
  return s;
}

Secret other_ee() {
  Secret s = ee_secret("other");
  s.key.fill(0x77);
  return s;
}

CodecError verify(ByteView record, std::span<const Secret> secrets, int64_t now,
                  ReplayCache* cache = nullptr, VerifiedHello* out = nullptr) {
  VerifiedHello v;
  CodecError e = verify_client_hello(record, secrets, {}, now, cache, v);
  if (out) *out = v;
  return e;
}

TEST(ClientHello, BuiltHelloVerifies) {
  std::vector<Secret> secrets = {other_ee(), ee_secret()};
  std::array<uint8_t, 32> random;
  Bytes hello = build_client_hello(secrets[1].key, kNow, {.sni = "example.com"}, random);
  EXPECT_EQ(hello.size(), 517u);
  VerifiedHello v;
  ASSERT_EQ(verify(hello, secrets, kNow, nullptr, &v), CodecError::kNone);
  EXPECT_EQ(v.secret_index, 1);
  EXPECT_EQ(v.timestamp, kNow);
  EXPECT_EQ(v.info.sni, "example.com");
  EXPECT_EQ(v.info.cipher_suite, 0x1301);
  EXPECT_EQ(v.info.session_id_size, 32u);
  EXPECT_EQ(v.info.random, random);
}

TEST(ClientHello, IndependentVectorsVerify) {
  std::vector<Secret> secrets = {ee_secret()};
  Bytes shorter = mtedge::test::read_vector("fake_tls_client_hello_short.bin");
  Bytes modern = mtedge::test::read_vector("fake_tls_client_hello_modern.bin");
  ASSERT_EQ(shorter.size(), 517u);
  ASSERT_GT(modern.size(), 1700u);
  VerifiedHello v;
  ASSERT_EQ(verify(shorter, secrets, kNow, nullptr, &v), CodecError::kNone);
  EXPECT_EQ(v.info.sni, "example.com");
  ASSERT_EQ(verify(modern, secrets, kNow + 5, nullptr, &v), CodecError::kNone);
  EXPECT_EQ(v.info.sni, "");  // no SNI, GREASE, ECH, ML-KEM share, shuffled
  EXPECT_EQ(v.info.cipher_suite, 0x1301);
}

TEST(ClientHello, ModernShuffledNoSniAccepted) {
  std::vector<Secret> secrets = {ee_secret()};
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::array<uint8_t, 32> random;
    Bytes hello =
        build_client_hello(secrets[0].key, kNow,
                           {.sni = "", .modern = true, .shuffle_seed = seed, .pad_to = 0}, random);
    EXPECT_GT(hello.size(), 1700u);
    VerifiedHello v;
    ASSERT_EQ(verify(hello, secrets, kNow, nullptr, &v), CodecError::kNone) << seed;
    EXPECT_TRUE(v.info.sni.empty());
  }
}

TEST(ClientHello, FlippedBitAnywhereRejected) {
  std::vector<Secret> secrets = {ee_secret()};
  Bytes hello = mtedge::test::read_vector("fake_tls_client_hello_short.bin");
  for (size_t i = 0; i < hello.size(); ++i) {
    for (uint8_t bit : {uint8_t(0x01), uint8_t(0x80)}) {
      Bytes copy = hello;
      copy[i] ^= bit;
      // random[28..32) carries only the XORed timestamp: a flip there moves the time, which
      // the window catches for the high bits and cannot catch for the lowest ones.
      if (i >= 39 && i < 43 && !(i >= 41 && bit == 0x80)) continue;
      EXPECT_NE(verify(copy, secrets, kNow), CodecError::kNone) << "byte " << i;
    }
  }
}

TEST(ClientHello, UnknownSecretIsBadDigest) {
  std::vector<Secret> secrets = {other_ee()};
  Bytes hello = mtedge::test::read_vector("fake_tls_client_hello_short.bin");
  EXPECT_EQ(verify(hello, secrets, kNow), CodecError::kTlsBadDigest);
  // The same key as a plain or dd secret is not tried for fake-TLS.
  Secret dd = ee_secret();
  dd.kind = SecretKind::kDd;
  EXPECT_EQ(verify(hello, std::span(&dd, 1), kNow), CodecError::kTlsBadDigest);
}

TEST(ClientHello, TimestampWindow) {
  std::vector<Secret> secrets = {ee_secret()};
  Bytes hello = mtedge::test::read_vector("fake_tls_client_hello_short.bin");
  HelloCheckOptions defaults;
  EXPECT_EQ(verify(hello, secrets, kNow + defaults.max_past_seconds), CodecError::kNone);
  EXPECT_EQ(verify(hello, secrets, kNow + defaults.max_past_seconds + 1),
            CodecError::kTlsBadTimestamp);
  EXPECT_EQ(verify(hello, secrets, kNow - defaults.max_future_seconds), CodecError::kNone);
  EXPECT_EQ(verify(hello, secrets, kNow - defaults.max_future_seconds - 1),
            CodecError::kTlsBadTimestamp);
  EXPECT_EQ(verify(hello, secrets, 0), CodecError::kTlsBadTimestamp);
}

TEST(ClientHello, ReplayRejected) {
  std::vector<Secret> secrets = {ee_secret()};
  ReplayCache cache({.window_seconds = 900, .max_entries = 1000, .shards = 2});
  Bytes hello = mtedge::test::read_vector("fake_tls_client_hello_short.bin");
  EXPECT_EQ(verify(hello, secrets, kNow, &cache), CodecError::kNone);
  EXPECT_EQ(verify(hello, secrets, kNow + 1, &cache), CodecError::kTlsReplay);
  // A bad-digest hello is not remembered.
  Bytes other = mtedge::test::read_vector("fake_tls_client_hello_modern.bin");
  std::vector<Secret> wrong = {other_ee()};
  EXPECT_EQ(verify(other, wrong, kNow, &cache), CodecError::kTlsBadDigest);
  EXPECT_EQ(verify(other, secrets, kNow, &cache), CodecError::kNone);
}

TEST(ClientHello, MalformedRejectedWithoutOverRead) {
  Bytes hello = mtedge::test::read_vector("fake_tls_client_hello_short.bin");
  ClientHelloInfo info;
  ASSERT_EQ(parse_client_hello(hello, info), CodecError::kNone);
  // Every truncation, with the record and handshake lengths fixed up to match.
  for (size_t cut = 5; cut < hello.size(); ++cut) {
    Bytes t(hello.begin(), hello.begin() + long(cut));
    store_be16(t.data() + 3, uint16_t(cut - 5));
    if (cut >= 9) {
      size_t body = cut - 9;
      t[6] = uint8_t(body >> 16);
      store_be16(t.data() + 7, uint16_t(body));
    }
    EXPECT_EQ(parse_client_hello(t, info), CodecError::kTlsBadHello) << cut;
  }
  Bytes sid = hello;
  sid[43] = 33;
  EXPECT_EQ(parse_client_hello(sid, info), CodecError::kTlsBadHello);
  Bytes type = hello;
  type[5] = 0x02;
  EXPECT_EQ(parse_client_hello(type, info), CodecError::kTlsBadHello);
  Bytes trailing = hello;
  trailing.push_back(0);
  EXPECT_EQ(parse_client_hello(trailing, info), CodecError::kTlsBadHello);
}

TEST(ServerHello, LayoutAndHmac) {
  Secret s = ee_secret();
  std::array<uint8_t, 32> random;
  Bytes hello = build_client_hello(s.key, kNow, {.sni = "example.com"}, random);
  ClientHelloInfo info;
  ASSERT_EQ(parse_client_hello(hello, info), CodecError::kNone);
  Bytes reply = build_server_hello(s.key, info, 2000);
  ASSERT_EQ(reply.size(), 127u + 6 + 5 + 2000);
  EXPECT_EQ(mtedge::test::to_hex(ByteView(reply).first(11)), "160303007a020000760303");
  EXPECT_EQ(reply[43], 0x20);
  EXPECT_EQ(Bytes(reply.begin() + 44, reply.begin() + 76),
            Bytes(hello.begin() + 44, hello.begin() + 76));
  EXPECT_EQ(mtedge::test::to_hex(ByteView(reply).subspan(76, 13)), "130100002e00330024001d0020");
  EXPECT_EQ(mtedge::test::to_hex(ByteView(reply).subspan(121, 6)), "002b00020304");
  EXPECT_EQ(mtedge::test::to_hex(ByteView(reply).subspan(127, 11)), "14030300010117030307d0");

  size_t size = 0;
  EXPECT_EQ(check_server_hello(s.key, random, reply, size), CodecError::kNone);
  EXPECT_EQ(size, reply.size());
  // Every prefix: need more, never an error.
  for (size_t cut = 0; cut < reply.size(); cut += 7) {
    EXPECT_EQ(check_server_hello(s.key, random, ByteView(reply).first(cut), size),
              CodecError::kNone);
    EXPECT_EQ(size, 0u);
  }
  Bytes bad = reply;
  bad.back() ^= 1;
  EXPECT_EQ(check_server_hello(s.key, random, bad, size), CodecError::kTlsBadDigest);
  std::array<uint8_t, 32> other_random = random;
  other_random[0] ^= 1;
  EXPECT_EQ(check_server_hello(s.key, other_random, reply, size), CodecError::kTlsBadDigest);
}

TEST(ServerHello, IndependentVectorChecks) {
  Bytes hello = mtedge::test::read_vector("fake_tls_client_hello_short.bin");
  Bytes reply = mtedge::test::read_vector("fake_tls_server_hello.bin");
  std::array<uint8_t, 32> random;
  std::copy(hello.begin() + 11, hello.begin() + 43, random.begin());
  size_t size = 0;
  EXPECT_EQ(check_server_hello(mtedge::test::kObfuscatedTestKey, random, reply, size),
            CodecError::kNone);
  EXPECT_EQ(size, reply.size());
}

TEST(FakeTlsAcceptorTest, FailsFastOnNonHandshakeBytes) {
  std::vector<Secret> secrets = {ee_secret()};
  FakeTlsAcceptor a(secrets, {}, nullptr);
  const uint8_t b[] = {0x17};
  EXPECT_EQ(a.feed(ByteView(b, 1), kNow), FakeTlsAcceptor::Step::kError);
  EXPECT_EQ(a.error(), CodecError::kTlsBadHello);
  EXPECT_EQ(a.received().size(), 1u);

  FakeTlsAcceptor big(secrets, {}, nullptr);
  const uint8_t h[] = {0x16, 0x03, 0x01, 0x40, 0x01};  // 16385 > cap
  EXPECT_EQ(big.feed(ByteView(h, 4), kNow), FakeTlsAcceptor::Step::kNeedMore);
  EXPECT_EQ(big.feed(ByteView(h + 4, 1), kNow), FakeTlsAcceptor::Step::kError);
  EXPECT_EQ(big.error(), CodecError::kTlsBadHello);
}

TEST(FakeTlsAcceptorTest, BadDigestKeepsBytesForFronting) {
  std::vector<Secret> secrets = {other_ee()};
  Bytes hello = mtedge::test::read_vector("fake_tls_client_hello_short.bin");
  FakeTlsAcceptor a(secrets, {}, nullptr);
  EXPECT_EQ(a.feed(hello, kNow), FakeTlsAcceptor::Step::kError);
  EXPECT_EQ(a.error(), CodecError::kTlsBadDigest);
  EXPECT_EQ(Bytes(a.received().begin(), a.received().end()), hello);
  EXPECT_EQ(a.sni(), "example.com");
}

// Client and server, whole handshake and the obfuscated2 stream inside records, in splits.
TEST(FakeTlsAcceptorTest, EndToEndInSplits) {
  std::vector<Secret> secrets = {other_ee(), ee_secret()};
  ReplayCache cache;
  for (const auto& parts : mtedge::test::every_split(517 + 200, 7)) {
    FakeTlsClient client(secrets[1]);
    Bytes wire = client.hello(kNow);
    Bytes early =
        mtedge::test::from_hex("0102030405");  // bytes a client sent early (kept as leftover)
    wire.insert(wire.end(), early.begin(), early.end());
    ASSERT_GE(wire.size(), 517u);
    FakeTlsOptions options;
    options.fake_record_min = 100;
    options.fake_record_max = 300;
    FakeTlsAcceptor server(secrets, options, &cache);
    size_t off = 0;
    FakeTlsAcceptor::Step step = FakeTlsAcceptor::Step::kNeedMore;
    for (size_t p : parts) {
      if (off >= wire.size() || step != FakeTlsAcceptor::Step::kNeedMore) break;
      p = std::min(p, wire.size() - off);
      step = server.feed(ByteView(wire.data() + off, p), kNow);
      off += p;
    }
    ASSERT_EQ(step, FakeTlsAcceptor::Step::kDone) << error_name(server.error());
    EXPECT_EQ(server.secret_index(), 1);
    // What the acceptor read past the hello, plus what was not fed yet, is the early data.
    Bytes left(server.leftover().begin(), server.leftover().end());
    left.insert(left.end(), wire.begin() + long(off), wire.end());
    EXPECT_EQ(left, early);
    const Bytes& reply = server.server_hello();
    EXPECT_GE(reply.size(), 138u + 100);
    EXPECT_LE(reply.size(), 138u + 300);

    // Client reads the reply byte by byte.
    FakeTlsClient::Step cs = FakeTlsClient::Step::kNeedMore;
    for (size_t i = 0; i < reply.size(); ++i) {
      ASSERT_EQ(cs, FakeTlsClient::Step::kNeedMore);
      cs = client.feed(ByteView(reply.data() + i, 1));
    }
    ASSERT_EQ(cs, FakeTlsClient::Step::kDone);
  }
}

TEST(FakeTlsAcceptorTest, ObfuscatedInitInsideRecords) {
  std::vector<Secret> secrets = {ee_secret()};
  ReplayCache cache;
  for (const auto& parts : mtedge::test::every_split(900, 11)) {
    FakeTlsClient client(secrets[0]);
    Bytes hello = client.hello(kNow);
    FakeTlsAcceptor server(secrets, {}, &cache);
    ASSERT_EQ(server.feed(hello, kNow), FakeTlsAcceptor::Step::kDone);
    ASSERT_EQ(client.feed(server.server_hello()), FakeTlsClient::Step::kDone);

    // Client: CCS + records carrying the init, then an obfuscated payload.
    auto client_records = client.take_record_stage();
    ClientInit ci = make_client_init(TransportKind::kPaddedIntermediate, -2, &secrets[0].key);
    Bytes payload(700);
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = uint8_t(i * 13 + 1);
    Bytes stream(ci.header.begin(), ci.header.end());
    size_t from = stream.size();
    append(stream, payload);
    ci.stage->outbound(stream, from);
    Bytes wire;
    // Written in two writes, so the init and the payload land in different records.
    append(wire, ByteView(stream).subspan(0, 100));
    client_records->outbound(wire, 0);
    size_t second = wire.size();
    append(wire, ByteView(stream).subspan(100));
    client_records->outbound(wire, second);
    ASSERT_EQ(wire.size(), stream.size() + 6 + 5 + 5);

    ObfuscatedAcceptor inner(std::span(&secrets[server.secret_index()], 1),
                             {.allow_no_secret = false, .include_ee = true}, nullptr);
    inner.set_record_stage(server.take_record_stage());
    std::vector<std::unique_ptr<StreamStage>> stages;
    Bytes got;
    size_t off = 0;
    for (size_t p : parts) {
      if (off >= wire.size()) break;
      p = std::min(p, wire.size() - off);
      MutableByteView chunk(wire.data() + off, p);
      off += p;
      if (stages.empty()) {
        auto step = inner.feed(chunk, kNow);
        ASSERT_NE(step, ObfuscatedAcceptor::Step::kError) << error_name(inner.error());
        if (step != ObfuscatedAcceptor::Step::kDone) continue;
        EXPECT_EQ(inner.init().transport, TransportKind::kPaddedIntermediate);
        EXPECT_EQ(inner.init().dc_id, -2);
        EXPECT_EQ(inner.init().secret_label, "tls");
        stages = inner.take_stages();  // innermost first
        ASSERT_EQ(stages.size(), 2u);
        chunk = inner.rest();
      }
      CodecError e = CodecError::kNone;
      MutableByteView bytes = chunk;
      for (auto it = stages.rbegin(); it != stages.rend(); ++it) bytes = (*it)->inbound(bytes, e);
      ASSERT_EQ(e, CodecError::kNone);
      got.insert(got.end(), bytes.begin(), bytes.end());
    }
    if (off < wire.size()) {
      MutableByteView bytes(wire.data() + off, wire.size() - off);
      CodecError e = CodecError::kNone;
      for (auto it = stages.rbegin(); it != stages.rend(); ++it) bytes = (*it)->inbound(bytes, e);
      got.insert(got.end(), bytes.begin(), bytes.end());
    }
    EXPECT_EQ(got, payload);
  }
}

}  // namespace
}  // namespace mtedge::codecs::obfuscated
