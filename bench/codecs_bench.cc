// Micro-benchmarks of the transport codecs: decode (through FrameReader / TransportStack,
// the way the gateway reads) and encode, for 64 B and 16 KiB payloads: the four plain
// framers, obfuscated2 (AES-256-CTR stage), fake-TLS (records around obfuscated2), WebSocket
// (masked client frames around obfuscated2) and HTTP (POST /api requests, 200 answers; the
// server codec). Each decode iteration feeds a buffer of many frames in one read (HTTP: 16
// pipelined requests, the codec's default cap), so per-frame numbers include the reader's
// loop.
//
// Floors, printed beside them: BM_Floor_Memcpy copies the same bytes once (what any framer
// that touches its input costs at least), BM_Floor_AesCtr XORs them with the AES-256-CTR
// keystream once (what obfuscated2 costs at least, per direction).
//
// AES-256-CTR itself, side by side at 64 B, 1 KiB and 16 KiB: BM_AesCtrApply/automatic (what
// AesCtr picks on this CPU: AES-NI with the VAES batches when the CPU has VAES, labelled
// "vaes" or "aes-ni"), BM_AesCtrApply/aes_ni (AesCtr's inline AES-NI path without VAES),
// BM_AesCtrApply/evp (AesCtr forced onto its EVP fallback) and BM_AesCtrRawEvp
// (EVP_EncryptUpdate on an AES-256-CTR context, OpenSSL's aesni_ctr32 asm), so the ratios
// between the paths and to OpenSSL can be read from one run.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "codecs/core/frame_reader.h"
#include "codecs/core/transport_stack.h"
#include "codecs/framers/framers.h"
#include "codecs/http/http_client_codec.h"
#include "codecs/http/http_server_codec.h"
#include "codecs/obfuscated/aes_ctr_stage.h"
#include "codecs/obfuscated/obfuscated2.h"
#include "codecs/obfuscated/tls_record_stage.h"
#include "codecs/websocket/ws_stream_stage.h"
#include "crypto/aes_ctr.h"

namespace {

using namespace mtedge;
using namespace mtedge::codecs;

class CountingSink final : public FrameSink {
 public:
  bool on_packet(MutableByteView payload, bool) override {
    bytes += payload.size();
    return true;
  }
  size_t bytes = 0;
};

Bytes payload_of(size_t size) {
  Bytes p(size);
  for (size_t i = 0; i < size; ++i) p[i] = static_cast<uint8_t>(i * 31 + 7);
  return p;
}

// ~256 KiB of client->server frames.
Bytes client_stream(TransportKind kind, size_t size, size_t& frames) {
  auto client = make_framer(kind, Role::kClient, 1);
  Bytes payload = payload_of(size);
  Bytes out;
  frames = std::max<size_t>(1, (256 * 1024) / size);
  for (size_t i = 0; i < frames; ++i) client->encode_packet(payload, false, out);
  return out;
}

void BM_Decode(benchmark::State& state, TransportKind kind) {
  const size_t size = static_cast<size_t>(state.range(0));
  size_t frames = 0;
  const Bytes stream = client_stream(kind, size, frames);
  Bytes buffer;
  CountingSink sink;
  for (auto _ : state) {
    state.PauseTiming();
    buffer = stream;  // the reader may verify in place; start from pristine bytes
    auto server = make_framer(kind, Role::kServer, 1);
    FrameReader reader(*server, {});
    state.ResumeTiming();
    if (reader.feed(buffer, sink) != CodecError::kNone) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(sink.bytes);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * frames));
  state.SetBytesProcessed(int64_t(state.iterations() * frames * size));
}

