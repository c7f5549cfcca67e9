// The embedded adapter respects the gateway's backpressure: when a send finds the client's
// queue above its high-water mark, on_frame answers false (the gateway stops reading the
// client) and reading resumes on on_client_drained.
#include "tests/support/embedded_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

TEST_F(EmbeddedTest, AFullClientQueuePausesReadingUntilItDrained) {
  TestClient c;
  ConnId conn = open_session(c);
  sink_.full = true;
  auto replies = send(conn, c, ping_body(1), false);
  ASSERT_EQ(replies.size(), 1u);  // still queued by the gateway: nothing is lost
  EXPECT_FALSE(accepted_);
  EXPECT_TRUE(sink_.resumed.empty());

  sink_.full = false;
  adapters_[0]->on_client_drained(conn);
  ASSERT_EQ(sink_.resumed.size(), 1u);
  EXPECT_EQ(sink_.resumed[0], conn);
  send(conn, c, ping_body(2), false);
  EXPECT_TRUE(accepted_);
  // Drained again without having been paused: nothing to resume.
  adapters_[0]->on_client_drained(conn);
  EXPECT_EQ(sink_.resumed.size(), 1u);
}

TEST_F(EmbeddedTest, APushIntoAFullQueuePausesTheNextFrame) {
  TestClient c;
  ConnId conn = open_session(c);
  sink_.full = true;
  ASSERT_TRUE(service().push(c.auth_key_id, c.session_id, u32_body(0x74ae4240)));
  auto replies = send(conn, c, ids_body(ids::kMsgsAck, {}), false);  // answered with nothing
  EXPECT_EQ(replies.size(), 0u);
  EXPECT_FALSE(accepted_);
  sink_.full = false;
  adapters_[0]->on_client_drained(conn);
  EXPECT_EQ(sink_.resumed.size(), 1u);
}

}  // namespace
}  // namespace mtedge::backend::embedded::testing
