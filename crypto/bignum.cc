#include "crypto/bignum.h"

#include <openssl/bn.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace mtedge::crypto {
namespace {

struct BnDeleter {
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
};
struct BnCtxDeleter {
  void operator()(BN_CTX* p) const { BN_CTX_free(p); }
};
struct MontCtxDeleter {
  void operator()(BN_MONT_CTX* p) const { BN_MONT_CTX_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
using BnCtxPtr = std::unique_ptr<BN_CTX, BnCtxDeleter>;

BnPtr bn_new() {
  BIGNUM* b = BN_new();
  if (b == nullptr) std::abort();
  return BnPtr(b);
}
BnPtr from_be(ByteView be) {
  BIGNUM* b = BN_bin2bn(be.data(), static_cast<int>(be.size()), nullptr);
  if (b == nullptr) std::abort();
  return BnPtr(b);
}
BnCtxPtr ctx_new() {
  BN_CTX* c = BN_CTX_new();
  if (c == nullptr) std::abort();
  return BnCtxPtr(c);
}

Result<Bytes> to_be_padded(const BIGNUM* v, size_t out_size) {
  Bytes out(out_size);
  if (BN_bn2binpad(v, out.data(), static_cast<int>(out_size)) < 0) {
    return Status::error("bignum: result does not fit [size = " + std::to_string(out_size) + "]");
  }
  return out;
}

Result<Bytes> mod_exp_bn(const BIGNUM* base, ByteView exp_be, ByteView mod_be, size_t out_size) {
  BnPtr exp = from_be(exp_be), mod = from_be(mod_be), r = bn_new();
  if (BN_is_zero(mod.get())) return Status::error("bignum: zero modulus");
  BN_set_flags(exp.get(), BN_FLG_CONSTTIME);
  BnCtxPtr ctx = ctx_new();
  if (BN_mod_exp(r.get(), base, exp.get(), mod.get(), ctx.get()) != 1) {
    return Status::error("bignum: mod_exp failed");
  }
  return to_be_padded(r.get(), out_size);
}

// One BN_CTX per thread for MontgomeryModulus (a BN_CTX is scratch space, not shareable).
BN_CTX* thread_ctx() {
  thread_local BnCtxPtr ctx = ctx_new();
  return ctx.get();
}

}  // namespace

struct MontgomeryModulus::State {
  BnPtr mod;
  std::unique_ptr<BN_MONT_CTX, MontCtxDeleter> mont;
};

Result<MontgomeryModulus> MontgomeryModulus::create(ByteView mod_be) {
  auto state = std::make_shared<State>();
  state->mod = from_be(mod_be);
  if (BN_is_zero(state->mod.get()) || !BN_is_odd(state->mod.get()))
    return Status::error("bignum: Montgomery modulus must be odd and nonzero");
  state->mont.reset(BN_MONT_CTX_new());
  if (!state->mont || BN_MONT_CTX_set(state->mont.get(), state->mod.get(), thread_ctx()) != 1)
    return Status::error("bignum: cannot build the Montgomery context");
  MontgomeryModulus m;
  m.state_ = std::move(state);
  return m;
}

Result<Bytes> MontgomeryModulus::pow(ByteView base_be, ByteView exp_be, size_t out_size) const {
  BnPtr base = from_be(base_be), exp = from_be(exp_be), r = bn_new();
  BN_set_flags(exp.get(), BN_FLG_CONSTTIME);
  // The context is only read: BN_MONT_CTX is not const in the signature, but consttime
  // exponentiation with a given context never writes it.
  if (BN_mod_exp_mont_consttime(r.get(), base.get(), exp.get(), state_->mod.get(), thread_ctx(),
                                state_->mont.get()) != 1)
    return Status::error("bignum: mod_exp failed");
  return to_be_padded(r.get(), out_size);
}

Result<Bytes> MontgomeryModulus::pow_u32(uint32_t g, ByteView exp_be, size_t out_size) const {
  Bytes base = u64_to_be(g);
  return pow(base, exp_be, out_size);
}

Result<Bytes> mod_exp(ByteView base_be, ByteView exp_be, ByteView mod_be, size_t out_size) {
  BnPtr base = from_be(base_be);
  return mod_exp_bn(base.get(), exp_be, mod_be, out_size);
}

Result<Bytes> mod_exp_u32(uint32_t g, ByteView exp_be, ByteView mod_be, size_t out_size) {
  BnPtr base = bn_new();
  BN_set_word(base.get(), g);
  return mod_exp_bn(base.get(), exp_be, mod_be, out_size);
}

bool is_probable_prime(ByteView n_be) {
  BnPtr n = from_be(n_be);
  BnCtxPtr ctx = ctx_new();
  return BN_check_prime(n.get(), ctx.get(), nullptr) == 1;
}

bool is_safe_prime_2048(ByteView p_be) {
  BnPtr p = from_be(p_be);
  if (BN_num_bits(p.get()) != 2048 || !BN_is_odd(p.get())) return false;
  BnCtxPtr ctx = ctx_new();
  BnPtr q = bn_new();
  BN_rshift1(q.get(), p.get());  // (p-1)/2 for odd p
  // The cheaper test of q first: most non-safe primes fail there.
  return BN_check_prime(q.get(), ctx.get(), nullptr) == 1 &&
         BN_check_prime(p.get(), ctx.get(), nullptr) == 1;
}

bool is_good_dh_generator(uint32_t g, ByteView p_be) {
  BnPtr p = from_be(p_be);
  auto mod = [&](BN_ULONG m) { return BN_mod_word(p.get(), m); };
  switch (g) {
    case 2: return mod(8) == 7;
    case 3: return mod(3) == 2;
    case 4: return true;
    case 5: {
      BN_ULONG r = mod(5);
      return r == 1 || r == 4;
    }
    case 6: {
      BN_ULONG r = mod(24);
      return r == 19 || r == 23;
    }
    case 7: {
      BN_ULONG r = mod(7);
      return r == 3 || r == 5 || r == 6;
    }
    default: return false;
  }
}

bool is_good_dh_value(ByteView v_be, ByteView p_be) {
  BnPtr v = from_be(v_be), p = from_be(p_be);
  BnPtr one = bn_new(), p_minus_1 = bn_new(), bound = bn_new(), upper = bn_new();
  BN_one(one.get());
  BN_sub(p_minus_1.get(), p.get(), one.get());
  if (BN_cmp(v.get(), one.get()) <= 0 || BN_cmp(v.get(), p_minus_1.get()) >= 0) return false;
  BN_set_bit(bound.get(), 2048 - 64);  // 2^(2048-64)
  BN_sub(upper.get(), p.get(), bound.get());
  return BN_cmp(v.get(), bound.get()) >= 0 && BN_cmp(v.get(), upper.get()) <= 0;
}

int compare_be(ByteView a_be, ByteView b_be) {
  while (!a_be.empty() && a_be.front() == 0) a_be = a_be.subspan(1);
  while (!b_be.empty() && b_be.front() == 0) b_be = b_be.subspan(1);
  if (a_be.size() != b_be.size()) return a_be.size() < b_be.size() ? -1 : 1;
  if (a_be.empty()) return 0;
  return std::memcmp(a_be.data(), b_be.data(), a_be.size());
}

Bytes u64_to_be(uint64_t v) {
  Bytes out;
  for (int shift = 56; shift >= 0; shift -= 8) {
    uint8_t b = uint8_t(v >> shift);
    if (out.empty() && b == 0) continue;
    out.push_back(b);
  }
  return out;
}

std::optional<uint64_t> be_to_u64(ByteView be) {
  while (!be.empty() && be.front() == 0) be = be.subspan(1);
  if (be.size() > 8) return std::nullopt;
  uint64_t v = 0;
  for (uint8_t b : be) v = (v << 8) | b;
  return v;
}

uint32_t random_prime_u32(unsigned bits) {
  if (bits < 2) bits = 2;
  if (bits > 32) bits = 32;
  BnPtr p = bn_new();
  BnCtxPtr ctx = ctx_new();
  if (BN_generate_prime_ex2(p.get(), static_cast<int>(bits), 0, nullptr, nullptr, nullptr,
                            ctx.get()) != 1) {
    std::abort();
  }
  return static_cast<uint32_t>(BN_get_word(p.get()));
}

}  // namespace mtedge::crypto
