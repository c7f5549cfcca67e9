// TLS termination for `tls = true` listeners: OpenSSL over memory BIOs, sans-io.
//
//   TlsServerContext: one per listener, loaded at startup from the certificate chain and
//   key files (errors name the file; key material is never logged). Shared by every worker
//   (SSL_CTX is thread-safe for creating sessions).
//   TlsSession: one per connection.
//     feed(cipher)          ciphertext from the socket;
//     read(plain_buffer)    decrypted bytes, repeatedly until it returns 0;
//     write(plain)          application bytes to encrypt;
//     take_output(out)      everything to send (handshake records, alerts, tickets,
//                           encrypted data), in order.
//   After an error (bad handshake, bad record) the session is dead: close the connection
//   once take_output() was sent (it may hold an alert).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/status.h"

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;
using BIO = struct bio_st;

namespace mtedge::gateway {

class TlsServerContext {
 public:
  // `cert_path`: PEM certificate chain (leaf first); `key_path`: PEM private key.
  static Result<std::shared_ptr<TlsServerContext>> load(const std::string& cert_path,
                                                        const std::string& key_path);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;
  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsServerContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

class TlsSession {
 public:
  explicit TlsSession(const TlsServerContext& context);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Ciphertext from the socket. False once the session failed (see error()).
  bool feed(ByteView cipher);
  // Decrypted bytes into `out` (at most out.size()); 0 when nothing more is available now.
  size_t read(MutableByteView out);
  // Encrypts `plain`. Only after handshake_done() (the gateway writes nothing before the
  // first decrypted bytes arrived).
  void write(ByteView plain);
  // Appends everything to send to `out`; returns the bytes appended.
  size_t take_output(Bytes& out);
  bool has_output() const;

  bool handshake_done() const;
  bool failed() const { return failed_; }
  // The peer sent close_notify.
  bool peer_closed() const { return peer_closed_; }
  // A short reason for logs ("handshake failure", "bad record mac", ...).
  const std::string& error() const { return error_; }

 private:
  void fail_from_queue();
  void advance_handshake();

  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // socket -> SSL (owned by ssl_)
  BIO* out_ = nullptr;  // SSL -> socket (owned by ssl_)
  std::string error_;
  bool failed_ = false;
  bool peer_closed_ = false;
};

}  // namespace mtedge::gateway
