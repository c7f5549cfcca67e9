// mtedge: the MTProto edge gateway process.
//   mtedge --config FILE        run until SIGINT/SIGTERM (SIGHUP is logged and ignored)
//   mtedge --check-config FILE  validate FILE, print its warnings and "config ok" (exit 0) or
//                               the error (exit 1)
//   mtedge --version            version, commit, build type, libraries, adapters
//   mtedge secret [plain | dd | ee DOMAIN]         a new MTProxy secret, hex (default dd)
//   mtedge links --config FILE [--host HOST]       tg:// and t.me links for every secret
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "backend-adapters/api/adapter_factory.h"
#include "build_info.h"
#include "crypto/random.h"
#include "gateway/admin/management.h"
#include "gateway/edge/edge_crypto.h"
#include "gateway/runtime/adapters.h"
#include "gateway/runtime/config.h"
#include "gateway/runtime/gateway.h"
#include "gateway/runtime/logging.h"
#include "gateway/runtime/proxy_links.h"

#ifndef MTEDGE_VERSION
#define MTEDGE_VERSION "0.1.0"
#endif

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitConfig = 1;
constexpr int kExitStartup = 3;

// The main loop's data: the gateway, and the handle that wakes the loop from another thread
// (POST /v1/drain) as a signal would. Waking after stop_waiting closed it does nothing.
struct MainLoop {
  mtedge::gateway::Gateway* gateway = nullptr;
  std::mutex mu;
  uv_async_t wake;
  bool wake_open = false;  // under mu

  void fire() {
    std::lock_guard lock(mu);
    if (wake_open) uv_async_send(&wake);
  }
};

