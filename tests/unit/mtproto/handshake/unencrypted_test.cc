// Unencrypted message parsing (docs/spec/wire-notes.md §7.1) and TDLib's leniencies.
#include "mtproto/handshake/unencrypted.h"

#include <gtest/gtest.h>

#include "tests/support/handshake_context.h"
#include "tests/support/hex.h"

namespace mtedge::mtproto {
namespace {

using mtedge::test::from_hex;

// The req_pq_multi of the §7.6 example.
const Bytes kSample = from_hex(
    "0000000000000000 D4720600503DC565 14000000 F18E7EBE 406709F612FADFBEC3F0289D0AA67EEF");

TEST(Unencrypted, ParsesSample) {
  auto m = parse_unencrypted(kSample);
  ASSERT_TRUE(m.is_ok()) << m.message();
  EXPECT_EQ(m->msg_id, 0x65C53D50000672D4ull);
  EXPECT_EQ(m->constructor, 0xbe7e8ef1u);
  EXPECT_EQ(m->body.size(), 20u);
}

TEST(Unencrypted, TdlibMsgIdZeroAndOneAndPadding) {
  for (uint64_t msg_id : {0ull, 1ull}) {
    Bytes body(kSample.begin() + 20, kSample.end());
    Bytes padding(100, 0xab);
    append(body, padding);  // padding counted in message_data_length
    auto payload = build_unencrypted(msg_id, body);
    auto m = parse_unencrypted(payload);
    ASSERT_TRUE(m.is_ok()) << m.message();
    EXPECT_EQ(m->msg_id, msg_id);
    EXPECT_EQ(m->body.size(), 120u);
    EXPECT_EQ(m->constructor, 0xbe7e8ef1u);
  }
  // Bytes after the declared length are ignored.
  Bytes trailing = kSample;
  trailing.insert(trailing.end(), 12, 0);
  auto m = parse_unencrypted(trailing);
  ASSERT_TRUE(m.is_ok());
  EXPECT_EQ(m->body.size(), 20u);
}

TEST(Unencrypted, RejectsBadInput) {
  for (size_t n = 0; n < 24; ++n)
    EXPECT_FALSE(parse_unencrypted(ByteView(kSample).first(n)).is_ok()) << n;
  Bytes keyed = kSample;
  keyed[3] = 1;
  EXPECT_FALSE(parse_unencrypted(keyed).is_ok());
  Bytes too_long = kSample;
  too_long[16] = 21;  // one more than present
  EXPECT_FALSE(parse_unencrypted(too_long).is_ok());
  Bytes negative = kSample;
  negative[19] = 0x80;
  EXPECT_FALSE(parse_unencrypted(negative).is_ok());
  Bytes tiny = kSample;
  tiny[16] = 3;
  EXPECT_FALSE(parse_unencrypted(tiny).is_ok());
}

TEST(Unencrypted, ServerMsgIds) {
  uint64_t a = make_server_msg_id(1707425105123, 0);
  EXPECT_EQ(a % 4, 1u);
  EXPECT_EQ(a >> 32, 1707425105u);
  uint64_t b = make_server_msg_id(1707425105123, a);
  EXPECT_GT(b, a);
  EXPECT_EQ(b % 4, 1u);
  auto built = build_unencrypted(a, ByteView(kSample).subspan(20));
  EXPECT_EQ(built.size(), 40u);
  EXPECT_EQ(load_le64(built.data() + 8), a);
}

}  // namespace
}  // namespace mtedge::mtproto
