// Fuzzes decrypt_message against a fixed auth key (docs/spec/wire-notes.md §7.6). The first byte picks a mode:
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

namespace mm = mtedge::mtproto;

namespace {

const mm::AuthKey& fixed_key() {
  static const mm::AuthKey key = [] {
    static const char kHex[] =
        "ACA2547BAA3B4B3E6AD9129ADEE796042FC4ACAAABA40DCE7A1196640595829E2BA85C5E68E5D2B7B713B287"
        "20CCD0E65DA3B80CD8A9282BDE895755B924F4CBBCED119DEE057D3066D7095C25771A53D9AD6EC3464EE0E7"
        "FE1A4D9851F17B6CC7D6E636E0BDEA7D66153CF37005835A528E65673C1F5ADAA27465964BA89AA6FD045108"
        "B25B1DC9AB2D979864858C9EACBFA4A399CDBF2154D2CC6743C5CAA40683343D80A36C7F1289DC5AC5EE585DEA"
        "1E1CD296444EA6CD8F6C3564B2D355B310A3C02608EEA5EC36D38E941BF811489AB7A24C069E44FF54714CB4A4"
        "5EEE2F310FDDC0A1B08BD3DFF8801E27C8508EFD7AD51EF3C13EF1D9A02EE4601741";
    std::array<uint8_t, 256> raw{};
    for (size_t i = 0; i < 256; ++i) {
      auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'A' + 10; };
      raw[i] = uint8_t(nib(kHex[2 * i]) << 4 | nib(kHex[2 * i + 1]));
    }
    return mm::AuthKey(raw);
  }();
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
