#include "crypto/rsa.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "crypto/hash.h"

namespace mtedge::crypto {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BioDeleter {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnDeleter {
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;

std::shared_ptr<EVP_PKEY> share(EVP_PKEY* p) {
  return std::shared_ptr<EVP_PKEY>(p, PkeyDeleter());
}

ByteView strip_leading_zeros(ByteView v) {
  while (!v.empty() && v.front() == 0) v = v.subspan(1);
  return v;
}

Result<Bytes> bn_param(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1 || raw == nullptr) {
    return Status::error(std::string("rsa: key has no parameter [name = ") + name + "]");
  }
  BnPtr bn(raw);
  Bytes out(static_cast<size_t>(BN_num_bytes(bn.get())));
  BN_bn2bin(bn.get(), out.data());
  return out;
}

BioPtr mem_bio(std::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

Result<RsaBlock> raw_rsa(EVP_PKEY* pkey, bool decrypt, ByteView in) {
  if (in.empty() || in.size() > 256) {
    return Status::error("rsa: input must be 1..256 bytes [size = " + std::to_string(in.size()) +
                         "]");
  }
  RsaBlock padded{};
  std::memcpy(padded.data() + (256 - in.size()), in.data(), in.size());
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx) return Status::error("rsa: out of memory");
  int ok = decrypt ? EVP_PKEY_decrypt_init(ctx.get()) : EVP_PKEY_encrypt_init(ctx.get());
  if (ok != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1) {
    return Status::error("rsa: init failed");
  }
  RsaBlock out{};
  size_t out_size = out.size();
  ok = decrypt ? EVP_PKEY_decrypt(ctx.get(), out.data(), &out_size, padded.data(), padded.size())
               : EVP_PKEY_encrypt(ctx.get(), out.data(), &out_size, padded.data(), padded.size());
  // Fails for input >= n (OpenSSL checks the range for raw RSA).
  if (ok != 1 || out_size != out.size()) return Status::error("rsa: raw operation failed");
  return out;
}

// TL `bytes` serialization (the fingerprint hashes n and e as TL bytes): a 1-byte length
// below 254, else 0xfe and a 3-byte little-endian length; zero padding to a multiple of 4.
void append_tl_bytes(Bytes& out, ByteView bytes) {
  size_t header = 1;
  if (bytes.size() < 254) {
    out.push_back(uint8_t(bytes.size()));
  } else {
    header = 4;
    out.push_back(0xfe);
    out.push_back(uint8_t(bytes.size()));
    out.push_back(uint8_t(bytes.size() >> 8));
    out.push_back(uint8_t(bytes.size() >> 16));
  }
  append(out, bytes);
  out.resize(out.size() + (4 - (header + bytes.size()) % 4) % 4, 0);
}

}  // namespace

uint64_t rsa_fingerprint(ByteView n_be, ByteView e_be) {
  Bytes tl;
  append_tl_bytes(tl, strip_leading_zeros(n_be));
  append_tl_bytes(tl, strip_leading_zeros(e_be));
  Sha1Digest h = sha1(ByteView(tl));
  return load_le64(h.data() + 12);
}

namespace {
Result<RsaPublicKey> public_from_pkey_impl(std::shared_ptr<EVP_PKEY> pkey, Bytes& n, Bytes& e) {
  if (!EVP_PKEY_is_a(pkey.get(), "RSA")) return Status::error("rsa: not an RSA key");
  auto n_r = bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N);
  if (!n_r) return n_r.status();
  auto e_r = bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E);
  if (!e_r) return e_r.status();
  n = std::move(n_r.value());
  e = std::move(e_r.value());
  return RsaPublicKey();
}
}  // namespace

size_t RsaPublicKey::modulus_bits() const {
  return pkey_ ? static_cast<size_t>(EVP_PKEY_get_bits(pkey_.get())) : 0;
}

Result<RsaPublicKey> RsaPublicKey::from_pem(std::string_view pem) {
  EVP_PKEY* raw = nullptr;
  OSSL_DECODER_CTX* dctx = OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, "RSA",
                                                         EVP_PKEY_PUBLIC_KEY, nullptr, nullptr);
  if (dctx == nullptr) return Status::error("rsa: no PEM decoder");
  const unsigned char* data = reinterpret_cast<const unsigned char*>(pem.data());
  size_t size = pem.size();
  int ok = OSSL_DECODER_from_data(dctx, &data, &size);
  OSSL_DECODER_CTX_free(dctx);
  if (ok != 1 || raw == nullptr) {
    EVP_PKEY_free(raw);
    return Status::error("rsa: cannot parse public key PEM");
  }
  RsaPublicKey key;
  key.pkey_ = share(raw);
  auto r = public_from_pkey_impl(key.pkey_, key.n_, key.e_);
  if (!r) return r.status();
  key.fingerprint_ = rsa_fingerprint(key.n_, key.e_);
  return key;
}

