// The transport table (codecs/core/transport.h), column by column: names, the obfuscated2
// tags, the framer factory (codecs/framers) and the detector's rules agree with the rows.
#include "codecs/core/transport.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "codecs/detector/detector.h"
#include "codecs/framers/framers.h"
#include "tests/support/framer_harness.h"

namespace mtedge::codecs {
namespace {

TEST(TransportTable, RowsAreInEnumOrder) {
  for (size_t i = 0; i < kTransportCount; ++i) {
    EXPECT_EQ(index_of(kTransports[i].kind), i);
    EXPECT_EQ(&transport_row(kTransports[i].kind), &kTransports[i]);
  }
}

TEST(TransportTable, NamesAreDistinctAndParseBack) {
  std::set<std::string_view> names;
  for (const TransportRow& row : kTransports) {
    EXPECT_TRUE(names.insert(row.name).second) << row.name;
    // One spelling for config, metric label and logs: lower case words joined by '-'.
    ASSERT_FALSE(row.name.empty());
    for (char c : row.name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '-') << row.name;
    EXPECT_EQ(transport_name(row.kind), row.name);
    EXPECT_EQ(parse_transport(row.name), row.kind) << row.name;
  }
  EXPECT_EQ(parse_transport("fake_tls"), std::nullopt);
  EXPECT_EQ(parse_transport("Abridged"), std::nullopt);
  EXPECT_EQ(parse_transport(""), std::nullopt);
  EXPECT_EQ(transport_name(TransportKind::kFakeTls), "fake-tls");
}

TEST(TransportTable, NamesListFollowsTheTable) {
  std::string expected;
  for (const TransportRow& row : kTransports) {
    expected += (expected.empty() ? "" : ", ") + std::string(row.name);
  }
  EXPECT_EQ(transport_names(), expected);
  EXPECT_EQ(transport_names({TransportKind::kFull, TransportKind::kAbridged}), "abridged, full");
  EXPECT_EQ(transport_names({}), "");
}

TEST(TransportTable, SetHoldsEveryRow) {
  TransportSet all = TransportSet::all();
  TransportSet none;
  EXPECT_TRUE(none.empty());
  for (const TransportRow& row : kTransports) {
    EXPECT_TRUE(all.contains(row.kind));
    EXPECT_FALSE(none.contains(row.kind));
    TransportSet one{row.kind};
    EXPECT_TRUE(one.contains(row.kind));
    one.remove(row.kind);
    EXPECT_TRUE(one.empty());
  }
}

TEST(TransportTable, EveryFramerRowBuildsItsFramer) {
  size_t framed = 0;
  for (const TransportRow& row : kTransports) {
    for (Role role : {Role::kServer, Role::kClient}) {
      auto framer = make_framer(row.kind, role, 1);
      EXPECT_EQ(framer != nullptr, has_framer(row.kind)) << row.name;
      if (framer) {
        EXPECT_EQ(framer->kind(), row.kind) << row.name;
      }
    }
    EXPECT_EQ(framed_transports().contains(row.kind), has_framer(row.kind));
    framed += has_framer(row.kind);
  }
  EXPECT_EQ(framed, 4u);  // abridged, intermediate, padded, full
}

TEST(TransportTable, Obfuscated2TagsAreDistinctAndFramed) {
  std::set<uint32_t> tags;
  for (const TransportRow& row : kTransports) {
    EXPECT_EQ(obfuscated2_inner_transports().contains(row.kind), row.obfuscated2_tag != 0);
    if (row.obfuscated2_tag == 0) continue;
    EXPECT_TRUE(tags.insert(row.obfuscated2_tag).second) << row.name;
    EXPECT_TRUE(has_framer(row.kind)) << row.name << ": obfuscated2 carries framed transports";
    EXPECT_EQ(transport_for_obfuscated2_tag(row.obfuscated2_tag), row.kind);
  }
  EXPECT_EQ(transport_for_obfuscated2_tag(0), std::nullopt);
  EXPECT_EQ(transport_for_obfuscated2_tag(0x12345678), std::nullopt);
}

TEST(TransportTable, DetectorEntriesAgree) {
  for (const TransportRow& row : kTransports) {
    // Detected as itself exactly when the detector has a rule for it; otherwise as a row
    // that has one.
    EXPECT_EQ(detector::has_rule(row.kind), row.detected_as == row.kind) << row.name;
    EXPECT_TRUE(detector::has_rule(row.detected_as)) << row.name;
  }
  // Allowing a rule-less transport enables the rule of the row it is detected as.
  Bytes get(std::begin("GET /apiws HTTP/1.1\r\n"), std::end("GET /apiws HTTP/1.1\r\n") - 1);
  EXPECT_TRUE(detector::detect(get, {TransportKind::kWebSocket}).matched(TransportKind::kHttp));
}

TEST(TransportTable, ClientFramersAreDetectedAsTheirRow) {
  const Bytes payload = test::make_payload(40, 3);
  for (const TransportRow& row : kTransports) {
    auto client = make_framer(row.kind, Role::kClient, 5);
    if (!client) continue;
    Bytes wire;
    client->encode_tag(wire);
    client->encode_packet(payload, false, wire);
    wire.resize(std::min(wire.size(), detector::kMaxPeek));
    for (TransportSet allowed : {TransportSet{row.kind}, TransportSet::all()}) {
      detector::Detection d = detector::detect(wire, allowed);
      EXPECT_TRUE(d.matched(row.kind)) << row.name;
    }
  }
}

}  // namespace
}  // namespace mtedge::codecs
