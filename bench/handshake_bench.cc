// Server-side CPU of the DH handshake beside its crypto floor, in one run (docs/performance.md
// "Handshakes near the crypto floor"). Client work (factoring pq, RSA encryption, its own
// modexps) and the pool's refill are outside the timed sections; every number is the thread's
// CPU time (CLOCK_THREAD_CPUTIME_ID), so a loaded machine inflates it less than wall time.
//
//   mtedge_handshake_bench [--seconds S] [--json FILE]
//
// Rows, each the median over rounds of the mean per operation (the rounds interleave every row,
// so a drift of a shared machine hits all of them):
//   RSA-2048 private op         RsaPrivateKey::decrypt_raw (CRT, blinding: OpenSSL's)
//   modexp 2048                 g_b^a mod p, 2048-bit base and secret exponent, constant-time
//   precompute (b, g^b)         DhPairPool::refill_one: one pair for the pool
//   handshake, warm pool        req_pq + req_DH_params + set_client_DH_params, (a, g_a) taken
//                               from the pool: the CPU on the handshake's critical path
//   handshake, no pool          the same with the pool empty: g^a computed inline
//   handshake total             warm critical path + precompute: all the CPU one handshake costs
// and the ratios against the goals: critical path <= 1.25 x (RSA + modexp), total <= 1.1 x
// (RSA + 2 modexps).
//
// --seconds: how long the run takes, client work included (default 3; at least 5 rounds). --json:
// also writes the rows and ratios there (bench/run prints them).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bench/bench_args.h"
#include "crypto/random.h"
#include "mtproto/auth_keys/memory_auth_key_store.h"
#include "mtproto/handshake/handshake_client.h"
#include "mtproto/handshake/handshake_server.h"

using namespace mtedge;
using namespace mtedge::mtproto;

namespace {

constexpr int kPerRound = 4;  // operations of each row per round
constexpr double kCriticalGoal = 1.25;
constexpr double kTotalGoal = 1.1;

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

const crypto::RsaPrivateKey& key() {
  static crypto::RsaPrivateKey k =
      crypto::RsaPrivateKey::from_pem_file(std::string(MTEDGE_VECTORS_DIR) + "/test_rsa_2048.pem")
          .value();
  return k;
}

std::shared_ptr<HandshakeContext> context(size_t pool) {
  HandshakeConfig cfg;
  cfg.max_exchanges = 1'000'000;
  cfg.dh_precompute = pool;
  auto store = MemoryAuthKeyStore::open({});
  return HandshakeContext::create(cfg, {key()},
                                  std::shared_ptr<AuthKeyStore>(std::move(store).value()))
      .value();
}

// One whole handshake against `ctx`; returns the server's CPU in microseconds (client work
// untimed), or a negative value when it did not complete.
double server_handshake_us(const std::shared_ptr<HandshakeContext>& ctx, int64_t now) {
  HandshakeServer server(ctx, "bench");
  HandshakeClientOptions options;
  options.server_key = key().public_key();
  HandshakeClient client(options);
  double spent = 0;
  auto timed = [&](ByteView body) {
    const double start = thread_cpu_us();
    HandshakeOutput out = server.handle_body(body, now);
    spent += thread_cpu_us() - start;
    return out;
  };
  HandshakeOutput res = timed(client.req_pq());
  auto req_dh = client.on_res_pq(res.reply);
  if (!req_dh) return -1;
  HandshakeOutput dh = timed(*req_dh);
  auto set = client.on_server_dh_params(dh.reply);
  if (!set) return -1;
  HandshakeOutput gen = timed(*set);
  return gen.completed ? spent : -1;
}

struct Row {
  const char* name;
  std::function<double()> one;  // runs one operation, returns its CPU in us (<0: failed)
  std::vector<double> round_means;
  double median() const {
    std::vector<double> v = round_means;
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
  }
};

double timed_us(const std::function<bool()>& op) {
  const double start = thread_cpu_us();
  const bool ok = op();
  const double spent = thread_cpu_us() - start;
  return ok ? spent : -1;
}

}  // namespace

