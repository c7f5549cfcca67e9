// RSA for the DH handshake: private keys from PEM (several at once, told apart by their
// Telegram fingerprint) and raw (unpadded) RSA on 256-byte blocks, as MTProto uses it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace mtedge::crypto {

using RsaBlock = std::array<uint8_t, 256>;

// Telegram key fingerprint: the low 64 bits of SHA1(TL `string`(n) || TL `string`(e)), i.e.
// SHA1[12..20) read as a LE u64. n and e are minimal big-endian byte strings (leading zero bytes
// are stripped first, as Telethon and tdlib do).
uint64_t rsa_fingerprint(ByteView n_be, ByteView e_be);

// A public key (n, e). Copyable (shares the underlying EVP_PKEY, which is immutable).
class RsaPublicKey {
 public:
  // PEM "RSA PUBLIC KEY" (PKCS#1) or "PUBLIC KEY" (SubjectPublicKeyInfo).
  static Result<RsaPublicKey> from_pem(std::string_view pem);
  // From big-endian n and e.
  static Result<RsaPublicKey> from_n_e(ByteView n_be, ByteView e_be);

  uint64_t fingerprint() const { return fingerprint_; }
  const Bytes& n() const { return n_; }  // minimal big-endian
  const Bytes& e() const { return e_; }
  size_t modulus_bits() const;

  // Raw RSA: out = in^e mod n, `in` 1..256 big-endian bytes that must be < n (client side, tests).
  Result<RsaBlock> encrypt_raw(ByteView in) const;

 private:
  friend class RsaPrivateKey;
  std::shared_ptr<EVP_PKEY> pkey_;
  Bytes n_, e_;
  uint64_t fingerprint_ = 0;
};

// A 2048-bit private key. Copyable (shared, immutable); decrypt_raw is thread-safe.
class RsaPrivateKey {
 public:
  // PEM "RSA PRIVATE KEY" (PKCS#1) or "PRIVATE KEY" (PKCS#8, unencrypted). Only 2048-bit RSA
  // keys are accepted (MTProto encrypts exactly 256-byte blocks).
  static Result<RsaPrivateKey> from_pem(std::string_view pem);
  static Result<RsaPrivateKey> from_pem_file(const std::string& path);
  // A fresh random 2048-bit key (tests, tools).
  static Result<RsaPrivateKey> generate(unsigned bits = 2048);

  uint64_t fingerprint() const { return public_.fingerprint(); }
  const RsaPublicKey& public_key() const { return public_; }
  const Bytes& d() const { return d_; }  // minimal big-endian private exponent (never log it)
  std::string public_pem() const;        // PKCS#1 "RSA PUBLIC KEY" PEM, for clients
  std::string private_pem() const;       // PKCS#8 PEM (tests, tools)

  // Raw RSA: out = in^d mod n (CRT + blinding inside OpenSSL). `in` is 1..256 big-endian bytes
  // (shorter input is left-padded with zeros). Fails if in is empty, longer than 256 bytes, or
  // in >= n. Output is 256 bytes, left-padded with zeros.
  Result<RsaBlock> decrypt_raw(ByteView in) const;

 private:
  static Result<RsaPrivateKey> adopt(EVP_PKEY* pkey);  // takes ownership

  std::shared_ptr<EVP_PKEY> pkey_;
  RsaPublicKey public_;
  Bytes d_;
};

}  // namespace mtedge::crypto
