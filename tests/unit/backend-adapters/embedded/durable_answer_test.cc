// With a Storage, a call that writes state is answered only once its records are durable: its
// rpc_result and the frame's quick-ack wait for the fsync (held here at a gate), then go out on
// the connection's worker loop; a failed fsync answers rpc_error 500 INTERNAL and sends no
// quick-ack. Read-only calls keep immediate answers and quick-acks.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "backend-adapters/embedded/storage/log_storage.h"
#include "mtproto/tl/schema_value.h"
#include "tests/support/embedded_harness.h"
#include "tests/support/temp_files.h"

namespace mtedge::backend::embedded::testing {
namespace {

using namespace std::chrono_literals;
namespace tl = mtproto::tl;

constexpr uint32_t kHelpGetConfig = 0xc4f9186b;
constexpr int kLayer = 193;  // a shipped layer

class DurableAnswerTest : public EmbeddedTest {
 protected:
  DurableAnswerTest() { defer_posts_ = true; }  // the storage's thread posts: run them here

  // Opens the state log with the writer waiting at `gate_` before each fsync (unless open).
  void SetUp() override {
    EmbeddedTest::SetUp();
    storage::LogStorageOptions options;
    options.path = dir_.file("state.log");
    // The writer thread outlives this fixture's own members (the storage belongs to the
    // base's service): the gate is shared, not a member the lambda reaches through `this`.
    options.before_sync = [gate = gate_] {
      std::unique_lock lock(gate->mu);
      gate->cv.wait(lock, [&] { return gate->open; });
    };
    auto storage = storage::LogStorage::open(options, service().shared_state());
    ASSERT_TRUE(storage.is_ok()) << storage.message();
    service().set_storage(storage.value());
    service().state().write([](state::Transaction& txn) {
      txn.apply(state::UserCreated{1000001, "15550001", "Ann", "", 0x11, 1});
      txn.apply(state::KeyBound{0xa1, 1000001});
    });
  }
  void TearDown() override {
    open_gate();  // a test that stopped early must not leave the writer at the gate
    EmbeddedTest::TearDown();
  }
  void open_gate() {
    std::lock_guard lock(gate_->mu);
    gate_->open = true;
    gate_->cv.notify_all();
  }
  // Runs what the storage posted (once it posted something) until `done` holds.
  template <class Done>
  void run_until(Done done) {
    for (int i = 0; i < 1000 && !done(); ++i) {
      if (posted_count() == 0) std::this_thread::sleep_for(5ms);
      run_posted();
    }
  }
  Bytes update_profile(const std::string& first_name) {
    tl::Object q("account.updateProfile");
    q.set("first_name", tl::Value::str(first_name));
    Bytes query;
    TlWriter writer(query);
    EXPECT_TRUE(tl::serialize_object(*service().schemas().layer(kLayer), q, writer).is_ok());
    return with_layer(kLayer, query);
  }
  const Sent* result_for(int64_t req_msg_id) {
    for (const Sent& s : sink_.sent) {
      if (s.constructor() == ids::kRpcResult && s.req_msg_id() == req_msg_id) return &s;
    }
    return nullptr;
  }
  std::string first_name() {
    return service().state().read(
        [](const state::Model& model) { return model.user(1000001)->first_name; });
  }

  mtedge::test::TempDir dir_;
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
  };
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
};

TEST_F(DurableAnswerTest, WriteIsAnsweredAndQuickAckedOnlyOnceDurable) {
  TestClient ann{0xa1, 1};
  ConnId conn = open_session(ann);
  const int64_t msg_id = ann.next_msg_id();
  quick_ack_token_ = 0x80000001;
  send_raw(conn, ann, msg_id, ann.next_seq(true), update_profile("Annie"), ann.salt);
  EXPECT_EQ(result_for(msg_id), nullptr);  // not on_frame's answer
  EXPECT_TRUE(sink_.quick_acks.empty());
  EXPECT_EQ(first_name(), "Annie");  // applied in memory at once
  std::this_thread::sleep_for(100ms);
  run_posted();
  EXPECT_TRUE(sink_.quick_acks.empty());  // the fsync is held: nothing came back
  EXPECT_EQ(result_for(msg_id), nullptr);

  // A read-only call meanwhile: answered and quick-acked at once.
  const int64_t read_id = ann.next_msg_id();
  quick_ack_token_ = 0x80000002;
  send_raw(conn, ann, read_id, ann.next_seq(true), with_layer(kLayer, u32_body(kHelpGetConfig)),
           ann.salt);
  EXPECT_NE(result_for(read_id), nullptr);
  ASSERT_EQ(sink_.quick_acks.size(), 1u);
  EXPECT_EQ(sink_.quick_acks[0], std::make_pair(conn, uint32_t(0x80000002)));

  sink_.sent.clear();
  open_gate();
  run_until([&] { return result_for(msg_id) != nullptr; });
  ASSERT_EQ(sink_.quick_acks.size(), 2u);
  EXPECT_EQ(sink_.quick_acks[1], std::make_pair(conn, uint32_t(0x80000001)));
  const Sent* result = result_for(msg_id);
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->conn, conn);
  EXPECT_NE(result->result_constructor(), ids::kRpcError);  // the user object
  // The answer is stored like any other: a resent query gets it again, at once.
  const Bytes answer = result->body;
  send_raw(conn, ann, msg_id, 3, update_profile("Annie"), ann.salt);
  ASSERT_NE(result_for(msg_id), nullptr);
  EXPECT_EQ(result_for(msg_id)->body, answer);
}

TEST_F(DurableAnswerTest, FailedSyncIsAnswered500WithoutQuickAck) {
  // The log's file may not grow: the write fails (EFBIG), the wait answers false.
  TestClient ann{0xa1, 1};
  ConnId conn = open_session(ann);
  open_gate();
  state::Storage& storage = *service().storage();
  for (int i = 0; i < 500 && storage.stats().durable < storage.stats().appended; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(storage.stats().durable, storage.stats().appended);
  const auto size = std::filesystem::file_size(dir_.file("state.log"));
  mtedge::test::FileSizeLimit limit(size);
  ASSERT_TRUE(limit.ok());
  const int64_t msg_id = ann.next_msg_id();
  quick_ack_token_ = 0x80000003;
  send_raw(conn, ann, msg_id, ann.next_seq(true), update_profile("Anna"), ann.salt);
  run_until([&] { return result_for(msg_id) != nullptr; });
  const Sent* result = result_for(msg_id);
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(rpc_error_of(*result), std::make_pair(500, std::string("INTERNAL")));
  EXPECT_TRUE(sink_.quick_acks.empty());
  EXPECT_GE(storage.stats().failed_waits, 1u);
}

}  // namespace
}  // namespace mtedge::backend::embedded::testing