int main(int argc, char** argv) {
  bench::BenchArgs args{3.0};
  if (!bench::parse_bench_args(argc, argv, args)) return 2;

  auto warm = context(kPerRound);
  auto cold = context(0);
  DhPairPool& pool = *warm->dh_pool();
  const crypto::MontgomeryModulus& modulus = warm->modulus();

  crypto::RsaBlock block{};
  crypto::random_bytes(MutableByteView(block).subspan(1));
  const crypto::RsaBlock cipher = key().public_key().encrypt_raw(block).value();
  const DhPair peer = compute_dh_pair(warm->group(), modulus).value();  // a client's g_b
  Bytes secret(256);
  int64_t now = 1'700'000'000'000;

  std::vector<Row> rows;
  rows.push_back({"RSA-2048 private op",
                  [&] { return timed_us([&] { return key().decrypt_raw(cipher).is_ok(); }); }});
  rows.push_back({"modexp 2048 (g_b^a mod p)", [&] {
                    crypto::random_bytes(secret);
                    return timed_us(
                        [&] { return modulus.pow(peer.public_value, secret, 256).is_ok(); });
                  }});
  // The pool has room for kPerRound pairs: each round's handshakes take what this row made.
  rows.push_back(
      {"precompute (b, g^b)", [&] { return timed_us([&] { return pool.refill_one(); }); }});
  rows.push_back({"handshake, warm pool", [&] { return server_handshake_us(warm, ++now); }});
  rows.push_back({"handshake, no pool", [&] { return server_handshake_us(cold, ++now); }});

  const auto start = std::chrono::steady_clock::now();
  auto elapsed_s = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  for (int round = 0; round < 5 || elapsed_s() < args.seconds; ++round) {
    for (Row& row : rows) {
      double sum = 0;
      for (int i = 0; i < kPerRound; ++i) {
        const double us = row.one();
        if (us < 0) {
          std::fprintf(stderr, "%s failed\n", row.name);
          return 1;
        }
        sum += us;
      }
      row.round_means.push_back(sum / kPerRound);
    }
  }
  const double rsa = rows[0].median(), modexp = rows[1].median(), pre = rows[2].median();
  const double critical = rows[3].median(), no_pool = rows[4].median();
  const double total = critical + pre;
  const double critical_ratio = critical / (rsa + modexp);
  const double total_ratio = total / (rsa + 2 * modexp);

  std::printf("Server DH handshake CPU beside its floor (thread CPU, median of %zu rounds of %d)\n",
              rows[0].round_means.size(), kPerRound);
  std::printf("| what | CPU us |\n|---|---|\n");
  for (const Row& row : rows) std::printf("| %s | %.0f |\n", row.name, row.median());
  std::printf("| handshake total (warm + precompute) | %.0f |\n", total);
  std::printf(
      "\ncritical path / (RSA + modexp) = %.2fx (goal <= %.2fx: %s)\n"
      "total / (RSA + 2 modexps) = %.2fx (goal <= %.2fx: %s)\n"
      "no pool / (RSA + 2 modexps) = %.2fx (the handshake without precompute)\n",
      critical_ratio, kCriticalGoal, critical_ratio <= kCriticalGoal ? "met" : "NOT met",
      total_ratio, kTotalGoal, total_ratio <= kTotalGoal ? "met" : "NOT met",
      no_pool / (rsa + 2 * modexp));
  if (args.json != nullptr) {
    if (FILE* f = std::fopen(args.json, "w")) {
      std::fprintf(f,
                   "{\"rsa_us\": %.1f, \"modexp_us\": %.1f, \"precompute_us\": %.1f, "
                   "\"critical_us\": %.1f, \"no_pool_us\": %.1f, \"total_us\": %.1f, "
                   "\"critical_ratio\": %.3f, \"total_ratio\": %.3f}\n",
                   rsa, modexp, pre, critical, no_pool, total, critical_ratio, total_ratio);
      std::fclose(f);
    }
  }
  return 0;
}
