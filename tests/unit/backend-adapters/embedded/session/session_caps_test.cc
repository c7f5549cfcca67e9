// Session-table bounds: sessions per auth key (the key's own least recently active goes), no
// session for a message with a wrong salt, and a key never evicts another key's live sessions.
#include "tests/support/embedded_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

// A ping of `session_id` under key `key` on connection `conn`, straight to the service.
Outcome ping_session(SessionService& svc, uint64_t key, int64_t session_id, ConnId conn,
                     bool good_salt = true) {
  static const Bytes ping = ping_body(1);
  Frame f;
  f.conn_id = conn;
  f.kind = FrameKind::kDecrypted;
  f.auth_key_id = key;
  f.salt = good_salt ? svc.current_salt(key, now_s()) : 0;
  f.session_id = session_id;
  TestClient clock;
  f.msg_id = clock.next_msg_id() + int64_t(session_id % 1000) * 4;
  f.seq_no = 0;
  f.body = ping;
  return svc.handle(conn, f);
}

bool announces_new_session(const Outcome& out) {
  return !out.replies.empty() &&
         load_le32(out.replies.front().body->data()) == ids::kNewSessionCreated;
}

class EmbeddedKeyCapTest : public EmbeddedTest {
 protected:
  std::string config_text() const override { return "max_sessions_per_key = 4\n"; }
};

TEST_F(EmbeddedKeyCapTest, AKeyOverItsCapLosesItsOwnLeastRecentSession) {
  const uint64_t key = 77;
  for (int64_t s = 1; s <= 5; ++s) {
    EXPECT_TRUE(announces_new_session(ping_session(service(), key, s, make_conn_id(0, 100 + s))));
  }
  auto stats = service().stats();
  EXPECT_EQ(stats.sessions, 4u);
  EXPECT_EQ(stats.evicted_key_sessions, 1u);
  // Session 1 (the oldest) went; 2..5 are still known.
  for (int64_t s = 2; s <= 5; ++s) {
    EXPECT_FALSE(announces_new_session(ping_session(service(), key, s, make_conn_id(0, 100 + s))))
        << s;
  }
  EXPECT_TRUE(announces_new_session(ping_session(service(), key, 1, make_conn_id(0, 101))));
  EXPECT_EQ(service().stats().sessions, 4u);
}

TEST_F(EmbeddedTest, AWrongSaltCreatesNoSession) {
  for (int64_t s = 1; s <= 100; ++s) {
    Outcome out = ping_session(service(), 77, s, make_conn_id(0, s), false);
    ASSERT_EQ(out.replies.size(), 1u);
    EXPECT_EQ(load_le32(out.replies[0].body->data()), ids::kBadServerSalt);
  }
  EXPECT_EQ(service().stats().sessions, 0u);
}

class EmbeddedSmallTableTest : public EmbeddedTest {
 protected:
  std::string config_text() const override { return "max_sessions = 64\n"; }  // 1 per shard
};

TEST_F(EmbeddedSmallTableTest, AnotherKeyCannotEvictALiveSession) {
  TestClient victim;
  ConnId conn = open_session(victim);
  auto replies = send(conn, victim, with_layer(144, u32_body(0xc4f9186b)), true);
  ASSERT_EQ(replies.size(), 1u);  // unacknowledged: it must survive
  // Another key opens thousands of sessions (each on its own connection).
  const uint64_t attacker = 0x5151;
  for (int64_t s = 1; s <= 2000; ++s) ping_session(service(), attacker, s, make_conn_id(1, s));
  replies = send(conn, victim, ping_body(9), false);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].constructor(), ids::kPong);  // no new_session_created: the same session
  // The attacker's own sessions stay within its cap (32 by default).
  EXPECT_LE(service().stats().sessions, 1u + 32u);
}

}  // namespace
}  // namespace mtedge::backend::embedded::testing
