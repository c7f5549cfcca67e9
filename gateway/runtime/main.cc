// mtedge: the MTProto edge gateway process.
//   mtedge --config FILE        run until SIGINT/SIGTERM
//   mtedge --check-config FILE  validate FILE, print its warnings and "config ok" (exit 0) or
//                               the error (exit 1)
#include <spdlog/spdlog.h>
#include <uv.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "backend-adapters/api/adapter_factory.h"
#include "gateway/edge/edge_crypto.h"
#include "gateway/runtime/adapters.h"
#include "gateway/runtime/admin.h"
#include "gateway/runtime/config.h"
#include "gateway/runtime/gateway.h"
#include "gateway/runtime/logging.h"

#ifndef MTEDGE_VERSION
#define MTEDGE_VERSION "0.1.0"
#endif

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitConfig = 1;
constexpr int kExitStartup = 3;

void usage(FILE* out) {
  std::fprintf(out,
               "usage: mtedge --config FILE         run the gateway\n"
               "       mtedge --check-config FILE   validate FILE and exit\n"
               "       mtedge --version | --help\n"
               "Signals: SIGINT/SIGTERM stop gracefully (see docs/operations.md).\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mtedge;
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("mtedge %s\n", MTEDGE_VERSION);
      return 0;
    }
    if ((arg == "--config" || arg == "--check-config") && i + 1 < argc) {
      check_only = check_only || arg == "--check-config";
      config_path = argv[++i];
      continue;
    }
    std::fprintf(stderr, "mtedge: unknown or incomplete argument \"%s\"\n", arg.c_str());
    usage(stderr);
    return kExitUsage;
  }
  if (config_path.empty()) {
    usage(stderr);
    return kExitUsage;
  }

  // Opened by Gateway::start when crypto.edge_decryption is on; adapters created after that
  // (one per worker) reach its auth key store through the provider.
  auto edge = std::make_shared<gateway::EdgeCrypto>();
  backend::AdapterRegistry registry;
  gateway::register_builtin_adapters(registry, [edge] { return edge->store(); });
  Result<gateway::Config> config = gateway::load_config_file(config_path, registry);
  if (!config) {
    std::fprintf(stderr, "config error: %s\n", config.message().c_str());
    return kExitConfig;
  }
  if (check_only) {
    for (const std::string& warning : config->warnings) {
      std::printf("config warning: %s\n", warning.c_str());
    }
    std::printf("config ok\n");
    return 0;
  }

  gateway::setup_logging(config->log);
  for (const std::string& warning : config->warnings) spdlog::warn("config: {}", warning);
  const uint64_t fd_limit = gateway::raise_fd_limit();
  spdlog::info("mtedge {} starting: config {}, {} workers, backend {}, open-files limit {}",
               MTEDGE_VERSION, config_path, config->gateway.workers, config->backend_type,
               fd_limit);
  if (config->gateway.max_connections + 64 > fd_limit) {
    spdlog::warn("gateway.max_connections ({}) is close to or above the open-files limit ({})",
                 config->gateway.max_connections, fd_limit);
  }

  config->edge = edge;
  gateway::AdminConfig admin_config = config->admin;
  auto gw = std::make_unique<gateway::Gateway>(std::move(config.value()));
  if (Status s = gw->start(); !s) {
    spdlog::critical("startup failed: {}", s.message());
    return kExitStartup;
  }
  std::unique_ptr<gateway::AdminServer> admin;
  if (admin_config.enabled) {
    gateway::Gateway* g = gw.get();
    admin = std::make_unique<gateway::AdminServer>(
        admin_config.address, [g] { return g->metrics_text(); }, [g] { return !g->stopping(); });
    if (Status s = admin->start(); !s) {
      spdlog::critical("startup failed: {}", s.message());
      gw->begin_shutdown();
      gw->wait();
      return kExitStartup;
    }
  }

  // The main thread only waits for a signal; the workers run on their own threads.
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_signal_t sigint;
  uv_signal_t sigterm;
  uv_signal_init(&loop, &sigint);
  uv_signal_init(&loop, &sigterm);
  loop.data = gw.get();
  auto on_signal = [](uv_signal_t* handle, int signum) {
    spdlog::info("received {}: shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
    static_cast<gateway::Gateway*>(handle->loop->data)->begin_shutdown();
    uv_walk(
        handle->loop,
        [](uv_handle_t* h, void*) {
          if (!uv_is_closing(h)) uv_close(h, nullptr);
        },
        nullptr);
  };
  uv_signal_start(&sigint, on_signal, SIGINT);
  uv_signal_start(&sigterm, on_signal, SIGTERM);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);

  gw->wait();
  if (admin) admin->stop();
  const gateway::MetricsSnapshot m = gw->metrics();
  spdlog::info("stopped: {} connections accepted, {} closed", m.accepted, m.closed_total());
  return 0;
}
