// Server-side cost of the DH handshake: what one unauthenticated peer can make the server
// spend. Client work (factoring pq, RSA encryption, its own modexps) runs with the timer
// paused; only HandshakeServer work is measured.
#include <benchmark/benchmark.h>

#include <string>

#include "mtproto/auth_keys/memory_auth_key_store.h"
#include "mtproto/handshake/handshake_client.h"
#include "mtproto/handshake/handshake_server.h"

using namespace mtedge;
using namespace mtedge::mtproto;

namespace {

const crypto::RsaPrivateKey& key() {
  static crypto::RsaPrivateKey k =
      crypto::RsaPrivateKey::from_pem_file(std::string(MTEDGE_VECTORS_DIR) + "/test_rsa_2048.pem")
          .value();
  return k;
}

std::shared_ptr<HandshakeContext> context() {
  static auto ctx = [] {
    HandshakeConfig cfg;
    cfg.max_exchanges = 1'000'000;
    auto store = MemoryAuthKeyStore::open({});
    return HandshakeContext::create(cfg, {key()},
                                    std::shared_ptr<AuthKeyStore>(std::move(store).value()))
        .value();
  }();
  return ctx;
}

HandshakeClientOptions options(RsaEncoding enc) {
  HandshakeClientOptions o;
  o.server_key = key().public_key();
  o.encoding = enc;
  return o;
}

// stage: 0 = whole handshake, 1 = req_pq only, 2 = req_DH_params only, 3 = set_client_DH_params
// only.
void run(benchmark::State& state, RsaEncoding enc, int stage) {
  int64_t now = 1'700'000'000'000;
  for (auto _ : state) {
    state.PauseTiming();
    HandshakeServer server(context(), "bench");
    HandshakeClient client(options(enc));
    Bytes req_pq = client.req_pq();
    if (stage <= 1) state.ResumeTiming();
    auto res = server.handle_body(req_pq, now);
    if (stage <= 1) state.PauseTiming();
    Bytes req_dh = client.on_res_pq(res.reply).value();
    if (stage == 0 || stage == 2) state.ResumeTiming();
    auto dh = server.handle_body(req_dh, now);
    if (stage == 0 || stage == 2) state.PauseTiming();
    Bytes set = client.on_server_dh_params(dh.reply).value();
    if (stage == 0 || stage == 3) state.ResumeTiming();
    auto gen = server.handle_body(set, now);
    if (stage == 0 || stage == 3) state.PauseTiming();
    if (!gen.completed) state.SkipWithError("handshake failed");
    now += 1;
    state.ResumeTiming();
  }
}

void BM_ServerHandshake_RsaPad(benchmark::State& s) {
  run(s, RsaEncoding::kRsaPad, 0);
}
void BM_ServerHandshake_Legacy(benchmark::State& s) {
  run(s, RsaEncoding::kLegacySha1, 0);
}
void BM_Server_ReqPq(benchmark::State& s) {
  run(s, RsaEncoding::kRsaPad, 1);
}
void BM_Server_ReqDhParams(benchmark::State& s) {
  run(s, RsaEncoding::kRsaPad, 2);
}
void BM_Server_SetClientDhParams(benchmark::State& s) {
  run(s, RsaEncoding::kRsaPad, 3);
}

void BM_RsaDecryptRaw(benchmark::State& state) {
  crypto::RsaBlock block{};
  block[1] = 1;
  auto cipher = key().public_key().encrypt_raw(block).value();
  for (auto _ : state) benchmark::DoNotOptimize(key().decrypt_raw(cipher));
}

}  // namespace

// Fixed iteration counts: client work runs with the timer paused and would otherwise make
// the cheap stages (req_pq) run for a very long time to reach the minimum measured time.
BENCHMARK(BM_ServerHandshake_RsaPad)->Unit(benchmark::kMicrosecond)->Iterations(200);
BENCHMARK(BM_ServerHandshake_Legacy)->Unit(benchmark::kMicrosecond)->Iterations(200);
BENCHMARK(BM_Server_ReqPq)->Unit(benchmark::kMicrosecond)->Iterations(200);
BENCHMARK(BM_Server_ReqDhParams)->Unit(benchmark::kMicrosecond)->Iterations(200);
BENCHMARK(BM_Server_SetClientDhParams)->Unit(benchmark::kMicrosecond)->Iterations(200);
BENCHMARK(BM_RsaDecryptRaw)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
