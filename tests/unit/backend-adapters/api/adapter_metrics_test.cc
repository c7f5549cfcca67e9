// The adapter metrics hook: AdapterMetrics (backend-adapters/api/adapter_metrics.h), its
// Prometheus rendering, and a real Gateway exporting its adapters' counters summed over
// the workers.
#include "backend-adapters/api/adapter_metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backend-adapters/api/adapter.h"
#include "gateway/runtime/gateway.h"
#include "gateway/runtime/metrics.h"
#include "mtproto/auth_keys/memory_auth_key_store.h"

namespace mtedge::gateway {
namespace {

using backend::AdapterMetrics;

TEST(GatewayAdapterMetrics, OneCounterPerNameInRegistrationOrder) {
  AdapterMetrics metrics;
  backend::Counter& a = metrics.counter("mtedge_test_a_total", "A.");
  backend::Counter& b = metrics.counter("mtedge_test_b_total", "B.");
  EXPECT_EQ(&metrics.counter("mtedge_test_a_total", "ignored"), &a);
  a.add(3);
  b.add();
  auto values = metrics.read();
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0].name, "mtedge_test_a_total");
  EXPECT_EQ(values[0].help, "A.");
  EXPECT_EQ(values[0].value, 3u);
  EXPECT_EQ(values[1].name, "mtedge_test_b_total");
  EXPECT_EQ(values[1].value, 1u);
}

TEST(GatewayAdapterMetrics, ReadsWhileTheWriterCountsAndRegisters) {
  AdapterMetrics metrics;
  backend::Counter& first = metrics.counter("mtedge_test_first_total", "First.");
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 100000; ++i) {
      first.add();
      if (i % 1000 == 0) metrics.counter("mtedge_test_n" + std::to_string(i) + "_total", "N.");
    }
    done = true;
  });
  uint64_t last = 0;
  while (!done) {
    uint64_t now = metrics.read().front().value;
    EXPECT_GE(now, last);  // monotonic as seen from another thread
    last = now;
  }
  writer.join();
  auto values = metrics.read();
  EXPECT_EQ(values.front().value, 100000u);
  EXPECT_EQ(values.size(), 101u);
}

TEST(GatewayAdapterMetrics, PrometheusTextSumsOneNameOverWorkers) {
  std::vector<AdapterMetrics::Value> values = {
      {"mtedge_test_frames_total", "Frames.", 2},
      {"mtedge_test_errors_total", "Errors.", 0},
      {"mtedge_test_frames_total", "Frames.", 5},
  };
  EXPECT_EQ(prometheus_adapter_text(values),
            "# HELP mtedge_test_frames_total Frames.\n"
            "# TYPE mtedge_test_frames_total counter\n"
            "mtedge_test_frames_total 7\n"
            "# HELP mtedge_test_errors_total Errors.\n"
            "# TYPE mtedge_test_errors_total counter\n"
            "mtedge_test_errors_total 0\n");
  EXPECT_EQ(prometheus_adapter_text({}), "");
}

// Counts its own creation: worker i adds i + 1.
class CountingAdapter : public backend::BackendAdapter {
 public:
  explicit CountingAdapter(const backend::AdapterContext& ctx) {
    ctx.metrics->counter("mtedge_test_created_total", "Adapters created, weighted.")
        .add(ctx.worker + 1);
  }
  void on_open(const backend::ConnInfo&) override {}
  bool on_frame(const backend::Frame&) override { return true; }
  void on_close(backend::ConnId, backend::CloseReason) override {}
};

TEST(GatewayAdapterMetrics, GatewayExportsEveryWorkersCounters) {
  Config c;
  c.gateway.workers = 3;
  c.gateway.shutdown_timeout_ms = 2000;
  ListenerConfig l;
  l.name = "test";
  l.address_text = "127.0.0.1:0";
  l.address = parse_address(l.address_text).value();
  l.transports = {codecs::TransportKind::kIntermediate};
  c.listeners.push_back(l);
  c.backend_type = "counting";
  c.make_adapter = [](const backend::AdapterContext& ctx) {
    return std::make_unique<CountingAdapter>(ctx);
  };
  Gateway gw(std::move(c));
  ASSERT_TRUE(gw.start().is_ok());
  const std::string text = gw.metrics_text();
  EXPECT_NE(text.find("# HELP mtedge_test_created_total Adapters created, weighted.\n"
                      "# TYPE mtedge_test_created_total counter\n"
                      "mtedge_test_created_total 6\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("mtedge_workers 3\n"), std::string::npos);
  // No edge decryption, no key store: its gauges are absent rather than zero.
  EXPECT_EQ(text.find("mtedge_auth_keys"), std::string::npos);
  gw.begin_shutdown();
  gw.wait();
}

// The edge key store's size and counters, as the gateway appends them with edge decryption.
TEST(GatewayKeyStoreMetrics, SizeEvictionsAndRefusals) {
  auto store = mtproto::MemoryAuthKeyStore::open({.max_keys = 1}).value();
  auto key_of = [](uint8_t fill) {
    std::array<uint8_t, 256> data;
    data.fill(fill);
    mtproto::StoredAuthKey k;
    k.key = mtproto::AuthKey(data);
    return k;
  };
  ASSERT_TRUE(store->insert(key_of(7)).value());
  const mtproto::StoredAuthKey another = key_of(9);
  EXPECT_FALSE(store->insert(another).is_ok());  // full of permanent keys
  const std::string text = prometheus_key_store_text(*store);
  EXPECT_NE(text.find("# TYPE mtedge_auth_keys gauge\nmtedge_auth_keys 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("mtedge_auth_keys_evicted_total 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("mtedge_auth_keys_refused_total 1\n"), std::string::npos) << text;
}

// The DH pair pool's gauge and counters, as the gateway appends them with dh_precompute > 0.
TEST(GatewayDhPoolMetrics, PairsTakenAndMisses) {
  const std::string text =
      prometheus_dh_pool_text({.size = 3, .capacity = 64, .taken = 5, .misses = 2});
  EXPECT_NE(text.find("# TYPE mtedge_dh_pool_pairs gauge\nmtedge_dh_pool_pairs 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE mtedge_dh_pool_taken_total counter\nmtedge_dh_pool_taken_total 5\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("# TYPE mtedge_dh_pool_misses_total counter\nmtedge_dh_pool_misses_total 2\n"),
      std::string::npos)
      << text;
}

}  // namespace
}  // namespace mtedge::gateway
