// CPU the embedded backend's session layer (SessionService::handle: decode, budgets, session
// layer, API call) spends on one decrypted packet, for the worst packets a client can build
// (docs/backends/embedded.md, "Work per packet") beside an ordinary 1 KiB request. Prints one
// table: CPU per packet, and CPU per KiB received as a ratio to the ordinary request's. A
// packet smaller than 1 KiB counts as 1 KiB (the ordinary request's size): what a client can
// make the server spend per KiB it uploads, with each packet paying at least the ordinary one's
// share.
//
//   mtedge_session_bench [--seconds S] [--json FILE]
//
// --seconds: measured thread CPU time per row (default 0.3). --json: also writes the baseline
// and the worst ratios there (bench/run prints them under "Targets").
#include <spdlog/spdlog.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend-adapters/embedded/session/gzip.h"
#include "backend-adapters/embedded/session/service_ids.h"
#include "backend-adapters/embedded/session/session_service.h"
#include "bench/bench_args.h"
#include "mtproto/tl/schema.h"
#include "mtproto/tl/tl_writer.h"
#include "tests/support/embedded_bodies.h"

using namespace mtedge;
using namespace mtedge::backend;
using namespace mtedge::backend::embedded;
using mtproto::TlWriter;
using testing::ids_body;

namespace {

constexpr size_t kMaxFrameBody = 4u << 20;  // gateway max_frame_bytes (4 MiB + 4 KiB) less headers
constexpr uint32_t kHelpGetConfig = 0xc4f9186b;

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// A packet whose msg_ids and seq_nos are stamped afresh before each send.
struct Packet {
  struct Slot {
    size_t offset;  // of the item's msg_id; its seq_no follows
    bool content_related;
  };
  Bytes body;
  std::vector<Slot> items;  // container items (empty: a single message)
  bool content_related = false;
};

// Ids and seq_nos as a correct client makes them.
struct Client {
  int64_t last = 0;
  int32_t content = 0;
  int64_t next_id() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t id = (int64_t(ts.tv_sec) << 32) & ~int64_t(3);
    last = std::max(last + 4, id);
    return last;
  }
  int32_t next_seq(bool content_related) {
    int32_t seq = content * 2 + (content_related ? 1 : 0);
    if (content_related) ++content;
    return seq;
  }
};

Bytes u32(uint32_t v) {
  return testing::u32_body(v);
}

// invokeWithLayer(193, initConnection(flags, ..., [params], query)), device_model padded to
// make the whole `size` bytes (0: no padding).
Bytes init_connection(ByteView query, size_t size = 0, ByteView params = {}) {
  auto build = [&](size_t pad) {
    Bytes b;
    TlWriter w(b);
    w.write_uint32(ids::kInvokeWithLayer);
    w.write_int32(193);
    w.write_uint32(ids::kInitConnection);
    w.write_uint32(params.empty() ? 0 : 2);
    w.write_int32(6);
    w.write_string(std::string(pad + 8, 'd'));
    for (const char* s : {"Linux", "1.0", "en", "", "en"}) w.write_string(s);
    w.write_raw(params);
    w.write_raw(query);
    return b;
  };
  Bytes b = build(0);
  if (size > b.size()) b = build(size - b.size());
  return b;
}

Packet single(Bytes body, bool content_related) {
  Packet p;
  p.body = std::move(body);
  p.content_related = content_related;
  return p;
}

Packet container(size_t count, ByteView item, bool content_related) {
  Packet p;
  TlWriter w(p.body);
  w.write_uint32(ids::kMsgContainer);
  w.write_uint32(uint32_t(count));
  for (size_t i = 0; i < count; ++i) {
    p.items.push_back({p.body.size(), content_related});
    w.write_int64(0);
    w.write_int32(0);
    w.write_int32(int32_t(item.size()));
    w.write_raw(item);
  }
  return p;
}

// The largest count of `item` a container within the frame (and 1024 items) can hold.
size_t fill(ByteView item) {
  return std::min<size_t>(1024, (kMaxFrameBody - 8) / (item.size() + 16));
}

