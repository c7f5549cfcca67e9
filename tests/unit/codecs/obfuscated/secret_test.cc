#include "codecs/obfuscated/secret.h"

#include <gtest/gtest.h>

namespace mtedge::codecs::obfuscated {
namespace {

TEST(SecretText, PlainHex) {
  auto r = Secret::from_text("a", "00112233445566778899aabbccddeeff");
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_EQ(r->kind, SecretKind::kPlain);
  EXPECT_EQ(r->label, "a");
  EXPECT_EQ(r->key[0], 0x00);
  EXPECT_EQ(r->key[15], 0xff);
  EXPECT_EQ(r->to_hex(), "00112233445566778899aabbccddeeff");
}

TEST(SecretText, DdHexUpperCaseAndSpaces) {
  auto r = Secret::from_text("b", "  DD00112233445566778899AABBCCDDEEFF ");
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_EQ(r->kind, SecretKind::kDd);
  EXPECT_EQ(r->key[1], 0x11);
  EXPECT_EQ(r->to_hex(), "dd00112233445566778899aabbccddeeff");
}

TEST(SecretText, EeHexWithDomain) {
  auto r = Secret::from_text("c", "ee00112233445566778899aabbccddeeff6578616d706c652e636f6d");
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_EQ(r->kind, SecretKind::kEe);
  EXPECT_EQ(r->domain, "example.com");
  EXPECT_EQ(r->key[0], 0x00);
  EXPECT_EQ(r->key[15], 0xff);
}

TEST(SecretText, Base64UrlAndBase64) {
  // ee 00112233445566778899aabbccddeeff "example.com"; mtg prints base64url.
  const char* url = "7gARIjNEVWZ3iJmqu8zd7v9leGFtcGxlLmNvbQ";
  auto r = Secret::from_text("u", url);
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_EQ(r->kind, SecretKind::kEe);
  EXPECT_EQ(r->domain, "example.com");
  // Bytes that need '+' and '/' in standard base64: dd fb ef be ...
  auto s = Secret::from_text("s", "3fvvvv////////////////8=");
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(s->kind, SecretKind::kDd);
  EXPECT_EQ(s->key[0], 0xfb);
  auto u2 = Secret::from_text("s", "3fvvvv________________8");
  ASSERT_TRUE(u2.is_ok()) << u2.message();
  EXPECT_EQ(u2->key, s->key);
}

TEST(SecretText, ErrorsNeverEchoTheSecret) {
  const char* bad[] = {"",
                       "0011",
                       "zz112233445566778899aabbccddeeff",
                       "ab00112233445566778899aabbccddeeff",                // 17 bytes, not dd
                       "ab00112233445566778899aabbccddeeff6578616d706c65",  // long, not ee
                       "ee00112233445566778899aabbccddeeff20",              // domain " "
                       "!!!!"};
  for (const char* text : bad) {
    auto r = Secret::from_text("lbl", text);
    ASSERT_FALSE(r.is_ok()) << text;
    EXPECT_NE(r.message().find("lbl"), std::string::npos);
    if (std::string(text).size() > 8) {
      EXPECT_EQ(r.message().find(std::string(text).substr(2, 16)), std::string::npos)
          << r.message();
    }
  }
  std::string long_domain = "ee00112233445566778899aabbccddeeff" + std::string(2 * 183, '6');
  EXPECT_FALSE(Secret::from_text("x", long_domain).is_ok());
}

// Hex with a slip is reported as bad hex (where), not as a base64 secret of a strange size.
TEST(SecretText, HexSlipsAreNamedAsHex) {
  auto typo = Secret::from_text("x", "dd0123456789abcdef0123456789abcdeg");
  ASSERT_FALSE(typo.is_ok());
  EXPECT_NE(typo.message().find("not valid hex: character 34 of 34 is not a hex digit"),
            std::string::npos)
      << typo.message();
  auto odd = Secret::from_text("x", "dd0123456789abcdef0123456789abcde");
  ASSERT_FALSE(odd.is_ok());
  EXPECT_NE(odd.message().find("odd number of hex digits (33)"), std::string::npos)
      << odd.message();
  // A real base64 secret is untouched by the rule.
  EXPECT_TRUE(Secret::from_text("u", "7gARIjNEVWZ3iJmqu8zd7v9leGFtcGxlLmNvbQ").is_ok());
}

}  // namespace
}  // namespace mtedge::codecs::obfuscated