void BM_Encode(benchmark::State& state, TransportKind kind) {
  const size_t size = static_cast<size_t>(state.range(0));
  const Bytes payload = payload_of(size);
  auto server = make_framer(kind, Role::kServer, 1);
  Bytes out;
  out.reserve(size + 64);
  for (auto _ : state) {
    out.clear();
    server->encode_packet(payload, false, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(state.iterations() * size));
}

// What carries the obfuscated2 stream.
enum class Envelope : uint8_t { kNone, kFakeTls, kWebSocket };

uint32_t fixed_mask() {
  return 0x5a3c96e1;
}

std::unique_ptr<StreamStage> envelope_stage(Envelope envelope, Role role) {
  if (envelope == Envelope::kFakeTls) return std::make_unique<obfuscated::TlsRecordStage>();
  websocket::StageOptions options;
  options.role = role;
  if (role == Role::kClient) options.mask_source = fixed_mask;
  return std::make_unique<websocket::WsStreamStage>(std::move(options));
}

// obfuscated2 (intermediate inside), optionally inside fake-TLS records or WebSocket frames:
// both ends of one connection, built from one client init.
struct ObfuscatedPair {
  ObfuscatedPair(Envelope env, size_t size, size_t& frames) : envelope(env) {
    obfuscated::ClientInit init =
        obfuscated::make_client_init(TransportKind::kIntermediate, 2, nullptr);
    keys = init.keys;
    TransportStack client(make_framer(TransportKind::kIntermediate, Role::kClient, 1), {});
    client.add_outer_stage(std::move(init.stage));
    if (envelope != Envelope::kNone)
      client.add_outer_stage(envelope_stage(envelope, Role::kClient));
    const Bytes payload = payload_of(size);
    frames = std::max<size_t>(1, (256 * 1024) / size);
    for (size_t i = 0; i < frames; ++i) client.write_packet(payload, false, stream);
  }

  // The server end, its inbound keystream past the 64-byte init.
  std::unique_ptr<TransportStack> server() const {
    auto stack = std::make_unique<TransportStack>(
        make_framer(TransportKind::kIntermediate, Role::kServer, 1), FrameLimits{});
    crypto::AesCtr in(keys.client_to_server);
    in.skip(obfuscated::kInitSize);
    stack->add_outer_stage(
        std::make_unique<AesCtrStage>(std::move(in), crypto::AesCtr(keys.server_to_client)));
    if (envelope != Envelope::kNone)
      stack->add_outer_stage(envelope_stage(envelope, Role::kServer));
    return stack;
  }

  Envelope envelope;
  obfuscated::ObfuscatedKeys keys;
  Bytes stream;
};

void BM_DecodeObfuscated(benchmark::State& state, Envelope envelope) {
  const size_t size = static_cast<size_t>(state.range(0));
  size_t frames = 0;
  const ObfuscatedPair pair(envelope, size, frames);
  Bytes buffer;
  CountingSink sink;
  for (auto _ : state) {
    state.PauseTiming();
    buffer = pair.stream;
    auto server = pair.server();
    state.ResumeTiming();
    if (server->feed(buffer, sink) != CodecError::kNone) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(sink.bytes);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * frames));
  state.SetBytesProcessed(int64_t(state.iterations() * frames * size));
}

void BM_EncodeObfuscated(benchmark::State& state, Envelope envelope) {
  const size_t size = static_cast<size_t>(state.range(0));
  size_t frames = 0;
  const ObfuscatedPair pair(envelope, 64, frames);
  auto server = pair.server();
  const Bytes payload = payload_of(size);
  Bytes out;
  out.reserve(size + 256);
  for (auto _ : state) {
    out.clear();
    server->write_packet(payload, false, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(state.iterations() * size));
}

// HTTP, the server codec: 16 pipelined POST /api requests (its default max_pipelined), each
// body one packet.
constexpr size_t kHttpBatch = 16;

class HttpSink final : public http::RequestSink {
 public:
  bool on_request(const http::Request& request) override {
    bytes += request.body.size();
    ids.push_back(request.id);
    return true;
  }
  bool on_upgrade(const http::UpgradeRequest&) override { return false; }
  size_t bytes = 0;
  std::vector<uint64_t> ids;
};

Bytes http_requests(size_t size) {
  const Bytes payload = payload_of(size);
  Bytes out;
  for (size_t i = 0; i < kHttpBatch; ++i)
    http::encode_request("/api", "localhost", payload, true, out);
  return out;
}

// Before a timed step (timing paused): a new codec, the requests' pristine bytes, no ids. The
// codec lives on until the next call, so its destruction is not timed either.
void fresh_http(std::optional<http::HttpServerCodec>& codec, Bytes& buffer, const Bytes& stream,
                HttpSink& sink) {
  codec.emplace();
  buffer = stream;
  sink.ids.clear();
}

void BM_DecodeHttp(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const Bytes stream = http_requests(size);
  Bytes buffer;
  HttpSink sink;
  std::optional<http::HttpServerCodec> codec;
  for (auto _ : state) {
    state.PauseTiming();
    fresh_http(codec, buffer, stream, sink);
    state.ResumeTiming();
    if (codec->feed(buffer, sink).error != CodecError::kNone || sink.ids.size() != kHttpBatch)
      state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(sink.bytes);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kHttpBatch));
  state.SetBytesProcessed(int64_t(state.iterations() * kHttpBatch * size));
}

// The 16 answers (200, the packet as body) and taking them as bytes to write.
void BM_EncodeHttp(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const Bytes stream = http_requests(64);
  const Bytes payload = payload_of(size);
  Bytes buffer, out;
  HttpSink sink;
  std::optional<http::HttpServerCodec> codec;
  for (auto _ : state) {
    state.PauseTiming();
    fresh_http(codec, buffer, stream, sink);
    codec->feed(buffer, sink);
    out.clear();
    state.ResumeTiming();
    for (uint64_t id : sink.ids) codec->respond(id, payload);
    codec->take_output(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kHttpBatch));
  state.SetBytesProcessed(int64_t(state.iterations() * kHttpBatch * size));
}

// Floors: one pass over a frame's bytes (payload + 4-byte header).
void BM_Floor_Memcpy(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0)) + 4;
  const Bytes from = payload_of(size);
  Bytes to(size);
  for (auto _ : state) {
    std::memcpy(to.data(), from.data(), size);
    benchmark::DoNotOptimize(to.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(state.iterations() * (size - 4)));
}

