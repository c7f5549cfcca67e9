// `mtedge secret` and `mtedge links` (gateway/runtime/proxy_links.h).
#include "gateway/runtime/proxy_links.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "codecs/obfuscated/secret.h"

namespace mtedge::gateway {
namespace {

void fixed_random(MutableByteView out) {
  std::fill(out.begin(), out.end(), uint8_t(0xab));
}

TEST(NewSecret, EachKindParsesBackAsThatKind) {
  using codecs::obfuscated::Secret;
  using codecs::obfuscated::SecretKind;
  auto plain = new_secret("plain", "", fixed_random);
  ASSERT_TRUE(plain.is_ok()) << plain.message();
  EXPECT_EQ(plain.value(), "abababababababababababababababab");
  auto dd = new_secret("dd", "", fixed_random);
  ASSERT_TRUE(dd.is_ok());
  EXPECT_EQ(Secret::from_text("x", dd.value())->kind, SecretKind::kDd);
  auto ee = new_secret("ee", "example.com", fixed_random);
  ASSERT_TRUE(ee.is_ok());
  auto parsed = Secret::from_text("x", ee.value());
  ASSERT_TRUE(parsed.is_ok());
  EXPECT_EQ(parsed->kind, SecretKind::kEe);
  EXPECT_EQ(parsed->domain, "example.com");
}

TEST(NewSecret, BadRequestsSayWhy) {
  EXPECT_NE(new_secret("ee", "", fixed_random).message().find("needs the domain"),
            std::string::npos);
  EXPECT_NE(new_secret("dd", "example.com", fixed_random).message().find("only ee"),
            std::string::npos);
  EXPECT_NE(new_secret("xx", "", fixed_random).message().find("plain, dd or ee"),
            std::string::npos);
  EXPECT_FALSE(new_secret("ee", "bad domain", fixed_random).is_ok());  // not printable ASCII
}

Config config_with(const std::string& address, const std::vector<std::string>& secrets) {
  Config config;
  ListenerConfig l;
  l.name = "main";
  l.address = parse_address(address).value();
  int n = 0;
  for (const std::string& text : secrets) {
    std::string label = "s";
    label += std::to_string(n++);
    l.secrets.push_back(codecs::obfuscated::Secret::from_text(label, text).value());
  }
  config.listeners.push_back(l);
  return config;
}

TEST(ProxyLinks, OneTgAndOneTmeLinkPerSecret) {
  const std::string dd = "dd0123456789abcdef0123456789abcdef";
  const std::string ee = "ee0123456789abcdef0123456789abcdef6578616d706c652e636f6d";
  auto links = proxy_links(config_with("0.0.0.0:443", {dd, ee}), "proxy.example.net");
  ASSERT_TRUE(links.is_ok()) << links.message();
  std::string want = "listener main (0.0.0.0:443):\n";
  const std::string query = "?server=proxy.example.net&port=443&secret=";
  for (const auto& [label, secret] : {std::pair{"s0 (dd)", dd}, std::pair{"s1 (ee)", ee}}) {
    want += std::string("  ") + label + "\n";
    want += "    tg://proxy" + query + secret + "\n";
    want += "    https://t.me/proxy" + query + secret + "\n";
  }
  EXPECT_EQ(links.value(), want);
}

TEST(ProxyLinks, HostComesFromTheListenerUnlessItIsAWildcard) {
  const std::string plain = "0123456789abcdef0123456789abcdef";
  auto own = proxy_links(config_with("203.0.113.7:8443", {plain}), "");
  ASSERT_TRUE(own.is_ok()) << own.message();
  EXPECT_NE(own.value().find("tg://proxy?server=203.0.113.7&port=8443&secret=" + plain),
            std::string::npos);
  auto wildcard = proxy_links(config_with("0.0.0.0:443", {plain}), "");
  ASSERT_FALSE(wildcard.is_ok());
  EXPECT_NE(wildcard.message().find("listener[0] (main) listens on 0.0.0.0:443: pass --host"),
            std::string::npos)
      << wildcard.message();
  auto none = proxy_links(config_with("0.0.0.0:443", {}), "h");
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(none.message().find("no listener has secrets"), std::string::npos);
}

}  // namespace
}  // namespace mtedge::gateway