struct Row {
  std::string name;
  std::function<Packet(int64_t stored_answer)> make;
  bool baseline = false;
  // Measured:
  size_t bytes = 0;
  double us_per_packet = 0;
  bool refused = false;
};

class Bench {
 public:
  Bench() {
    auto schemas = mtproto::tl::SchemaSet::load_embedded();
    if (!schemas) {
      std::fprintf(stderr, "session_bench: %s\n", schemas.message().c_str());
      std::exit(1);
    }
    schemas_ = schemas.value();
  }

  void run(Row& row, double seconds) {
    SessionService svc(EmbeddedConfig{}, schemas_);
    Client client;
    ++key_;
    // A session with a stored answer (for the resend rows) and a full unacked queue.
    int64_t stored = 0;
    for (int i = 0; i < 300; ++i) {
      Packet p = single(init_connection(u32(kHelpGetConfig)), true);
      Outcome out = send(svc, client, p);
      for (const OutMessage& m : out.replies) {
        if (load_le32(m.body->data()) == ids::kRpcResult) stored = m.msg_id;
      }
    }
    Packet packet = row.make(stored);
    row.bytes = packet.body.size();
    send(svc, client, packet);  // warm up
    size_t n = 0;
    double cpu = 0;
    while (cpu < seconds || n < 3) {
      const double start = thread_cpu_s();
      Outcome out = send(svc, client, packet);
      cpu += thread_cpu_s() - start;
      row.refused = out.over_budget;
      ++n;
    }
    row.us_per_packet = cpu / double(n) * 1e6;
  }

 private:
  Outcome send(SessionService& svc, Client& client, Packet& packet) {
    for (const Packet::Slot& slot : packet.items) {
      const int64_t id = client.next_id();
      const int32_t seq = client.next_seq(slot.content_related);
      std::memcpy(packet.body.data() + slot.offset, &id, 8);
      std::memcpy(packet.body.data() + slot.offset + 8, &seq, 4);
    }
    Frame f;
    f.conn_id = make_conn_id(0, 1);
    f.kind = FrameKind::kDecrypted;
    f.auth_key_id = key_;
    f.salt = svc.current_salt(key_, system_clock_now());
    f.session_id = 1;
    f.msg_id = client.next_id();
    f.seq_no = client.next_seq(packet.content_related);
    f.body = packet.body;
    return svc.handle(f.conn_id, f);
  }

  std::shared_ptr<const mtproto::tl::SchemaSet> schemas_;
  uint64_t key_ = 0x1000;
};

// A row name with its item count.
std::string fmt_name(const char* what, size_t items) {
  return "container " + std::to_string(items) + " x " + what;
}

