// Fake-TLS ClientHello: the parser, the verifier (the vectors' key as ee secret, their
// time) and the acceptor fed in pieces. Byte 0 picks the read split.
#include <cstdint>
#include <vector>

#include "codecs/obfuscated/fake_tls.h"

using namespace mtedge;
using namespace mtedge::codecs;
using namespace mtedge::codecs::obfuscated;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<Secret> secrets = {
      Secret::from_text("a", "ee00112233445566778899aabbccddeeff6578616d706c652e636f6d").value(),
      Secret::from_text("b", "ee0f0e0d0c0b0a090807060504030201006578616d706c652e636f6d").value()};
  static ReplayCache cache({.window_seconds = 900, .max_entries = 4096, .shards = 4});
  constexpr int64_t kNow = 1700000000;
  if (size < 1) return 0;
  const uint8_t control = data[0];
  ++data;
  --size;
  ByteView input(data, size);

  ClientHelloInfo info;
  (void)parse_client_hello(input, info);
  VerifiedHello verified;
  (void)verify_client_hello(input, secrets, {}, kNow, nullptr, verified);

  FakeTlsOptions options;
  options.fake_record_min = 16;
  options.fake_record_max = 64;
  FakeTlsAcceptor acc(secrets, options, (control & 1) ? &cache : nullptr);
  size_t step = 1 + (control >> 1) * 13;
  for (size_t off = 0; off < size; off += step) {
    auto r = acc.feed(input.subspan(off, std::min(step, size - off)), kNow);
    if (r == FakeTlsAcceptor::Step::kError) break;
    if (r == FakeTlsAcceptor::Step::kDone) {
      size_t reply = 0;
      (void)check_server_hello(secrets[0].key, info.random, acc.server_hello(), reply);
      break;
    }
  }
  // The client-side checker on the same bytes as if they were a server reply.
  std::array<uint8_t, 32> random{};
  size_t reply = 0;
  (void)check_server_hello(secrets[0].key, random, input, reply);
  return 0;
}
