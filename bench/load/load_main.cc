// mtedge-load: a load generator for MTProto transports (our own wrk). See --help and
// docs/performance.md. Exit status: 0 when the run had no errors, 1 when it had some,
// 2 on bad arguments or setup.
#include <uv.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "bench/load/options.h"
#include "bench/load/proc_stats.h"
#include "bench/load/report.h"
#include "bench/load/runner.h"
#include "crypto/rsa.h"

namespace {

using namespace mtedge::bench;

// The server's RSA key from a PEM file holding the private key (as in mtedge's config) or
// the public one.
mtedge::Result<mtedge::crypto::RsaPublicKey> load_server_key(const std::string& path) {
  std::ifstream in(path);
  if (!in) return mtedge::Status::error("--rsa-key: cannot read " + path);
  const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (auto key = mtedge::crypto::RsaPrivateKey::from_pem(pem)) return key->public_key();
  auto key = mtedge::crypto::RsaPublicKey::from_pem(pem);
  if (!key) return mtedge::Status::error("--rsa-key: " + key.message());
  return *key;
}

bool resolve(const LoadOptions& o, sockaddr_storage& out) {
  const std::string host = o.host == "localhost" ? "127.0.0.1" : o.host;
  return uv_ip4_addr(host.c_str(), o.port, reinterpret_cast<sockaddr_in*>(&out)) == 0 ||
         uv_ip6_addr(host.c_str(), o.port, reinterpret_cast<sockaddr_in6*>(&out)) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse_options(argc, argv);
  if (!options) {
    std::fprintf(stderr, "%s\n", options.message().c_str());
    return 2;
  }
  const LoadOptions& o = *options;
  sockaddr_storage target{};
  if (!resolve(o, target)) {
    std::fprintf(stderr, "--target: %s is not an IP address\n", o.host.c_str());
    return 2;
  }
  const uint64_t fd_limit = raise_open_files_limit();
  if (fd_limit < uint64_t(o.connections) + 16)
    std::fprintf(stderr, "warning: open-files limit %llu is below --connections\n",
                 static_cast<unsigned long long>(fd_limit));
  std::optional<mtedge::crypto::RsaPublicKey> server_key;
  if (!o.rsa_key_file.empty()) {
    auto key = load_server_key(o.rsa_key_file);
    if (!key) {
      std::fprintf(stderr, "%s\n", key.message().c_str());
      return 2;
    }
    server_key = *key;
  }

  std::unique_ptr<MessengerTl> messenger;
  if (o.mode == LoadMode::kMessenger) {
    auto tl = MessengerTl::load();
    if (!tl) {
      std::fprintf(stderr, "%s\n", tl.message().c_str());
      return 2;
    }
    messenger = std::move(tl.value());
  }

  uv_loop_t loop;
  uv_loop_init(&loop);
  Runner runner(&loop, o, target, server_key, std::move(messenger));
  const LoadResult result = runner.run();
  uv_loop_close(&loop);

  if (!o.quiet) std::fputs(format_text(o, result).c_str(), stdout);
  if (!o.json_file.empty()) {
    std::ofstream json(o.json_file);
    json << format_json(o, result);
    if (!json) {
      std::fprintf(stderr, "--json: cannot write %s\n", o.json_file.c_str());
      return 2;
    }
  }
  return result.stats.error_count() == 0 ? 0 : 1;
}