Result<RsaPublicKey> RsaPublicKey::from_n_e(ByteView n_be, ByteView e_be) {
  n_be = strip_leading_zeros(n_be);
  e_be = strip_leading_zeros(e_be);
  if (n_be.empty() || e_be.empty()) return Status::error("rsa: empty n or e");
  BnPtr n(BN_bin2bn(n_be.data(), static_cast<int>(n_be.size()), nullptr));
  BnPtr e(BN_bin2bn(e_be.data(), static_cast<int>(e_be.size()), nullptr));
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (!n || !e || bld == nullptr) {
    OSSL_PARAM_BLD_free(bld);
    return Status::error("rsa: out of memory");
  }
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n.get());
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e.get());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  OSSL_PARAM_BLD_free(bld);
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  int ok = params != nullptr && ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
           EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) == 1;
  OSSL_PARAM_free(params);
  if (!ok || raw == nullptr) return Status::error("rsa: cannot build public key from n, e");
  RsaPublicKey key;
  key.pkey_ = share(raw);
  key.n_.assign(n_be.begin(), n_be.end());
  key.e_.assign(e_be.begin(), e_be.end());
  key.fingerprint_ = rsa_fingerprint(key.n_, key.e_);
  return key;
}

Result<RsaBlock> RsaPublicKey::encrypt_raw(ByteView in) const {
  if (!pkey_) return Status::error("rsa: empty key");
  return raw_rsa(pkey_.get(), false, in);
}

Result<RsaPrivateKey> RsaPrivateKey::from_pem(std::string_view pem) {
  BioPtr bio = mem_bio(pem);
  if (!bio) return Status::error("rsa: out of memory");
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) return Status::error("rsa: cannot parse private key PEM");
  return adopt(raw);
}

Result<RsaPrivateKey> RsaPrivateKey::from_pem_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error("rsa: cannot open key file [path = " + path + "]");
  std::ostringstream ss;
  ss << in.rdbuf();
  auto r = from_pem(ss.str());
  if (!r) return Status::error(r.message() + " [path = " + path + "]");
  return r;
}

Result<RsaPrivateKey> RsaPrivateKey::generate(unsigned bits) {
  EVP_PKEY* raw = EVP_RSA_gen(bits);
  if (raw == nullptr) return Status::error("rsa: key generation failed");
  return adopt(raw);
}

Result<RsaPrivateKey> RsaPrivateKey::adopt(EVP_PKEY* raw) {
  RsaPrivateKey key;
  key.pkey_ = share(raw);
  if (!EVP_PKEY_is_a(raw, "RSA")) return Status::error("rsa: not an RSA key");
  if (EVP_PKEY_get_bits(raw) != 2048) {
    return Status::error(
        "rsa: key must be 2048 bits [bits = " + std::to_string(EVP_PKEY_get_bits(raw)) + "]");
  }
  auto d = bn_param(raw, OSSL_PKEY_PARAM_RSA_D);
  if (!d) return Status::error("rsa: not a private key");
  key.d_ = std::move(d.value());
  key.public_.pkey_ = key.pkey_;
  auto r = public_from_pkey_impl(key.pkey_, key.public_.n_, key.public_.e_);
  if (!r) return r.status();
  key.public_.fingerprint_ = rsa_fingerprint(key.public_.n_, key.public_.e_);
  return key;
}

std::string RsaPrivateKey::public_pem() const {
  OSSL_ENCODER_CTX* ectx = OSSL_ENCODER_CTX_new_for_pkey(pkey_.get(), EVP_PKEY_PUBLIC_KEY, "PEM",
                                                         "type-specific", nullptr);
  if (ectx == nullptr) return {};
  unsigned char* data = nullptr;
  size_t size = 0;
  std::string out;
  if (OSSL_ENCODER_to_data(ectx, &data, &size) == 1) {
    out.assign(reinterpret_cast<char*>(data), size);
    OPENSSL_free(data);
  }
  OSSL_ENCODER_CTX_free(ectx);
  return out;
}

std::string RsaPrivateKey::private_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    return {};
  }
  return bio_to_string(bio.get());
}

Result<RsaBlock> RsaPrivateKey::decrypt_raw(ByteView in) const {
  if (!pkey_) return Status::error("rsa: empty key");
  return raw_rsa(pkey_.get(), true, in);
}

}  // namespace mtedge::crypto