// Begins the shutdown and closes every handle of the main loop, which then returns.
void stop_waiting(uv_loop_t* loop) {
  auto* main_loop = static_cast<MainLoop*>(loop->data);
  main_loop->gateway->begin_shutdown();
  {
    std::lock_guard lock(main_loop->mu);
    main_loop->wake_open = false;
  }
  uv_walk(
      loop,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
}

void usage(FILE* out) {
  std::fprintf(out,
               "usage: mtedge --config FILE         run the gateway\n"
               "       mtedge --check-config FILE   validate FILE and exit\n"
               "       mtedge --version | -V | --help | -h\n"
               "       mtedge secret [plain | dd | ee DOMAIN]     print a new secret (hex)\n"
               "       mtedge links --config FILE [--host HOST]   print proxy links\n"
               "(--config=FILE and --check-config=FILE work too.)\n"
               "Signals: SIGINT/SIGTERM stop gracefully; SIGHUP is logged and ignored (see "
               "docs/operations.md).\n");
}

void print_version(const mtedge::backend::AdapterRegistry& registry) {
  std::string adapters;
  for (const std::string& name : registry.names()) adapters += (adapters.empty() ? "" : " ") + name;
  std::printf("mtedge %s (commit %s, %s build)\n%s, libuv %s\nbackend adapters: %s\n",
              MTEDGE_VERSION, MTEDGE_COMMIT, MTEDGE_BUILD_TYPE, OpenSSL_version(OPENSSL_VERSION),
              uv_version_string(), adapters.c_str());
}

// mtedge secret [plain | dd | ee DOMAIN]
int secret_command(int argc, char** argv) {
  const std::string kind = argc > 2 ? argv[2] : "dd";
  const std::string domain = argc > 3 ? argv[3] : "";
  if (argc > 4) {
    std::fprintf(stderr, "mtedge secret: too many arguments\n");
    return kExitUsage;
  }
  auto secret = mtedge::gateway::new_secret(
      kind, domain, [](mtedge::MutableByteView out) { mtedge::crypto::random_bytes(out); });
  if (!secret) {
    std::fprintf(stderr, "mtedge secret: %s\n", secret.message().c_str());
    return kExitUsage;
  }
  std::printf("%s\n", secret.value().c_str());
  return 0;
}

// mtedge links --config FILE [--host HOST]
int links_command(int argc, char** argv, const mtedge::backend::AdapterRegistry& registry) {
  std::string config_path;
  std::string host;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "--host" && i + 1 < argc) {
      host = argv[++i];
    } else {
      std::fprintf(stderr, "mtedge links: unknown or incomplete argument \"%s\"\n", arg.c_str());
      return kExitUsage;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "usage: mtedge links --config FILE [--host HOST]\n");
    return kExitUsage;
  }
  auto config = mtedge::gateway::load_config_file(config_path, registry);
  if (!config) {
    std::fprintf(stderr, "config error: %s\n", config.message().c_str());
    return kExitConfig;
  }
  for (const std::string& warning : config->warnings) {
    std::fprintf(stderr, "config warning: %s\n", warning.c_str());
  }
  auto links = mtedge::gateway::proxy_links(config.value(), host);
  if (!links) {
    std::fprintf(stderr, "mtedge links: %s\n", links.message().c_str());
    return kExitConfig;
  }
  std::printf("%s", links.value().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mtedge;
  // SIGHUP (systemctl reload, a closed terminal) must never end the process: ignored from the
  // first instruction, logged while the main loop runs, ignored again during the drain.
  std::signal(SIGHUP, SIG_IGN);
  // Opened by Gateway::start when crypto.edge_decryption is on; adapters created after that
  // (one per worker) reach its auth key store through the provider.
  auto edge = std::make_shared<gateway::EdgeCrypto>();
  backend::AdapterRegistry registry;
  gateway::register_builtin_adapters(registry, [edge] { return edge->store(); });
  if (argc > 1 && std::string(argv[1]) == "secret") return secret_command(argc, argv);
  if (argc > 1 && std::string(argv[1]) == "links") return links_command(argc, argv, registry);

  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return 0;
    }
    if (arg == "--version" || arg == "-V") {
      print_version(registry);
      return 0;
    }
    std::string value;
    bool has_value = false;
    for (const char* flag : {"--config", "--check-config"}) {
      const std::string with_eq = std::string(flag) + "=";
      if (arg == flag && i + 1 < argc) {
        value = argv[++i];
      } else if (arg.rfind(with_eq, 0) == 0) {
        value = arg.substr(with_eq.size());
      } else {
        continue;
      }
      has_value = true;
      check_only = check_only || std::string(flag) == "--check-config";
      arg = flag;
      break;
    }
    if (has_value) {
      if (!config_path.empty()) {
        std::fprintf(stderr, "mtedge: a config file named twice (\"%s\" and \"%s\")\n",
                     config_path.c_str(), value.c_str());
        return kExitUsage;
      }
      if (value.empty()) {
        std::fprintf(stderr, "mtedge: %s needs a file name\n", arg.c_str());
        return kExitUsage;
      }
      config_path = value;
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
  spdlog::info(
      "mtedge {} (commit {}) starting: config {}, {} worker{}, backend {}, open-files limit {}",
      MTEDGE_VERSION, MTEDGE_COMMIT, config_path, config->gateway.workers,
      config->gateway.workers == 1 ? "" : "s", config->backend_type, fd_limit);
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
  // The main thread only waits for a signal, or for POST /v1/drain (which has begun the
  // shutdown itself and wakes the loop); the workers run on their own threads.
  uv_loop_t loop;
  uv_loop_init(&loop);
  MainLoop main_loop;
  main_loop.gateway = gw.get();
  loop.data = &main_loop;
  uv_async_init(&loop, &main_loop.wake, [](uv_async_t* handle) {
    spdlog::info("drain requested through the management API: shutting down");
    stop_waiting(handle->loop);
  });
  main_loop.wake_open = true;
  std::unique_ptr<gateway::admin::Management> admin;
  if (admin_config.enabled) {
    gateway::admin::ProcessInfo process{MTEDGE_VERSION, MTEDGE_COMMIT, config_path,
                                        gateway::admin::file_sha256(config_path)};
    admin = std::make_unique<gateway::admin::Management>(*gw, admin_config, std::move(process),
                                                         [&main_loop] { main_loop.fire(); });
    if (Status s = admin->start(); !s) {
      spdlog::critical("startup failed: {}", s.message());
      stop_waiting(&loop);
      uv_run(&loop, UV_RUN_DEFAULT);
      uv_loop_close(&loop);
      gw->wait();
      return kExitStartup;
    }
  }

  uv_signal_t sigint;
  uv_signal_t sigterm;
  uv_signal_init(&loop, &sigint);
  uv_signal_init(&loop, &sigterm);
  auto on_signal = [](uv_signal_t* handle, int signum) {
    spdlog::info("received {}: shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
    stop_waiting(handle->loop);
  };
  uv_signal_start(&sigint, on_signal, SIGINT);
  uv_signal_start(&sigterm, on_signal, SIGTERM);
  // SIGHUP is logged while the loop runs (until configuration reload exists). Closing the
  // handle gives the signal back to SIG_DFL, so it is ignored again after the loop.
  uv_signal_t sighup;
  uv_signal_init(&loop, &sighup);
  uv_signal_start(
      &sighup,
      [](uv_signal_t*, int) {
        spdlog::warn(
            "received SIGHUP: ignored (configuration reload is not supported; "
            "restart to apply a new config)");
      },
      SIGHUP);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  std::signal(SIGHUP, SIG_IGN);

  gw->wait();
  if (admin) admin->stop();
  const gateway::MetricsSnapshot m = gw->metrics();
  spdlog::info("stopped: {} connections accepted, {} closed", m.accepted, m.closed_total());
  return 0;
}
