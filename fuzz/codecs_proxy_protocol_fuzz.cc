// libFuzzer target: the PROXY protocol header parser. Checks its contract on every prefix:
// kNeedMore until the whole input decides, the same answer however the bytes are split, a
// header length within the bytes given, and addresses only of the families it promises.
#include <sys/socket.h>

#include <cstdlib>

#include "codecs/proxy_protocol/proxy_header.h"

using namespace mtedge;
using namespace mtedge::codecs::proxy_protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView input(data, size);
  const ParseResult whole = parse_proxy_header(input);
  if (whole.state == ParseResult::State::kDone) {
    const ProxyHeader& h = whole.header;
    if (h.length == 0 || h.length > size) std::abort();
    if (h.version == 1 && h.length > kMaxV1Bytes) std::abort();
    if (h.version == 2 && (h.length < kV2HeadBytes || h.length > kMaxV2Bytes)) std::abort();
    if (h.has_address) {
      const int family = h.source.ss_family;
      if ((family != AF_INET && family != AF_INET6) || h.destination.ss_family != family) {
        std::abort();
      }
    }
  }
  if (whole.state == ParseResult::State::kError && whole.error.empty()) std::abort();
  // Every prefix: still undecided, or decided the same way.
  for (size_t cut = 0; cut < size && cut <= kMaxV2Bytes; ++cut) {
    const ParseResult part = parse_proxy_header(input.first(cut));
    if (part.state == ParseResult::State::kNeedMore) continue;
    if (part.state != whole.state) std::abort();
    if (part.state == ParseResult::State::kDone && part.header.length != whole.header.length) {
      std::abort();
    }
    break;
  }
  return 0;
}
