// Fuzzes decrypt_message against a fixed auth key (docs/spec/wire-notes.md §7.6). The first byte
// picks a mode:
//   0: the rest is a transport payload, decrypted as is;
//   1: same, with auth_key_id forced to the key's id (so the msg_key check is reached);
//   2: the rest is a plaintext (zero-extended to a multiple of 16), encrypted with a correct
//      msg_key first, so the length and padding checks behind msg_key are reached.
// It must never crash, over-read, or return a body outside the payload.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "crypto/aes_ige.h"
#include "mtproto/keys/kdf.h"
#include "mtproto/message/message.h"
#include "tests/support/hex.h"
#include "tests/support/keys.h"

namespace mm = mtedge::mtproto;
namespace crypto = mtedge::crypto;

namespace {

const mm::AuthKey& fixed_key() {
  static const mm::AuthKey key(mtedge::test::hex_array<256>(mtedge::test::kAuthKeyHex));
  return key;
}

void store64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const mm::AuthKey& key = fixed_key();
  const uint8_t mode = data[0] % 3;
  std::vector<uint8_t> payload;
  if (mode == 2) {
    std::vector<uint8_t> plain(data + 1, data + size);
    plain.resize((plain.size() + 15) & ~size_t{15});
    const auto mk = mm::compute_msg_key(key, plain, mm::Direction::kClientToServer);
    const auto kiv = mm::derive_aes_key_iv(key, mk.msg_key, mm::Direction::kClientToServer);
    crypto::aes_ige_encrypt(kiv.key, kiv.iv, plain.data(), plain.data(), plain.size());
    payload.resize(24 + plain.size());
    store64(payload.data(), key.id());
    std::memcpy(payload.data() + 8, mk.msg_key.data(), 16);
    if (!plain.empty()) std::memcpy(payload.data() + 24, plain.data(), plain.size());
  } else {
    payload.assign(data + 1, data + size);
    if (mode == 1 && payload.size() >= 8) store64(payload.data(), key.id());
  }
  auto r = mm::decrypt_message(key, payload, mm::Direction::kClientToServer);
  if (r.is_ok()) {
    const uint8_t* begin = payload.data();
    const mtedge::MutableByteView body = r->body;
    if (body.size() % 4 != 0) std::abort();
    if (!body.empty() &&
        (body.data() < begin + 56 || body.data() + body.size() > begin + payload.size())) {
      std::abort();
    }
    if ((r->quick_ack_token & 0x80000000u) == 0) std::abort();
  }
  return 0;
}