void BM_Floor_AesCtr(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0)) + 4;
  crypto::AesCtr ctr(crypto::CtrParams{});
  Bytes buf = payload_of(size);
  for (auto _ : state) {
    ctr.apply(buf);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(state.iterations() * (size - 4)));
}

// AesCtr::apply on one buffer, over and over (the keystream runs on).
void BM_AesCtrApply(benchmark::State& state, crypto::AesCtrImpl impl) {
  const size_t size = static_cast<size_t>(state.range(0));
  crypto::CtrParams params;
  params.key.fill(0x42);
  crypto::AesCtr ctr(params, impl);
  if (impl != crypto::AesCtrImpl::kEvp && !ctr.uses_aes_ni()) {
    state.SkipWithError("no AES-NI on this CPU");
    return;
  }
  if (impl == crypto::AesCtrImpl::kAuto) state.SetLabel(ctr.uses_vaes() ? "vaes" : "aes-ni");
  Bytes buf = payload_of(size);
  for (auto _ : state) {
    ctr.apply(buf);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(int64_t(state.iterations() * size));
}

// What a parked connection pays when traffic resumes: park() (wipe and free the round keys),
// then apply() (allocate and expand them again, then the AES), on the automatic path.
void BM_AesCtrParkedApply(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  crypto::CtrParams params;
  params.key.fill(0x42);
  crypto::AesCtr ctr(params);
  if (!ctr.uses_aes_ni()) {
    state.SkipWithError("no AES-NI on this CPU");
    return;
  }
  Bytes buf = payload_of(size);
  for (auto _ : state) {
    ctr.park();
    ctr.apply(buf);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(int64_t(state.iterations() * size));
}

// The reference: OpenSSL's EVP AES-256-CTR directly (one EVP_EncryptUpdate per buffer).
void BM_AesCtrRawEvp(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  uint8_t key[32], iv[16] = {};
  std::memset(key, 0x42, sizeof key);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr || EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), nullptr, key, iv) != 1) {
    state.SkipWithError("EVP init failed");
    EVP_CIPHER_CTX_free(ctx);
    return;
  }
  Bytes buf = payload_of(size);
  for (auto _ : state) {
    int n = 0;
    EVP_EncryptUpdate(ctx, buf.data(), &n, buf.data(), static_cast<int>(size));
    benchmark::ClobberMemory();
  }
  EVP_CIPHER_CTX_free(ctx);
  state.SetBytesProcessed(int64_t(state.iterations() * size));
}

#define MTEDGE_CODEC_BENCH(name, kind)                                          \
  BENCHMARK_CAPTURE(BM_Decode, name, TransportKind::kind)->Arg(64)->Arg(16384); \
  BENCHMARK_CAPTURE(BM_Encode, name, TransportKind::kind)->Arg(64)->Arg(16384);

MTEDGE_CODEC_BENCH(abridged, kAbridged)
MTEDGE_CODEC_BENCH(intermediate, kIntermediate)
MTEDGE_CODEC_BENCH(padded, kPaddedIntermediate)
MTEDGE_CODEC_BENCH(full, kFull)
BENCHMARK_CAPTURE(BM_DecodeObfuscated, obfuscated2, Envelope::kNone)->Arg(64)->Arg(16384);
BENCHMARK_CAPTURE(BM_EncodeObfuscated, obfuscated2, Envelope::kNone)->Arg(64)->Arg(16384);
BENCHMARK_CAPTURE(BM_DecodeObfuscated, fake_tls, Envelope::kFakeTls)->Arg(64)->Arg(16384);
BENCHMARK_CAPTURE(BM_EncodeObfuscated, fake_tls, Envelope::kFakeTls)->Arg(64)->Arg(16384);
BENCHMARK_CAPTURE(BM_DecodeObfuscated, websocket, Envelope::kWebSocket)->Arg(64)->Arg(16384);
BENCHMARK_CAPTURE(BM_EncodeObfuscated, websocket, Envelope::kWebSocket)->Arg(64)->Arg(16384);
BENCHMARK(BM_DecodeHttp)->Arg(64)->Arg(16384);
BENCHMARK(BM_EncodeHttp)->Arg(64)->Arg(16384);
BENCHMARK(BM_Floor_Memcpy)->Arg(64)->Arg(16384);
BENCHMARK(BM_Floor_AesCtr)->Arg(64)->Arg(16384);
BENCHMARK_CAPTURE(BM_AesCtrApply, automatic, crypto::AesCtrImpl::kAuto)
    ->Arg(64)
    ->Arg(1024)
    ->Arg(16384);
BENCHMARK_CAPTURE(BM_AesCtrApply, aes_ni, crypto::AesCtrImpl::kAesNi)
    ->Arg(64)
    ->Arg(1024)
    ->Arg(16384);
BENCHMARK_CAPTURE(BM_AesCtrApply, evp, crypto::AesCtrImpl::kEvp)->Arg(64)->Arg(1024)->Arg(16384);
BENCHMARK(BM_AesCtrParkedApply)->Arg(64)->Arg(1024)->Arg(16384);
BENCHMARK(BM_AesCtrRawEvp)->Arg(64)->Arg(1024)->Arg(16384);

}  // namespace

BENCHMARK_MAIN();
