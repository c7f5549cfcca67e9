#include "codecs/detector/detector.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "codecs/framers/framers.h"
#include "tests/support/framer_harness.h"
#include "tests/support/hex.h"
#include "tests/support/vectors.h"

namespace mtedge::codecs::detector {
namespace {

using mtedge::test::from_hex;
using mtedge::test::read_vector;

Bytes as_bytes_copy(const char* s) {
  return Bytes(s, s + std::strlen(s));
}

Detection run(const Bytes& b, TransportSet allowed = TransportSet::all()) {
  return detect(b, allowed);
}

// What a detection says: the matched transport's name, "need_more" or "unknown".
std::string said(const Detection& d) {
  switch (d.outcome) {
    case Detection::Outcome::kNeedMore: return "need_more";
    case Detection::Outcome::kUnknown: return "unknown";
    case Detection::Outcome::kMatched: return std::string(transport_name(d.transport));
  }
  return "?";
}

// Some bytes that look like nothing but an obfuscated2 header.
Bytes random_header(size_t n = 64) {
  Bytes b = mtedge::codecs::test::make_payload(64, 5);
  b[0] = 0x5a;
  b[4] = 0x11;
  b.resize(n);
  return b;
}

TEST(DetectorTest, EachFirstBytePattern) {
  EXPECT_EQ(said(run(from_hex("ef"))), "abridged");
  EXPECT_EQ(run(from_hex("ef")).consume, 1u);
  EXPECT_EQ(said(run(from_hex("ef 0a 00"))), "abridged");
  EXPECT_EQ(said(run(from_hex("eeeeeeee"))), "intermediate");
  EXPECT_EQ(run(from_hex("eeeeeeee")).consume, 4u);
  EXPECT_EQ(said(run(from_hex("dddddddd 28000000"))), "padded");
  EXPECT_EQ(run(from_hex("dddddddd")).consume, 4u);
  for (const char* verb : {"POST /api", "GET /apiws", "HEAD", "OPTIONS /apiw1"}) {
    Detection d = run(Bytes(verb, verb + std::strlen(verb)));
    EXPECT_EQ(said(d), "http") << verb;
    EXPECT_EQ(d.consume, 0u);
  }
  EXPECT_EQ(said(run(from_hex("16 03 01"))), "fake-tls");
  EXPECT_EQ(said(run(from_hex("16 03 01 02 00"))), "fake-tls");
  Detection full = run(read_vector("full_req_pq_multi.bin"));
  EXPECT_EQ(said(full), "full");
  EXPECT_EQ(full.consume, 0u);
  EXPECT_EQ(said(run(random_header())), "obfuscated");
  EXPECT_EQ(run(random_header()).consume, 0u);
}

TEST(DetectorTest, NeedMoreAsksForTheRightTotal) {
  EXPECT_EQ(said(run({})), "need_more");
  EXPECT_EQ(run({}).need, 1u);
  // ee / dd could still be a tag: need 4.
  EXPECT_EQ(run(from_hex("ee")).need, 4u);
  EXPECT_EQ(run(from_hex("eeeeee")).need, 4u);
  EXPECT_EQ(run(from_hex("dd dd")).need, 4u);
  // A verb prefix: need 4.
  EXPECT_EQ(run(from_hex("50 4f")).need, 4u);  // "PO"
  EXPECT_EQ(run(from_hex("4f")).need, 4u);     // "O"
  // 16 / 16 03: need 3 for the TLS prefix.
  EXPECT_EQ(run(from_hex("16")).need, 3u);
  EXPECT_EQ(run(from_hex("16 03")).need, 3u);
  // Anything else: full needs 8; after a non-zero byte in [4..8), obfuscated needs 64.
  EXPECT_EQ(run(from_hex("34")).need, 8u);
  EXPECT_EQ(run(from_hex("34 00 00 00 00")).need, 8u);
  EXPECT_EQ(run(from_hex("34 00 00 00 00 01")).need, 64u);
  EXPECT_EQ(run(random_header(63)).need, 64u);
  for (size_t n = 0; n < 64; ++n) {
    Bytes b = random_header(n);
    EXPECT_EQ(said(run(b)), "need_more") << n;
  }
}

TEST(DetectorTest, PrefixThatCannotMatchDoesNotWait) {
  // "ee ee ee" then a different byte: not intermediate; 4 bytes are enough for the rest.
  Detection d = run(from_hex("ee ee ee 01"));
  EXPECT_EQ(said(d), "need_more");
  EXPECT_EQ(d.need, 8u);
  // "PO" followed by a non-verb byte: not HTTP.
  EXPECT_EQ(run(from_hex("50 4f 00")).need, 8u);
  // 16 04: not TLS.
  EXPECT_EQ(run(from_hex("16 04")).need, 8u);
}

TEST(DetectorTest, OrderWinsOverLaterRules) {
  // Abridged tag followed by a zero second word: abridged, not full.
  EXPECT_EQ(said(run(from_hex("ef 00 00 00 00 00 00 00"))), "abridged");
  // "GET " with a zero second word: HTTP, not full.
  EXPECT_EQ(said(run(from_hex("47 45 54 20 00 00 00 00"))), "http");
  // 16 03 01 with a zero second word: fake-TLS, not full.
  EXPECT_EQ(said(run(from_hex("16 03 01 00 00 00 00 00"))), "fake-tls");
}

TEST(DetectorTest, DisabledTransportsNeverMatch) {
  const TransportSet only_obfuscated{TransportKind::kObfuscated};
  // Nothing a real obfuscated2 client generates: decided at once, not after 64 bytes.
  EXPECT_EQ(said(run(from_hex("ef"), only_obfuscated)), "unknown");
  EXPECT_EQ(said(run(from_hex("eeeeeeee"), only_obfuscated)), "unknown");
  EXPECT_EQ(said(run(from_hex("50 4f 53 54"), only_obfuscated)), "unknown");
  EXPECT_EQ(said(run(from_hex("16 03 01 02"), only_obfuscated)), "unknown");
  EXPECT_EQ(said(run(from_hex("34000000 00000000"), only_obfuscated)), "unknown");
  // 16 03 01 xx (xx != 02) can be an obfuscated header when fake-TLS is off.
  EXPECT_EQ(said(run(from_hex("16 03 01 03"), only_obfuscated)), "need_more");
  Bytes tls_like = random_header();
  tls_like[0] = 0x16, tls_like[1] = 0x03, tls_like[2] = 0x01, tls_like[3] = 0x03;
  EXPECT_EQ(said(run(tls_like, only_obfuscated)), "obfuscated");

  const TransportSet plain{TransportKind::kAbridged, TransportKind::kIntermediate,
                           TransportKind::kPaddedIntermediate, TransportKind::kFull};
  EXPECT_EQ(run(from_hex("50 4f 53 54"), plain).need, 8u);  // full decides at 8 bytes
  EXPECT_EQ(said(run(as_bytes_copy("POST /api"), plain)), "unknown");
  EXPECT_EQ(run(from_hex("16 03 01"), plain).need, 8u);  // only full can still match
  EXPECT_EQ(said(run(from_hex("16 03 01 00 00 00 00 00"), plain)), "full");
  EXPECT_EQ(said(run(random_header(8), plain)), "unknown");  // no wait for 64 bytes
  EXPECT_EQ(said(run(from_hex("eeeeeeee"), plain)), "intermediate");

  TransportSet no_padded = TransportSet::all();
  no_padded.remove(TransportKind::kPaddedIntermediate);
  // dddddddd is never an obfuscated2 header: once full is ruled out, nothing waits for 64.
  EXPECT_EQ(run(from_hex("dddddddd"), no_padded).need, 8u);
  EXPECT_EQ(said(run(from_hex("dddddddd 11223344"), no_padded)), "unknown");

  const TransportSet none;
  EXPECT_EQ(said(run({}, none)), "unknown");
  EXPECT_EQ(said(run(from_hex("ef"), none)), "unknown");
}

TEST(DetectorTest, AmbiguousFirstBytesFollowTheOrder) {
  // An obfuscated header that happens to start 16 03 01 xx goes to fake-TLS (p ~ 2^-24);
  // "PVrG" (0x47725650) is not special: it waits for 64 bytes like any header.
  Bytes tls_like = random_header();
  tls_like[0] = 0x16, tls_like[1] = 0x03, tls_like[2] = 0x01, tls_like[3] = 0x55;
  EXPECT_EQ(said(run(tls_like)), "fake-tls");
  Bytes pvrg = random_header();
  pvrg[0] = 'P', pvrg[1] = 'V', pvrg[2] = 'r', pvrg[3] = 'G';
  EXPECT_EQ(said(run(pvrg)), "obfuscated");
  EXPECT_EQ(run(Bytes(pvrg.begin(), pvrg.begin() + 8)).need, 64u);
}

// The client tag of each plain transport is detected as that transport, and the framer
// then decodes the frames that follow the consumed tag.
TEST(DetectorTest, TagsOfClientFramersAreDetected) {
  for (TransportKind k : {TransportKind::kAbridged, TransportKind::kIntermediate,
                          TransportKind::kPaddedIntermediate, TransportKind::kFull}) {
    auto client = make_framer(k, Role::kClient, 3);
    Bytes stream;
    client->encode_tag(stream);
    client->encode_packet(mtedge::codecs::test::make_payload(40), false, stream);
    Detection det = run(stream);
    ASSERT_TRUE(det.matched(k)) << transport_name(k);
    auto server = make_framer(k, Role::kServer, 3);
    ParseResult r = server->parse(MutableByteView(stream).subspan(det.consume));
    EXPECT_EQ(r.kind, ParseResult::Kind::kPacket) << transport_name(k);
    EXPECT_EQ(r.payload_size, 40u);
  }
}

}  // namespace
}  // namespace mtedge::codecs::detector
