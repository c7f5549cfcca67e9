#include "codecs/obfuscated/obfuscated2.h"

#include <gtest/gtest.h>

#include <cstring>

#include "tests/support/hex.h"
#include "tests/support/keys.h"
#include "tests/support/split_feed.h"
#include "tests/support/vectors.h"

namespace mtedge::codecs::obfuscated {
namespace {

using mtedge::test::from_hex;
using mtedge::test::to_hex;

Secret make_secret(std::string label, SecretKind kind, uint8_t fill) {
  Secret s;
  s.label = std::move(label);
  s.kind = kind;
  s.key.fill(fill);
  if (kind == SecretKind::kEe) s.domain = "example.com";
  return s;
}

std::array<uint8_t, 64> s31_plain() {
  std::array<uint8_t, 64> p;
  for (size_t i = 0; i < 64; ++i) p[i] = uint8_t(i);
  return p;
}

// docs/spec/wire-notes.md §3.1.
TEST(ObfuscatedVector, KeyDerivationAndWireBytes) {
  auto key = mtedge::test::kObfuscatedTestKey;
  ClientInit ci = client_init_from(s31_plain(), TransportKind::kPaddedIntermediate, 2, &key);
  EXPECT_EQ(to_hex(ci.keys.client_to_server.key),
            "28ddb6447216c5f55106259f1c7ba64bfe69909197bc20253466cfa42715f29c");
  EXPECT_EQ(to_hex(ci.keys.client_to_server.iv), "28292a2b2c2d2e2f3031323334353637");
  EXPECT_EQ(to_hex(ci.keys.server_to_client.key),
            "c95a3c8c663a4e2daff3469561805825e7be010c4fcb691415b93145b640c9f3");
  EXPECT_EQ(to_hex(ci.keys.server_to_client.iv), "17161514131211100f0e0d0c0b0a0908");
  EXPECT_EQ(to_hex(ByteView(ci.header).subspan(56)), "8f3d40553f8b44b1");
  for (size_t i = 0; i < 56; ++i) EXPECT_EQ(ci.header[i], i);

  Bytes next = from_hex("2c000000");
  ci.stage->outbound(next, 0);
  EXPECT_EQ(to_hex(next), "b56c5102");

  Bytes golden = mtedge::test::read_vector("obfuscated_init_s31.bin");
  ASSERT_EQ(golden.size(), 68u);
  EXPECT_EQ(Bytes(golden.begin(), golden.begin() + 64), Bytes(ci.header.begin(), ci.header.end()));
}

TEST(ObfuscatedVector, ServerSideAcceptsVector) {
  Bytes golden = mtedge::test::read_vector("obfuscated_init_s31.bin");
  ASSERT_EQ(golden.size(), 68u);
  Secret s = make_secret("vec", SecretKind::kDd, 0);
  s.key = mtedge::test::kObfuscatedTestKey;
  ServerInit init = accept_init(ByteView(golden).first(64), std::span(&s, 1), {}, nullptr, 0);
  ASSERT_TRUE(init.ok()) << error_name(init.error);
  EXPECT_EQ(init.transport, TransportKind::kPaddedIntermediate);
  EXPECT_EQ(init.dc_id, 2);
  EXPECT_EQ(init.secret_label, "vec");
  EXPECT_EQ(init.secret_index, 0);
  MutableByteView rest(golden.data() + 64, 4);
  CodecError e = CodecError::kNone;
  MutableByteView plain = init.stage->inbound(rest, e);
  EXPECT_EQ(to_hex(plain), "2c000000");
  EXPECT_EQ(to_hex(init.keys.server_to_client.key),
            "c95a3c8c663a4e2daff3469561805825e7be010c4fcb691415b93145b640c9f3");
}

TEST(ObfuscatedVector, KeystreamProbeMatchesStream) {
  crypto::CtrParams p;
  for (size_t i = 0; i < 32; ++i) p.key[i] = uint8_t(i * 7);
  p.iv.fill(0xff);  // counter wraps over all 128 bits
  crypto::AesCtr ctr(p);
  uint8_t stream[96] = {};
  ctr.apply(stream, sizeof stream);
  for (uint64_t off = 0; off < 96; off += 4) {
    uint8_t probe[4];
    crypto::aes_ctr_keystream_at(p, off, probe, 4);
    EXPECT_EQ(0, std::memcmp(probe, stream + off, 4)) << off;
  }
}

// Inits written by Telethon 1.25.1's own client code (gen_obfuscated_telethon_vectors.py).
TEST(ObfuscatedVector, TelethonInitsAccepted) {
  Secret plain = make_secret("mtproxy", SecretKind::kPlain, 0);
  plain.key = mtedge::test::kObfuscatedTestKey;
  Secret dd = make_secret("dd", SecretKind::kDd, 0);
  dd.key = mtedge::test::kObfuscatedTestKey;
  struct Case {
    const char* file;
    std::vector<Secret> secrets;
    bool allow_no_secret;
    TransportKind kind;
    int16_t dc;  // 0: not checked (Telethon leaves it random without a proxy)
    std::string label;
  };
  const Case cases[] = {
      {"obfuscated_init_telethon_plain.bin", {}, true, TransportKind::kAbridged, 0, ""},
      {"obfuscated_init_telethon_mtproxy.bin",
       {plain},
       false,
       TransportKind::kIntermediate,
       -2,
       "mtproxy"},
      {"obfuscated_init_telethon_dd.bin",
       {plain, dd},
       false,
       TransportKind::kPaddedIntermediate,
       10004,
       "mtproxy"},
  };
  for (const Case& c : cases) {
    Bytes v = mtedge::test::read_vector(c.file);
    ASSERT_EQ(v.size(), 104u) << c.file;
    InitOptions options;
    options.allow_no_secret = c.allow_no_secret;
    options.dd_strict = true;
    ServerInit si = accept_init(ByteView(v).first(64), c.secrets, options, nullptr, 0);
    ASSERT_TRUE(si.ok()) << c.file << " " << error_name(si.error);
    EXPECT_EQ(si.transport, c.kind) << c.file;
    if (c.dc != 0) {
      EXPECT_EQ(si.dc_id, c.dc) << c.file;
    }
    EXPECT_EQ(si.secret_label, c.label) << c.file;
    CodecError e = CodecError::kNone;
    MutableByteView payload = si.stage->inbound(MutableByteView(v).subspan(64), e);
    for (size_t i = 0; i < payload.size(); ++i) EXPECT_EQ(payload[i], 100 + i) << c.file;
  }
}

struct Mode {
  const char* name;
  bool no_secret;
  SecretKind kind;
};

class ObfuscatedRoundTrip : public ::testing::TestWithParam<std::tuple<TransportKind, int>> {};

TEST_P(ObfuscatedRoundTrip, ClientGeneratorToServerAcceptor) {
  const auto [kind, mode] = GetParam();
  std::vector<Secret> secrets = {make_secret("plain", SecretKind::kPlain, 1),
                                 make_secret("dd", SecretKind::kDd, 2)};
  const std::array<uint8_t, 16>* key = mode == 0 ? nullptr : &secrets[size_t(mode - 1)].key;
  for (int16_t dc : {int16_t(2), int16_t(-4), int16_t(10002), int16_t(-10005), int16_t(0)}) {
    ClientInit ci = make_client_init(kind, dc, key);
    EXPECT_TRUE(valid_init_prefix(ci.header.data()));
    ServerInit si = accept_init(ByteView(ci.header), secrets, {}, nullptr, 0);
    ASSERT_TRUE(si.ok()) << error_name(si.error);
    EXPECT_EQ(si.transport, kind);
    EXPECT_EQ(si.dc_id, dc);
    EXPECT_EQ(si.secret_index, mode - 1);
    EXPECT_EQ(si.secret_label, mode == 0 ? "" : secrets[size_t(mode - 1)].label);

    // Both directions continue the streams: client->server and server->client.
    Bytes up = from_hex("0102030405060708090a0b0c0d0e0f10111213");
    Bytes wire = up;
    ci.stage->outbound(wire, 0);
    EXPECT_NE(wire, up);
    CodecError e = CodecError::kNone;
    MutableByteView plain = si.stage->inbound(MutableByteView(wire), e);
    EXPECT_EQ(Bytes(plain.begin(), plain.end()), up);
    Bytes down = from_hex("a0a1a2a3a4a5");
    Bytes wire2 = down;
    si.stage->outbound(wire2, 0);
    MutableByteView back = ci.stage->inbound(MutableByteView(wire2), e);
    EXPECT_EQ(Bytes(back.begin(), back.end()), down);
  }
}

INSTANTIATE_TEST_SUITE_P(AllTagsAndSecrets, ObfuscatedRoundTrip,
                         ::testing::Combine(::testing::Values(TransportKind::kAbridged,
                                                              TransportKind::kIntermediate,
                                                              TransportKind::kPaddedIntermediate),
                                            ::testing::Values(0, 1, 2)));

TEST(ObfuscatedServer, WrongSecretRejected) {
  std::vector<Secret> secrets = {make_secret("a", SecretKind::kPlain, 1)};
  Secret other = make_secret("b", SecretKind::kPlain, 9);
  InitOptions options;
  options.allow_no_secret = false;
  for (int i = 0; i < 50; ++i) {
    ClientInit ci = make_client_init(TransportKind::kIntermediate, 2, &other.key);
    EXPECT_EQ(accept_init(ByteView(ci.header), secrets, options, nullptr, 0).error,
              CodecError::kObfuscatedBadTag);
  }
  // Without a secret, when the listener does not allow it.
  ClientInit none = make_client_init(TransportKind::kIntermediate, 2, nullptr);
  EXPECT_EQ(accept_init(ByteView(none.header), secrets, options, nullptr, 0).error,
            CodecError::kObfuscatedBadTag);
  // And a secret client against a no-secret-only listener.
  ClientInit with = make_client_init(TransportKind::kIntermediate, 2, &secrets[0].key);
  EXPECT_EQ(accept_init(ByteView(with.header), {}, InitOptions{}, nullptr, 0).error,
            CodecError::kObfuscatedBadTag);
}

TEST(ObfuscatedServer, DdStrictAndLenient) {
  std::vector<Secret> secrets = {make_secret("dd", SecretKind::kDd, 2)};
  InitOptions strict;
  strict.dd_strict = true;
  for (TransportKind k : {TransportKind::kAbridged, TransportKind::kIntermediate}) {
    ClientInit ci = make_client_init(k, 2, &secrets[0].key);
    EXPECT_TRUE(accept_init(ByteView(ci.header), secrets, {}, nullptr, 0).ok());  // lenient default
    EXPECT_EQ(accept_init(ByteView(ci.header), secrets, strict, nullptr, 0).error,
              CodecError::kObfuscatedTagNotAllowed);
  }
  ClientInit padded = make_client_init(TransportKind::kPaddedIntermediate, 2, &secrets[0].key);
  EXPECT_TRUE(accept_init(ByteView(padded.header), secrets, strict, nullptr, 0).ok());
  // Strictness is about dd secrets only: no-secret and plain clients keep every tag.
  ClientInit plain = make_client_init(TransportKind::kAbridged, 2, nullptr);
  EXPECT_TRUE(accept_init(ByteView(plain.header), secrets, strict, nullptr, 0).ok());
}

TEST(ObfuscatedServer, DisallowedInnerTag) {
  InitOptions options;
  options.allowed_inner.remove(TransportKind::kAbridged);
  ClientInit ci = make_client_init(TransportKind::kAbridged, 2, nullptr);
  EXPECT_EQ(accept_init(ByteView(ci.header), {}, options, nullptr, 0).error,
            CodecError::kObfuscatedTagNotAllowed);
}

TEST(ObfuscatedServer, EeSecretsOnlyWhenAsked) {
  std::vector<Secret> secrets = {make_secret("tls", SecretKind::kEe, 5)};
  ClientInit ci = make_client_init(TransportKind::kPaddedIntermediate, 2, &secrets[0].key);
  InitOptions options;
  options.allow_no_secret = false;
  EXPECT_EQ(accept_init(ByteView(ci.header), secrets, options, nullptr, 0).error,
            CodecError::kObfuscatedBadTag);
  options.include_ee = true;
  EXPECT_TRUE(accept_init(ByteView(ci.header), secrets, options, nullptr, 0).ok());
}

TEST(ObfuscatedServer, DcIdSignedLittleEndian) {
  std::array<uint8_t, 64> plain = s31_plain();
  ClientInit ci = client_init_from(plain, TransportKind::kAbridged, -4, nullptr);
  ServerInit si = accept_init(ByteView(ci.header), {}, {}, nullptr, 0);
  ASSERT_TRUE(si.ok());
  EXPECT_EQ(si.dc_id, -4);  // media DC 4 = fc ff
  ci = client_init_from(plain, TransportKind::kAbridged, 10002, nullptr);
  si = accept_init(ByteView(ci.header), {}, {}, nullptr, 0);
  ASSERT_TRUE(si.ok());
  EXPECT_EQ(si.dc_id, 10002);  // test DC 2 = 12 27
}

TEST(ObfuscatedServer, ReplayedInitRejected) {
  ReplayCache cache({.window_seconds = 60, .max_entries = 1024, .shards = 4});
  ClientInit ci = make_client_init(TransportKind::kIntermediate, 2, nullptr);
  EXPECT_TRUE(accept_init(ByteView(ci.header), {}, {}, &cache, 1000).ok());
  EXPECT_EQ(accept_init(ByteView(ci.header), {}, {}, &cache, 1001).error,
            CodecError::kObfuscatedReplay);
  EXPECT_TRUE(accept_init(ByteView(ci.header), {}, {}, &cache, 1061).ok());  // window passed
  // Garbage does not fill the cache.
  size_t before = cache.size();
  Bytes junk(64, 0x42);
  EXPECT_EQ(accept_init(ByteView(junk), {}, {}, &cache, 1062).error, CodecError::kObfuscatedBadTag);
  EXPECT_EQ(cache.size(), before);
}

// Inits without a secret, free for anyone to make, go to their own cache when one is given:
// a flood of them cannot evict the digest that makes a secret client's init unreplayable.
TEST(ObfuscatedServer, InitsWithoutSecretHaveTheirOwnCache) {
  ReplayCache secret_cache({.window_seconds = 60, .max_entries = 64, .shards = 1});
  ReplayCache open_cache({.window_seconds = 60, .max_entries = 64, .shards = 1});
  std::vector<Secret> secrets = {make_secret("a", SecretKind::kPlain, 1)};
  InitOptions options;
  options.no_secret_replay = &open_cache;
  ClientInit with = make_client_init(TransportKind::kIntermediate, 2, &secrets[0].key);
  ASSERT_TRUE(accept_init(ByteView(with.header), secrets, options, &secret_cache, 1000).ok());
  EXPECT_EQ(secret_cache.size(), 1u);
  for (int i = 0; i < 1000; ++i) {
    ClientInit none = make_client_init(TransportKind::kIntermediate, 2, nullptr);
    ASSERT_TRUE(accept_init(ByteView(none.header), secrets, options, &secret_cache, 1000).ok());
  }
  EXPECT_EQ(secret_cache.size(), 1u);
  EXPECT_EQ(accept_init(ByteView(with.header), secrets, options, &secret_cache, 1001).error,
            CodecError::kObfuscatedReplay);
  // A replayed init without a secret is still refused, from its own cache.
  ClientInit none = make_client_init(TransportKind::kIntermediate, 2, nullptr);
  ASSERT_TRUE(accept_init(ByteView(none.header), secrets, options, &secret_cache, 1002).ok());
  EXPECT_EQ(accept_init(ByteView(none.header), secrets, options, &secret_cache, 1003).error,
            CodecError::kObfuscatedReplay);
}

TEST(ObfuscatedServer, ClientNeverLooksLikeAnotherTransport) {
  for (int i = 0; i < 2000; ++i) {
    ClientInit ci = make_client_init(TransportKind::kAbridged, 1, nullptr);
    ASSERT_NE(ci.header[0], 0xef);
    ASSERT_NE(load_le32(ci.header.data() + 4), 0u);
  }
  uint8_t bad[][8] = {{0xef, 1, 1, 1, 1, 1, 1, 1},
                      {'P', 'O', 'S', 'T', 1, 1, 1, 1},
                      {'G', 'E', 'T', ' ', 1, 1, 1, 1},
                      {'H', 'E', 'A', 'D', 1, 1, 1, 1},
                      {'O', 'P', 'T', 'I', 1, 1, 1, 1},
                      {0x16, 0x03, 0x01, 0x02, 1, 1, 1, 1},
                      {0xdd, 0xdd, 0xdd, 0xdd, 1, 1, 1, 1},
                      {0xee, 0xee, 0xee, 0xee, 1, 1, 1, 1},
                      {1, 2, 3, 4, 0, 0, 0, 0}};
  for (auto& b : bad) EXPECT_FALSE(valid_init_prefix(b));
}

// The acceptor over a byte stream, in every split: the init then data in the same reads.
TEST(ObfuscatedAcceptorTest, SplitsOfInitAndData) {
  std::vector<Secret> secrets = {make_secret("p", SecretKind::kPlain, 1)};
  for (const auto& parts : mtedge::test::every_split(64 + 40)) {
    ClientInit ci = make_client_init(TransportKind::kIntermediate, 3, &secrets[0].key);
    Bytes payload(40);
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = uint8_t(i * 3);
    Bytes wire(kInitSize + payload.size());
    std::copy(ci.header.begin(), ci.header.end(), wire.begin());
    std::copy(payload.begin(), payload.end(), wire.begin() + kInitSize);
    ci.stage->outbound(wire, kInitSize);

    ObfuscatedAcceptor acc(secrets, {}, nullptr);
    Bytes got;
    std::vector<std::unique_ptr<StreamStage>> stages;
    size_t off = 0;
    bool done = false;
    for (size_t p : parts) {
      MutableByteView chunk(wire.data() + off, p);
      off += p;
      CodecError e = CodecError::kNone;
      if (!done) {
        auto step = acc.feed(chunk, 0);
        ASSERT_NE(step, ObfuscatedAcceptor::Step::kError);
        if (step == ObfuscatedAcceptor::Step::kNeedMore) continue;
        done = true;
        EXPECT_EQ(acc.init().dc_id, 3);
        stages = acc.take_stages();
        ASSERT_EQ(stages.size(), 1u);
        chunk = acc.rest();
      }
      MutableByteView plain = stages[0]->inbound(chunk, e);
      got.insert(got.end(), plain.begin(), plain.end());
    }
    EXPECT_TRUE(done);
    EXPECT_EQ(got, payload);
  }
}

}  // namespace
}  // namespace mtedge::codecs::obfuscated
