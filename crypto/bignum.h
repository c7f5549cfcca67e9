// Big-number helpers for the DH exchange (docs/spec/wire-notes.md §7.4), on OpenSSL BIGNUM. Numbers
// travel as big-endian byte strings, as in the TL messages. All functions are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "base/bytes.h"
#include "base/status.h"

namespace mtedge::crypto {

// (base ^ exp) mod mod, as big-endian bytes left-padded to `out_size` (e.g. 256 for g_a and
// auth_key). Constant-time exponentiation (BN_FLG_CONSTTIME on exp). Fails if mod is 0 or the
// result does not fit.
Result<Bytes> mod_exp(ByteView base_be, ByteView exp_be, ByteView mod_be, size_t out_size);
// g ^ exp mod mod for a small g.
Result<Bytes> mod_exp_u32(uint32_t g, ByteView exp_be, ByteView mod_be, size_t out_size);

// A fixed odd modulus (a DH prime) with its Montgomery context, built once. Immutable after
// create(): one object is shared by any number of threads (each call uses a per-thread BN_CTX).
// Every exponentiation is constant-time in the exponent (BN_mod_exp_mont_consttime with the
// prebuilt context): the exponents here are DH secrets. Copies share the context; a
// default-constructed object is empty (create() makes a usable one).
class MontgomeryModulus {
 public:
  // Fails if the modulus is zero or even (Montgomery needs an odd modulus).
  static Result<MontgomeryModulus> create(ByteView mod_be);

  // (base ^ exp) mod m, as big-endian bytes left-padded to `out_size`; base may be >= m.
  Result<Bytes> pow(ByteView base_be, ByteView exp_be, size_t out_size) const;
  // (g ^ exp) mod m for a small g.
  Result<Bytes> pow_u32(uint32_t g, ByteView exp_be, size_t out_size) const;

 private:
  struct State;
  std::shared_ptr<const State> state_;
};

// Probabilistic primality (OpenSSL's default rounds for the size).
bool is_probable_prime(ByteView n_be);
// p is a 2048-bit safe prime: 2^2047 < p < 2^2048, p prime and (p-1)/2 prime. Expensive
// (hundreds of ms): callers cache the result per prime.
bool is_safe_prime_2048(ByteView p_be);
// g generates the subgroup of order (p-1)/2 (§7.4 item 5 table): g in 2..7 with the mod rule.
bool is_good_dh_generator(uint32_t g, ByteView p_be);
// 1 < v < p-1 and 2^(2048-64) <= v <= p - 2^(2048-64) (for g_a, g_b and g).
bool is_good_dh_value(ByteView v_be, ByteView p_be);

// Compares big-endian unsigned numbers (leading zeros ignored): <0, 0, >0.
int compare_be(ByteView a_be, ByteView b_be);
// Minimal big-endian bytes of a u64 (e.g. pq, p, q in p_q_inner_data), no leading zeros.
Bytes u64_to_be(uint64_t v);
// Big-endian bytes to u64; nullopt if longer than 8 significant bytes.
std::optional<uint64_t> be_to_u64(ByteView be);
// A random prime of exactly `bits` bits (bits <= 32), for building a server pq.
uint32_t random_prime_u32(unsigned bits = 31);

}  // namespace mtedge::crypto
