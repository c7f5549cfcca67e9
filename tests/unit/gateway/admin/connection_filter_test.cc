#include "gateway/admin/connection_filter.h"

#include <gtest/gtest.h>

namespace mtedge::gateway::admin {
namespace {

TEST(AdminConnectionFilter, ParsesEveryParameter) {
  auto f = parse_connection_filter(
      "ip=10.0.0.0%2F8&transport=abridged&listener=main&secret=a+b"
      "&limit=7");
  ASSERT_TRUE(f.is_ok()) << f.message();
  EXPECT_TRUE(f->ip.has_value());
  EXPECT_EQ(*f->transport, "abridged");
  EXPECT_EQ(*f->listener, "main");
  EXPECT_EQ(*f->secret, "a b");
  EXPECT_EQ(f->limit, 7u);
  EXPECT_FALSE(f->selects_all());
  auto empty = parse_connection_filter("");
  ASSERT_TRUE(empty.is_ok());
  EXPECT_TRUE(empty->selects_all());
  EXPECT_EQ(empty->limit, ConnectionFilter::kDefaultLimit);
}

TEST(AdminConnectionFilter, RefusesBadValuesNamingThem) {
  for (const char* query : {"ip=nowhere", "limit=0", "limit=100001", "limit=x",
                            "ip=", "auth_key_id=1", "identity=x", "listener=%zz", "listener=%4"}) {
    auto f = parse_connection_filter(query);
    EXPECT_FALSE(f.is_ok()) << query;
  }
  EXPECT_NE(parse_connection_filter("limit=0").message().find("limit"), std::string::npos);
}

TEST(AdminConnectionFilter, MatchesTransportPartsAndAddressRanges) {
  ConnectionRecord r;
  r.client_ip = "10.1.2.3";
  r.transport = "websocket/obfuscated/intermediate";
  r.listener = "main";
  auto matches = [&](const char* query) {
    auto f = parse_connection_filter(query);
    EXPECT_TRUE(f.is_ok()) << query;
    return f.is_ok() && f->matches(r);
  };
  EXPECT_TRUE(matches("transport=websocket"));
  EXPECT_TRUE(matches("transport=obfuscated"));
  EXPECT_TRUE(matches("transport=websocket/obfuscated/intermediate"));
  EXPECT_FALSE(matches("transport=obfus"));
  EXPECT_TRUE(matches("ip=10.1.2.3"));
  EXPECT_TRUE(matches("ip=10.1.0.0/16"));
  EXPECT_FALSE(matches("ip=10.1.2.4"));
  EXPECT_FALSE(matches("listener=main&secret=x"));
  r.client_ip = "2001:db8::5";
  EXPECT_TRUE(matches("ip=2001:db8::/32"));
  EXPECT_FALSE(matches("ip=10.0.0.0/8"));
}

TEST(AdminConnectionFilter, PercentDecoding) {
  EXPECT_EQ(*percent_decode("a%2Fb+c"), "a/b c");
  EXPECT_FALSE(percent_decode("%").has_value());
  EXPECT_FALSE(percent_decode("%a").has_value());
  EXPECT_FALSE(percent_decode("%ag").has_value());
}

}  // namespace
}  // namespace mtedge::gateway::admin
