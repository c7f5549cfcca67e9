#include "codecs/obfuscated/obfuscated2.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "crypto/hash.h"
#include "crypto/random.h"

namespace mtedge::codecs::obfuscated {
namespace {

crypto::CtrParams derive_one(const uint8_t* key32, const uint8_t* iv16,
                             const std::array<uint8_t, kSecretKeySize>* secret) {
  crypto::CtrParams p;
  if (secret != nullptr) {
    p.key = crypto::sha256({ByteView(key32, 32), ByteView(*secret)});
  } else {
    std::memcpy(p.key.data(), key32, 32);
  }
  std::memcpy(p.iv.data(), iv16, 16);
  return p;
}

}  // namespace

ObfuscatedKeys derive_keys(ByteView init64, const std::array<uint8_t, kSecretKeySize>* secret) {
  assert(init64.size() >= kInitSize);
  uint8_t reversed[48];
  std::reverse_copy(init64.data() + 8, init64.data() + 56, reversed);
  ObfuscatedKeys keys;
  keys.client_to_server = derive_one(init64.data() + 8, init64.data() + 40, secret);
  keys.server_to_client = derive_one(reversed, reversed + 32, secret);
  return keys;
}

ServerInit accept_init(ByteView init64, std::span<const Secret> secrets, const InitOptions& options,
                       ReplayCache* replay, int64_t now) {
  ServerInit result;
  if (init64.size() < kInitSize) {
    result.error = CodecError::kObfuscatedBadTag;
    return result;
  }
  const uint8_t* init = init64.data();
  // candidate -1 = no secret, then each secret in order.
  for (int i = options.allow_no_secret ? -1 : 0; i < int(secrets.size()); ++i) {
    const Secret* s = i < 0 ? nullptr : &secrets[size_t(i)];
    if (s != nullptr && s->kind == SecretKind::kEe && !options.include_ee) continue;
    crypto::CtrParams c2s = derive_one(init + 8, init + 40, s ? &s->key : nullptr);
    // Probe: keystream bytes 56..60 decrypt the tag.
    uint8_t ks[4];
    crypto::aes_ctr_keystream_at(c2s, 56, ks, 4);
    uint32_t tag = load_le32(init + 56) ^ load_le32(ks);
    const std::optional<TransportKind> inner = transport_for_obfuscated2_tag(tag);
    if (!inner) continue;
    const TransportKind kind = *inner;

    if (!options.allowed_inner.contains(kind) ||
        (options.dd_strict && s != nullptr && s->kind == SecretKind::kDd &&
         kind != TransportKind::kPaddedIntermediate)) {
      result.error = CodecError::kObfuscatedTagNotAllowed;
      return result;
    }
    ReplayCache* cache =
        s == nullptr && options.no_secret_replay ? options.no_secret_replay : replay;
    if (cache != nullptr && !cache->check_and_insert(init_replay_digest(init64), now)) {
      result.error = CodecError::kObfuscatedReplay;
      return result;
    }
    result.keys = derive_keys(init64, s ? &s->key : nullptr);
    crypto::AesCtr in(result.keys.client_to_server);
    uint8_t plain[kInitSize];
    std::memcpy(plain, init, kInitSize);
    in.apply(plain, kInitSize);
    result.transport = kind;
    result.dc_id = int16_t(load_le16(plain + 60));
    result.secret_index = i;
    if (s != nullptr) result.secret_label = s->label;
    result.stage =
        std::make_unique<AesCtrStage>(std::move(in), crypto::AesCtr(result.keys.server_to_client));
    return result;
  }
  result.error = CodecError::kObfuscatedBadTag;
  return result;
}

ClientInit client_init_from(std::array<uint8_t, kInitSize> plain, TransportKind inner, int16_t dc,
                            const std::array<uint8_t, kSecretKeySize>* secret) {
  const uint32_t tag = transport_row(inner).obfuscated2_tag;
  assert(tag != 0 && "obfuscated2 carries abridged, intermediate or padded only");
  store_le32(plain.data() + 56, tag);
  plain[60] = uint8_t(uint16_t(dc));
  plain[61] = uint8_t(uint16_t(dc) >> 8);

  ClientInit ci;
  ci.keys = derive_keys(ByteView(plain), secret);
  crypto::AesCtr out(ci.keys.client_to_server);
  std::array<uint8_t, kInitSize> encrypted = plain;
  out.apply(encrypted.data(), encrypted.size());
  ci.header = plain;
  std::memcpy(ci.header.data() + 56, encrypted.data() + 56, 8);
  ci.stage =
      std::make_unique<AesCtrStage>(crypto::AesCtr(ci.keys.server_to_client), std::move(out));
  return ci;
}

bool valid_init_prefix(const uint8_t* b) {
  if (b[0] == 0xef) return false;
  switch (load_le32(b)) {
    case 0x44414548:  // HEAD
    case 0x54534f50:  // POST
    case 0x20544547:  // GET
    case 0x4954504f:  // OPTI
    case 0x02010316:  // 16 03 01 02 (TLS)
    case 0xdddddddd:
    case 0xeeeeeeee: return false;
    default: break;
  }
  return load_le32(b + 4) != 0;
}

ClientInit make_client_init(TransportKind inner, int16_t dc,
                            const std::array<uint8_t, kSecretKeySize>* secret) {
  std::array<uint8_t, kInitSize> plain;
  do {
    crypto::random_bytes(plain.data(), plain.size());
  } while (!valid_init_prefix(plain.data()));
  return client_init_from(plain, inner, dc, secret);
}

void add_client_obfuscation(TransportStack& stack, int16_t dc,
                            const std::array<uint8_t, kSecretKeySize>* secret) {
  ClientInit init = make_client_init(stack.framer().kind(), dc, secret);
  stack.add_outer_stage(std::move(init.stage));
  stack.set_preamble(Bytes(init.header.begin(), init.header.end()));
}

ObfuscatedAcceptor::Step ObfuscatedAcceptor::feed(MutableByteView bytes, int64_t now) {
  assert(!done_ && error_ == CodecError::kNone);
  if (records_) {
    bytes = records_->inbound(bytes, error_);
    if (error_ != CodecError::kNone) return Step::kError;
  }
  size_t take = std::min(kInitSize - have_, bytes.size());
  std::memcpy(buf_.data() + have_, bytes.data(), take);
  have_ += take;
  if (have_ < kInitSize) return Step::kNeedMore;

  init_ = accept_init(ByteView(buf_), secrets_, options_, replay_, now);
  if (!init_.ok()) {
    error_ = init_.error;
    return Step::kError;
  }
  rest_.assign(bytes.begin() + take, bytes.end());
  // These bytes already went through the record stage: it must not parse them again.
  if (records_) records_->pass_through(rest_.size());
  done_ = true;
  return Step::kDone;
}

std::vector<std::unique_ptr<StreamStage>> ObfuscatedAcceptor::take_stages() {
  std::vector<std::unique_ptr<StreamStage>> stages;
  if (init_.stage) stages.push_back(std::move(init_.stage));
  if (records_) stages.push_back(std::move(records_));
  return stages;
}

}  // namespace mtedge::codecs::obfuscated