std::vector<Row> rows() {
  std::vector<Row> r;
  r.push_back({"ordinary: help.getConfig in initConnection, 1 KiB",
               [](int64_t) { return single(init_connection(u32(kHelpGetConfig), 1024), true); },
               true});
  r.push_back({"ordinary: ping", [](int64_t) {
                 Bytes b;
                 TlWriter w(b);
                 w.write_uint32(ids::kPing);
                 w.write_int64(7);
                 return single(b, false);
               }});
  r.push_back({"container 1024 x gzip_packed(gzip_packed(1 MiB zeros))", [](int64_t) {
                 return container(1024, gzip_packed(gzip_packed(Bytes(1u << 20, 0))), true);
               }});
  r.push_back({"container 1024 x gzip_packed(64 KiB zeros)",
               [](int64_t) { return container(1024, gzip_packed(Bytes(64 * 1024, 0)), true); }});
  r.push_back({"gzip_packed(7 KiB zeros): inflates to just under the budget",
               [](int64_t) { return single(gzip_packed(Bytes(7 * 1024, 0)), true); }});
  r.push_back({"container of gzip_packed(64 KiB random) at the max frame", [](int64_t) {
                 Bytes noise(64 * 1024);
                 uint64_t x = 88172645463325252ull;
                 for (auto& b : noise) {
                   x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                   b = uint8_t(x);
                 }
                 Bytes item = gzip_packed(noise);
                 return container(fill(item), item, true);
               }});
  r.push_back({"initConnection params = jsonArray(jsonNull x 1M), 4 MiB", [](int64_t) {
                 Bytes params = testing::json_nulls(uint32_t((kMaxFrameBody - 256) / 4 - 3));
                 return single(init_connection(u32(kHelpGetConfig), 0, params), true);
               }});
  r.push_back({"gzip_packed(initConnection params = jsonNull x 262k)", [](int64_t) {
                 Bytes params = testing::json_nulls(262000);
                 return single(gzip_packed(init_connection(u32(kHelpGetConfig), 0, params)), true);
               }});
  auto ids_rows = [&](const char* what, uint32_t constructor, bool same) {
    for (size_t items : {size_t(7), size_t(64)}) {
      r.push_back({fmt_name(what, items), [constructor, same, items](int64_t stored) {
                     std::vector<int64_t> list(8192, stored);
                     if (!same) {
                       for (size_t i = 0; i < list.size(); ++i) list[i] = stored + int64_t(i) * 4;
                     }
                     return container(items, ids_body(constructor, list), false);
                   }});
    }
  };
  ids_rows("msgs_ack(8192 ids)", ids::kMsgsAck, false);
  ids_rows("msg_resend_req(8192 x one stored id)", ids::kMsgResendReq, true);
  ids_rows("msgs_state_req(8192 ids)", ids::kMsgsStateReq, false);
  r.push_back({"container 1024 x ping", [](int64_t) {
                 Bytes b;
                 TlWriter w(b);
                 w.write_uint32(ids::kPing);
                 w.write_int64(7);
                 return container(1024, b, false);
               }});
  r.push_back({"container 1024 x help.getConfig",
               [](int64_t) { return container(1024, u32(kHelpGetConfig), true); }});
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  bench::BenchArgs args{0.3};
  if (!bench::parse_bench_args(argc, argv, args)) return 2;
  const double seconds = args.seconds;
  const char* json = args.json;
  spdlog::set_level(spdlog::level::off);  // the unacked-queue warning of a client that never acks
  Bench bench;
  std::vector<Row> all = rows();
  for (Row& row : all) bench.run(row, seconds);
  const Row& base = *std::find_if(all.begin(), all.end(), [](const Row& r) { return r.baseline; });
  auto us_per_kib = [](const Row& row) {
    return row.us_per_packet * 1024.0 / double(std::max<size_t>(row.bytes, 1024));
  };
  double worst_packet = 0;
  double worst_byte = 0;
  std::printf(
      "| packet | bytes | refused | cpu us/packet | cpu us/KiB | x ordinary per packet | "
      "x ordinary per KiB |\n|---|---|---|---|---|---|---|\n");
  for (const Row& row : all) {
    const double by_packet = row.us_per_packet / base.us_per_packet;
    const double by_byte = us_per_kib(row) / us_per_kib(base);
    if (!row.baseline) {
      worst_packet = std::max(worst_packet, by_packet);
      worst_byte = std::max(worst_byte, by_byte);
    }
    std::printf("| %s | %zu | %s | %.1f | %.2f | %.1fx | %.2fx |\n", row.name.c_str(), row.bytes,
                row.refused ? "yes" : "no", row.us_per_packet, us_per_kib(row), by_packet, by_byte);
  }
  std::printf(
      "\nworst packet / ordinary 1 KiB request: %.2fx per KiB received (target <= 10x); "
      "%.1fx per packet\n",
      worst_byte, worst_packet);
  if (json != nullptr) {
    if (FILE* f = std::fopen(json, "w")) {
      std::fprintf(f,
                   "{\"baseline_us\": %.3f, \"worst_per_packet\": %.3f, \"worst_per_kib\": %.3f}\n",
                   base.us_per_packet, worst_packet, worst_byte);
      std::fclose(f);
    }
  }
  return 0;
}
