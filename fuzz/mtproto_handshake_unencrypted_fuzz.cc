// Unencrypted message parser and the handshake's inner-data parsers on arbitrary bytes.
#include <cstdint>
#include <cstring>

#include "mtproto/handshake/messages.h"
#include "mtproto/handshake/unencrypted.h"

using namespace mtedge;
using namespace mtedge::mtproto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  auto m = parse_unencrypted(in);
  if (m) {
    if (m->body.size() < 4 || m->body.data() < data ||
        m->body.data() + m->body.size() > data + size)
      abort();
    (void)parse_p_q_inner_data(m->body.subspan(4));
  }
  (void)parse_p_q_inner_data(in);
  if (size >= 256) {
    crypto::RsaBlock block;
    std::memcpy(block.data(), data, 256);
    (void)decode_rsa_inner(block);
  }
  return 0;
}
