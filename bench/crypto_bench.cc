// Micro-benchmarks of the MTProto crypto stage, with the AES-NI floor and OpenSSL's
// AES_ige_encrypt side by side so ratios can be read from one run.
//
// Sizes are the encrypted part of a message (plaintext incl. header and padding, what IGE and
// msg_key run over): 64 B, 256 B, 1 KiB, 16 KiB. items/s = frames/s on one core.
#define OPENSSL_SUPPRESS_DEPRECATED  // AES_ige_encrypt: the reference being compared against
#include <benchmark/benchmark.h>
#include <openssl/aes.h>

#include <cstring>
#include <random>

#include "crypto/aes_ige.h"
#include "crypto/cpu_features.h"
#include "crypto/hash.h"
#include "mtproto/keys/kdf.h"
#include "mtproto/message/message.h"

namespace mm = mtedge::mtproto;
namespace crypto = mtedge::crypto;
using mtedge::Bytes;

namespace {

const mm::AuthKey& bench_key() {
  static const mm::AuthKey key = [] {
    std::array<uint8_t, 256> raw;
    std::mt19937 rng(1);
    for (auto& b : raw) b = uint8_t(rng());
    return mm::AuthKey(raw);
  }();
  return key;
}

// Body size giving an encrypted part of exactly `size` bytes (32 header + body + 16 padding).
size_t body_for(size_t size) {
  return size - 32 - 16;
}

void fast_random(mtedge::MutableByteView out) {
  std::memset(out.data(), 0x5a, out.size());
}

void set_counters(benchmark::State& state, size_t size) {
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(size));
  state.SetItemsProcessed(int64_t(state.iterations()));
}

// Client->server message: msg_key check, KDF, IGE decrypt in place, all the checks of
// docs/spec/wire-notes.md §6.4.
void BM_DecryptVerify(benchmark::State& state) {
  const size_t size = size_t(state.range(0));
  const Bytes body(body_for(size), 0x11);
  Bytes payload;
  auto st = mm::encrypt_message(bench_key(), mm::OutgoingMessage{1, 2, 4, 1, body}, payload,
                                fast_random, mm::EncryptOptions{mm::Direction::kClientToServer, 0});
  if (!st || payload.size() != size + 24) state.SkipWithError("bad setup");
  Bytes work(payload.size());
  for (auto _ : state) {
    std::memcpy(work.data(), payload.data(), payload.size());  // decrypt is in place
    auto r = mm::decrypt_message(bench_key(), work);
    if (!r) state.SkipWithError("decrypt failed");
    benchmark::DoNotOptimize(r);
  }
  set_counters(state, size);
}

// Server->client message (x = 8) with RAND_bytes padding, appended to a reused buffer.
void BM_Encrypt(benchmark::State& state) {
  const size_t size = size_t(state.range(0));
  const Bytes body(body_for(size), 0x11);
  const crypto::RandomSource random = crypto::secure_random_source();
  Bytes out;
  out.reserve(size + 64);
  for (auto _ : state) {
    out.clear();
    auto st = mm::encrypt_message(bench_key(), mm::OutgoingMessage{1, 2, 5, 1, body}, out, random);
    benchmark::DoNotOptimize(out.data());
    if (!st) state.SkipWithError("encrypt failed");
  }
  set_counters(state, size);
}

// Same with a free "random" source, to show what RAND_bytes for the padding costs.
void BM_EncryptNoRand(benchmark::State& state) {
  const size_t size = size_t(state.range(0));
  const Bytes body(body_for(size), 0x11);
  const crypto::RandomSource random = fast_random;
  Bytes out;
  out.reserve(size + 64);
  for (auto _ : state) {
    out.clear();
    auto st = mm::encrypt_message(bench_key(), mm::OutgoingMessage{1, 2, 5, 1, body}, out, random);
    benchmark::DoNotOptimize(out.data());
    if (!st) state.SkipWithError("encrypt failed");
  }
  set_counters(state, size);
}

// IGE decrypt including the per-message key schedule, per backend.
template <crypto::AesImpl Impl>
void BM_IgeDecrypt(benchmark::State& state) {
  if (Impl == crypto::AesImpl::kAesNi && !crypto::cpu_has_aes_ni()) {
    state.SkipWithError("no AES-NI");
    return;
  }
  const size_t size = size_t(state.range(0));
  crypto::AesKey key{};
  crypto::AesIgeIv iv{};
  key[0] = 1;
  Bytes buf(size, 0x22);
  for (auto _ : state) {
    crypto::aes_ige_decrypt(key, iv, buf.data(), buf.data(), size, Impl);
    benchmark::ClobberMemory();
  }
  set_counters(state, size);
}

