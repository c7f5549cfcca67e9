// The obfuscated stages in a real TransportStack with the framers of codecs/detector:
// packets, quick-ack requests, quick-ack tokens and transport errors all pass through
// AES-CTR (and fake-TLS records) in stream order.
#include <gtest/gtest.h>

#include "codecs/core/transport_stack.h"
#include "codecs/detector/detector.h"
#include "codecs/framers/framers.h"
#include "codecs/obfuscated/fake_tls.h"
#include "codecs/obfuscated/obfuscated2.h"
#include "tests/support/keys.h"
#include "tests/support/split_feed.h"

namespace mtedge::codecs::obfuscated {
namespace {

struct Event {
  enum Kind { kPacket, kQuickAck, kError } kind;
  Bytes payload;
  bool quick_ack = false;
  uint32_t value = 0;
  bool operator==(const Event&) const = default;
};

class Collect : public FrameSink {
 public:
  bool on_packet(MutableByteView payload, bool quick_ack) override {
    events.push_back({Event::kPacket, Bytes(payload.begin(), payload.end()), quick_ack, 0});
    return true;
  }
  bool on_quick_ack(uint32_t token) override {
    events.push_back({Event::kQuickAck, {}, false, token});
    return true;
  }
  bool on_transport_error(int32_t code) override {
    events.push_back({Event::kError, {}, false, uint32_t(code)});
    return true;
  }
  std::vector<Event> events;
};

Bytes packet(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 31);
  return b;
}

void feed_split(TransportStack& stack, Bytes wire, const std::vector<size_t>& parts,
                FrameSink& sink) {
  size_t off = 0;
  for (size_t p : parts) {
    ASSERT_EQ(stack.feed(MutableByteView(wire.data() + off, p), sink), CodecError::kNone);
    off += p;
  }
}

// What the clients of this codec send is detected as theirs, never as another transport.
TEST(ObfuscatedDetection, ClientInitsAndHellosAreDetected) {
  const TransportSet all = TransportSet::all();
  for (int i = 0; i < 3000; ++i) {
    TransportKind kind = i % 3 == 0   ? TransportKind::kAbridged
                         : i % 3 == 1 ? TransportKind::kIntermediate
                                      : TransportKind::kPaddedIntermediate;
    ClientInit ci = make_client_init(kind, 2, nullptr);
    detector::Detection d = detector::detect(ByteView(ci.header), all);
    ASSERT_TRUE(d.matched(TransportKind::kObfuscated)) << transport_name(d.transport);
  }
  Secret secret;
  secret.kind = SecretKind::kEe;
  secret.key = mtedge::test::kObfuscatedTestKey;
  secret.domain = "example.com";
  FakeTlsClient client(secret);
  Bytes hello = client.hello(1700000000);
  EXPECT_TRUE(detector::detect(ByteView(hello).first(64), all).matched(TransportKind::kFakeTls));
  Bytes modern =
      client.hello(1700000000, {.sni = "", .modern = true, .shuffle_seed = 3, .pad_to = 0}, false);
  EXPECT_TRUE(detector::detect(ByteView(modern).first(64), all).matched(TransportKind::kFakeTls));
}

class ObfuscatedStack : public ::testing::TestWithParam<std::tuple<TransportKind, bool>> {};

TEST_P(ObfuscatedStack, PacketsQuickAcksAndErrorsInStreamOrder) {
  const auto [kind, tls] = GetParam();
  Secret secret;
  secret.label = "s";
  secret.kind = tls ? SecretKind::kEe : SecretKind::kDd;
  secret.key = mtedge::test::kObfuscatedTestKey;
  secret.domain = "example.com";
  std::vector<Secret> secrets = {secret};

  for (const auto& parts : mtedge::test::every_split(64 + 3 * 200 + 40 + 6 + 10, 3)) {
    // Client side.
    FakeTlsClient tls_client(secret);
    FakeTlsAcceptor tls_server(secrets, {}, nullptr);
    std::unique_ptr<TlsRecordStage> client_records;
    if (tls) {
      ASSERT_EQ(tls_server.feed(tls_client.hello(1700000000), 1700000000),
                FakeTlsAcceptor::Step::kDone);
      ASSERT_EQ(tls_client.feed(tls_server.server_hello()), FakeTlsClient::Step::kDone);
      client_records = tls_client.take_record_stage();
    }
    ClientInit ci = make_client_init(kind, 4, &secret.key);
    TransportStack client(make_framer(kind, Role::kClient, 1), {});
    Bytes wire(ci.header.begin(), ci.header.end());
    if (tls) client_records->outbound(wire, 0);
    client.add_outer_stage(std::move(ci.stage));
    if (tls) client.add_outer_stage(std::move(client_records));

    std::vector<Event> sent;
    for (uint8_t i = 0; i < 3; ++i) {
      Bytes p = packet(200, i);
      client.write_packet(p, i == 1, wire);
      sent.push_back({Event::kPacket, p, i == 1, 0});
    }

    // Server side: the acceptor on raw bytes, then the stack built from its result.
    InitOptions options;
    options.include_ee = tls;
    options.allow_no_secret = false;
    ObfuscatedAcceptor acc(secrets, options, nullptr);
    if (tls) acc.set_record_stage(tls_server.take_record_stage());
    std::unique_ptr<TransportStack> server;
    Collect got;
    size_t off = 0;
    for (size_t p : parts) {
      if (off >= wire.size()) break;
      p = std::min(p, wire.size() - off);
      MutableByteView chunk(wire.data() + off, p);
      off += p;
      if (!server) {
        auto step = acc.feed(chunk, 0);
        ASSERT_NE(step, ObfuscatedAcceptor::Step::kError) << error_name(acc.error());
        if (step == ObfuscatedAcceptor::Step::kNeedMore) continue;
        EXPECT_EQ(acc.init().transport, kind);
        EXPECT_EQ(acc.init().dc_id, 4);
        server = std::make_unique<TransportStack>(
            make_framer(acc.init().transport, Role::kServer, 2), FrameLimits{});
        for (auto& s : acc.take_stages()) server->add_outer_stage(std::move(s));
        chunk = acc.rest();
      }
      ASSERT_EQ(server->feed(chunk, got), CodecError::kNone);
    }
    if (off < wire.size()) {
      ASSERT_TRUE(server);
      ASSERT_EQ(server->feed(MutableByteView(wire.data() + off, wire.size() - off), got),
                CodecError::kNone);
    }
    ASSERT_TRUE(server);
    EXPECT_EQ(got.events, sent);

    // Server -> client: packet, quick-ack token, packet, transport error, interleaved.
    Bytes down;
    std::vector<Event> expect;
    Bytes p1 = packet(40, 9);
    server->write_packet(p1, false, down);
    expect.push_back({Event::kPacket, p1, false, 0});
    server->write_quick_ack(0xa1abe8da, down);
    expect.push_back({Event::kQuickAck, {}, false, 0xa1abe8da});
    Bytes p2 = packet(1000, 3);
    server->write_packet(p2, false, down);
    expect.push_back({Event::kPacket, p2, false, 0});
    server->write_transport_error(-404, down);
    expect.push_back({Event::kError, {}, false, uint32_t(-404)});
    Collect back;
    feed_split(client, down, mtedge::test::every_split(down.size(), 5)[2], back);
    EXPECT_EQ(back.events, expect);
  }
}

INSTANTIATE_TEST_SUITE_P(Transports, ObfuscatedStack,
                         ::testing::Combine(::testing::Values(TransportKind::kAbridged,
                                                              TransportKind::kIntermediate,
                                                              TransportKind::kPaddedIntermediate),
                                            ::testing::Bool()));

}  // namespace
}  // namespace mtedge::codecs::obfuscated
