#include "gateway/runtime/gateway.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

#include "gateway/edge/edge_crypto.h"
#include "gateway/runtime/worker.h"

namespace mtedge::gateway {

uint64_t raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return lim.rlim_cur;
}

namespace {

// `bind_errno` (if given) gets the errno of a failed bind, 0 otherwise.
Result<int> bind_socket(const SocketAddress& address, bool reuse_port, int* bind_errno = nullptr) {
  const std::string where = format_address(address.get());
  auto fail = [&](const char* what) {
    return Status::error(std::string(what) + " " + where + ": " + std::strerror(errno));
  };
  int fd = ::socket(address.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail("socket");
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      (reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) ||
      (address.is_ipv6() && ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)) {
    auto status = fail("setsockopt");
    ::close(fd);
    return status;
  }
  if (::bind(fd, address.get(), address.size()) != 0) {
    if (bind_errno != nullptr) *bind_errno = errno;
    auto status = fail("bind");
    ::close(fd);
    return status;
  }
  return fd;
}

}  // namespace

Result<int> bind_reuseport_socket(const SocketAddress& address) {
  return bind_socket(address, /*reuse_port=*/true);
}

Status check_port_free(const SocketAddress& address) {
  if (address.port() == 0) return Status::ok();
  int bind_errno = 0;
  Result<int> probe = bind_socket(address, /*reuse_port=*/false, &bind_errno);
  if (probe) {
    ::close(probe.value());
    return Status::ok();
  }
  if (bind_errno != EADDRINUSE) return probe.status();
  return Status::error(format_address(address.get()) +
                       " is already bound by another process (another mtedge?); set "
                       "share_port = true on this listener to share it on purpose (a hand-over "
                       "restart)");
}