template <crypto::AesImpl Impl>
void BM_IgeEncrypt(benchmark::State& state) {
  if (Impl == crypto::AesImpl::kAesNi && !crypto::cpu_has_aes_ni()) {
    state.SkipWithError("no AES-NI");
    return;
  }
  const size_t size = size_t(state.range(0));
  crypto::AesKey key{};
  crypto::AesIgeIv iv{};
  key[0] = 1;
  Bytes buf(size, 0x22);
  for (auto _ : state) {
    crypto::aes_ige_encrypt(key, iv, buf.data(), buf.data(), size, Impl);
    benchmark::ClobberMemory();
  }
  set_counters(state, size);
}

// OpenSSL's AES_ige_encrypt (no AES-NI in 3.0), key schedule per message like ours.
void BM_IgeDecryptOpenSslAesIge(benchmark::State& state) {
  const size_t size = size_t(state.range(0));
  uint8_t key[32] = {1};
  Bytes buf(size, 0x22), out(size);
  for (auto _ : state) {
    AES_KEY k;
    AES_set_decrypt_key(key, 256, &k);
    uint8_t iv[32] = {};
    AES_ige_encrypt(buf.data(), out.data(), size, &k, iv, AES_DECRYPT);
    benchmark::ClobberMemory();
  }
  set_counters(state, size);
}

void BM_IgeEncryptOpenSslAesIge(benchmark::State& state) {
  const size_t size = size_t(state.range(0));
  uint8_t key[32] = {1};
  Bytes buf(size, 0x22), out(size);
  for (auto _ : state) {
    AES_KEY k;
    AES_set_encrypt_key(key, 256, &k);
    uint8_t iv[32] = {};
    AES_ige_encrypt(buf.data(), out.data(), size, &k, iv, AES_ENCRYPT);
    benchmark::ClobberMemory();
  }
  set_counters(state, size);
}

// The AES-NI floor: raw AES-256 blocks on intrinsics, each block chained on the previous one
// (the serial dependency IGE has), key schedule included. Nothing that runs IGE on one message
// can beat this per byte.
void BM_AesNiFloorChained(benchmark::State& state) {
  if (!crypto::cpu_has_aes_ni()) {
    state.SkipWithError("no AES-NI");
    return;
  }
  const size_t size = size_t(state.range(0));
  crypto::AesKey key{};
  Bytes buf(size, 0x33);
  for (auto _ : state) {
    crypto::aes_ecb_encrypt_blocks(key, buf.data(), buf.data(), size, true,
                                   crypto::AesImpl::kAesNi);
    benchmark::ClobberMemory();
  }
  set_counters(state, size);
}

// Independent blocks (4 in flight): the throughput bound when no chain exists (e.g. several
// frames interleaved), for reference.
void BM_AesNiParallelEcb(benchmark::State& state) {
  if (!crypto::cpu_has_aes_ni()) {
    state.SkipWithError("no AES-NI");
    return;
  }
  const size_t size = size_t(state.range(0));
  crypto::AesKey key{};
  Bytes buf(size, 0x33);
  for (auto _ : state) {
    crypto::aes_ecb_encrypt_blocks(key, buf.data(), buf.data(), size, false,
                                   crypto::AesImpl::kAesNi);
    benchmark::ClobberMemory();
  }
  set_counters(state, size);
}

// SHA-256 over 32 + size bytes: the msg_key hash part of the stage.
void BM_MsgKeySha256(benchmark::State& state) {
  const size_t size = size_t(state.range(0));
  const Bytes plain(size, 0x44);
  for (auto _ : state) {
    auto r = mm::compute_msg_key(bench_key(), plain, mm::Direction::kClientToServer);
    benchmark::DoNotOptimize(r);
  }
  set_counters(state, size);
}

void sizes(benchmark::internal::Benchmark* b) {
  for (int s : {64, 256, 1024, 16384}) b->Arg(s);
}

}  // namespace

BENCHMARK(BM_AesNiFloorChained)->Apply(sizes);
BENCHMARK(BM_AesNiParallelEcb)->Apply(sizes);
BENCHMARK(BM_DecryptVerify)->Apply(sizes);
BENCHMARK(BM_Encrypt)->Apply(sizes);
BENCHMARK(BM_EncryptNoRand)->Apply(sizes);
BENCHMARK(BM_MsgKeySha256)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_IgeDecrypt, crypto::AesImpl::kAesNi)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_IgeDecrypt, crypto::AesImpl::kPortable)->Apply(sizes);
BENCHMARK(BM_IgeDecryptOpenSslAesIge)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_IgeEncrypt, crypto::AesImpl::kAesNi)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_IgeEncrypt, crypto::AesImpl::kPortable)->Apply(sizes);
BENCHMARK(BM_IgeEncryptOpenSslAesIge)->Apply(sizes);

BENCHMARK_MAIN();
