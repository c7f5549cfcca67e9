#include "gateway/conn/tls_session.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <climits>
#include <cstring>

namespace mtedge::gateway {
namespace {

// `what` and the reason of the oldest queued OpenSSL error (the most specific one). A
// failed fopen() is queued as a system error whose reason is the errno.
std::string last_error(const char* what) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return what;
  if (ERR_SYSTEM_ERROR(e)) return std::string(what) + ": " + std::strerror(ERR_GET_REASON(e));
  if (const char* reason = ERR_reason_error_string(e)) return std::string(what) + ": " + reason;
  char text[256];
  ERR_error_string_n(e, text, sizeof text);
  return std::string(what) + ": " + text;
}

}  // namespace

Result<std::shared_ptr<TlsServerContext>> TlsServerContext::load(const std::string& cert_path,
                                                                 const std::string& key_path) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return Status::error(last_error("cannot create a TLS context"));
  std::shared_ptr<TlsServerContext> context(new TlsServerContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Idle connections give their read/write buffers back (tens of KiB each).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_path.c_str()) != 1) {
    return Status::error(
        last_error(("cannot load certificate chain \"" + cert_path + "\"").c_str()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_path.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::error(last_error(("cannot load private key \"" + key_path + "\"").c_str()));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Status::error("private key \"" + key_path + "\" does not match the certificate");
  }
  return context;
}

TlsServerContext::~TlsServerContext() {
  SSL_CTX_free(ctx_);
}

TlsSession::TlsSession(const TlsServerContext& context) {
  ssl_ = SSL_new(context.get());
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (!ssl_ || !in_ || !out_) {
    BIO_free(in_);
    BIO_free(out_);
    in_ = out_ = nullptr;
    failed_ = true;
    error_ = last_error("cannot create a TLS session");
    return;
  }
  BIO_set_mem_eof_return(in_, -1);  // an empty input BIO means "more later", not EOF
  SSL_set_bio(ssl_, in_, out_);     // ssl_ owns both now
  SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);
}

void TlsSession::fail_from_queue() {
  failed_ = true;
  error_ = last_error("tls error");
}

void TlsSession::advance_handshake() {
  if (failed_ || SSL_is_init_finished(ssl_)) return;
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) return;
  int err = SSL_get_error(ssl_, rc);
  if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) fail_from_queue();
}

bool TlsSession::feed(ByteView cipher) {
  if (failed_) return false;
  if (!cipher.empty() &&
      BIO_write(in_, cipher.data(), static_cast<int>(std::min<size_t>(cipher.size(), INT_MAX))) <=
          0) {
    failed_ = true;
    error_ = "tls input buffer";
    return false;
  }
  advance_handshake();
  return !failed_;
}

size_t TlsSession::read(MutableByteView out) {
  if (failed_ || peer_closed_ || out.empty() || !SSL_is_init_finished(ssl_)) return 0;
  size_t got = 0;
  int rc = SSL_read_ex(ssl_, out.data(), out.size(), &got);
  if (rc == 1) return got;
  switch (SSL_get_error(ssl_, 0)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: break;
    case SSL_ERROR_ZERO_RETURN: peer_closed_ = true; break;
    default: fail_from_queue(); break;
  }
  return 0;
}

void TlsSession::write(ByteView plain) {
  if (failed_ || plain.empty()) return;
  size_t written = 0;
  // Memory BIOs never block: after the handshake one call writes everything (or fails).
  if (SSL_write_ex(ssl_, plain.data(), plain.size(), &written) != 1) fail_from_queue();
}

size_t TlsSession::take_output(Bytes& out) {
  const size_t pending = BIO_ctrl_pending(out_);
  if (pending == 0) return 0;
  const size_t at = out.size();
  out.resize(at + pending);
  const int n = BIO_read(out_, out.data() + at, static_cast<int>(pending));
  out.resize(at + (n > 0 ? static_cast<size_t>(n) : 0));
  return out.size() - at;
}

bool TlsSession::has_output() const {
  return BIO_ctrl_pending(out_) > 0;
}

bool TlsSession::handshake_done() const {
  return !failed_ && SSL_is_init_finished(ssl_);
}

}  // namespace mtedge::gateway