namespace {

// The replay caches' clock: whole seconds that never step.
int64_t monotonic_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Gateway::Gateway(Config config) : config_(std::move(config)) {
  if (config_.gateway.workers == 0) {
    config_.gateway.workers = std::max(1u, std::thread::hardware_concurrency());
  }
  codecs::obfuscated::ReplayCacheOptions replay;
  replay.window_seconds = config_.gateway.replay_window_seconds;
  replay.max_entries = config_.gateway.replay_max_entries;
  replay.clock = &monotonic_seconds;
  // Three per listener (replay_cache(), no_secret_replay_cache()); each allocates its entries
  // on first use.
  for (size_t i = 0; i < kReplayCachesPerListener * config_.listeners.size(); ++i) {
    replay_caches_.push_back(std::make_unique<codecs::obfuscated::ReplayCache>(replay));
  }
}

Gateway::~Gateway() {
  if (started_) {
    begin_shutdown();
    wait();
  }
}

Status Gateway::start() {
  std::signal(SIGPIPE, SIG_IGN);  // a write to a reset socket must be an error, not a kill
  const unsigned n = config_.gateway.workers;

  // Bind every socket here (first: ports below 1024 may need root, which is given up next), so
  // errors are synchronous and port 0 resolves to one port that every worker then shares through
  // SO_REUSEPORT.
  std::vector<std::vector<int>> fds(n);
  Status status;
  for (size_t li = 0; li < config_.listeners.size() && status; ++li) {
    const ListenerConfig& l = config_.listeners[li];
    SocketAddress addr = l.address;
    if (!l.share_port) {
      if (Status free = check_port_free(addr); !free) {
        status = Status::error("listener[" + std::to_string(li) + "] (" + l.name +
                               "): " + free.message());
        break;
      }
    }
    for (unsigned w = 0; w < n; ++w) {
      Result<int> fd = bind_reuseport_socket(addr);
      if (!fd) {
        status =
            Status::error("listener[" + std::to_string(li) + "] (" + l.name + "): " + fd.message());
        break;
      }
      if (w == 0) {
        sockaddr_storage bound{};
        socklen_t len = sizeof bound;
        if (::getsockname(fd.value(), reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
          addr.set_port(address_port(reinterpret_cast<sockaddr*>(&bound)));
        }
        bound_ports_.push_back(addr.port());
      }
      fds[w].push_back(fd.value());
    }
  }
  // Then give root up (gateway.user) before any file is opened for writing, so the auth key
  // file and the backend's state belong to that user; then open them.
  if (status && config_.gateway.run_as) {
    const RunAs& run_as = *config_.gateway.run_as;
    if (Status dropped = drop_privileges(run_as); !dropped) {
      status = Status::error("gateway.user: " + dropped.message());
    } else {
      spdlog::info("running as user {} (uid {}, gid {})", run_as.user, run_as.uid, run_as.gid);
    }
  }
  if (status && config_.crypto.edge_decryption) {
    if (!config_.edge) config_.edge = std::make_shared<EdgeCrypto>();
    if (!config_.edge->is_open()) status = config_.edge->open(config_.crypto);
  }
  if (!status) {
    for (auto& list : fds) {
      for (int fd : list) ::close(fd);
    }
    bound_ports_.clear();
    return status;
  }
  for (unsigned i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(*this, config_, i));
  for (unsigned w = 0; w < n; ++w) {
    Status s = workers_[w]->init(fds[w]);
    if (!s && status) status = s;
  }
  if (!status) {
    workers_.clear();  // abandon()s every loop
    bound_ports_.clear();
    return status;
  }
  for (size_t li = 0; li < config_.listeners.size(); ++li) {
    const ListenerConfig& l = config_.listeners[li];
    SocketAddress addr = l.address;
    addr.set_port(bound_ports_[li]);
    spdlog::info("listener {}: {} on {} worker{}, transports {}; {}", l.name,
                 format_address(addr.get()), n, n == 1 ? "" : "s",
                 codecs::transport_names(l.transports), describe_admitted_clients(l));
  }
  for (unsigned w = 0; w < n; ++w) {
    workers_[w]->run();
    spdlog::info("worker {}: running (backend {})", w, config_.backend_type);
  }
  started_ = true;
  return Status::ok();
}

void Gateway::post(unsigned worker, std::function<void()> task) {
  if (worker < workers_.size()) workers_[worker]->post(std::move(task));
}

void Gateway::visit_worker(unsigned index, std::function<void(Worker&)> task) {
  if (index >= workers_.size()) return;
  Worker* worker = workers_[index].get();
  worker->post([worker, task = std::move(task)] { task(*worker); });
}

void Gateway::route_http_packet(backend::ConnId target, backend::ConnId origin, Bytes packet) {
  const unsigned w = backend::worker_of(target);
  if (w >= workers_.size()) return;
  Worker* worker = workers_[w].get();
  worker->post([worker, target, origin, packet = std::move(packet)]() mutable {
    worker->take_routed_http(target, origin, std::move(packet));
  });
}

void Gateway::begin_shutdown() {
  if (!started_ || stopping_.exchange(true)) return;
  spdlog::info("shutdown: stop accepting, drain for up to {} ms",
               config_.gateway.shutdown_timeout_ms);
  for (auto& w : workers_) {
    Worker* worker = w.get();
    worker->post([worker] { worker->begin_shutdown(); });
  }
}

void Gateway::wait() {
  if (!started_ || joined_) return;
  for (auto& w : workers_) w->join();
  joined_ = true;
  spdlog::info("shutdown: all workers stopped");
}

bool Gateway::backend_up() const {
  for (const auto& worker : workers_) {
    if (!worker->backend_up()) return false;
  }
  return true;
}

MetricsSnapshot Gateway::metrics() const {
  MetricsSnapshot m;
  for (const auto& w : workers_) m.add(w->metrics());
  return m;
}

std::string Gateway::metrics_text() const {
  std::vector<backend::AdapterMetrics::Value> adapter_values;
  for (const auto& w : workers_) {
    for (auto& v : w->adapter_metrics().read()) adapter_values.push_back(std::move(v));
  }
  std::string text =
      prometheus_text(metrics(), workers()) + prometheus_adapter_text(adapter_values);
  if (config_.edge && config_.edge->is_open()) {
    text += prometheus_key_store_text(*config_.edge->store());
    if (const mtproto::DhPairPool* pairs = config_.edge->handshake()->dh_pool())
      text += prometheus_dh_pool_text(pairs->stats());
  }
  return text;
}

}  // namespace mtedge::gateway
