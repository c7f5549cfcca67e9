// The gateway runtime: N workers, each with its own loop and SO_REUSEPORT sockets for every
// listener. Usable in-process (tests) and by main.cc.
//
//   Gateway gw(std::move(config));
//   Status s = gw.start();          // binds every listener (port 0: the kernel picks one)
//   uint16_t port = gw.bound_port(0);
//   ...
//   gw.begin_shutdown();            // thread-safe; stop accepting, drain, close
//   gw.wait();                      // joins the workers
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "codecs/obfuscated/replay_cache.h"
#include "gateway/conn/http_holders.h"
#include "gateway/runtime/admission.h"
#include "gateway/runtime/config.h"
#include "gateway/runtime/metrics.h"

namespace mtedge::gateway {

class Worker;

class Gateway {
 public:
  explicit Gateway(Config config);
  ~Gateway();  // begin_shutdown() + wait() if still running
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds all listeners on all workers, creates one adapter per worker, starts the worker
  // threads. On error nothing is left running.
  Status start();
  // Thread-safe, idempotent. Each worker stops accepting, calls adapter->stop(), closes its
  // connections gracefully, and force-closes what remains after shutdown_timeout_ms.
  void begin_shutdown();
  // Blocks until every worker has finished.
  void wait();
  bool stopping() const { return stopping_.load(); }
  // Thread-safe: start() has succeeded (every listener bound, the workers running) and no
  // shutdown has begun. It does not probe the listeners.
  bool accepting() const { return started_.load() && !stopping_.load(); }

  const Config& config() const { return config_; }
  unsigned workers() const { return static_cast<unsigned>(workers_.size()); }
  // The port listener `index` is bound to (useful with port 0).
  uint16_t bound_port(size_t index) const { return bound_ports_.at(index); }
  // Thread-safe: runs `task` on worker `worker`'s loop (AdapterContext::post); dropped
  // unrun once that worker has finished.
  void post(unsigned worker, std::function<void()> task);

  // Thread-safe: runs `task` with worker `index` on that worker's loop (dropped like post's).
  void visit_worker(unsigned index, std::function<void(Worker&)> task);

  // Thread-safe, never waits: every worker's adapter reported its backend up at its last
  // probe (Worker::backend_up).
  bool backend_up() const;

  MetricsSnapshot metrics() const;
  // Thread-safe (the admin thread): the gateway's counters, then the adapter's.
  std::string metrics_text() const;

  // The anti-replay cache of listener `listener` for inits of `transport` (thread-safe,
  // shared by every worker): kFakeTls hellos have their own, every other transport's
  // obfuscated2 inits (plain, WebSocket) share the listener's other one.
  codecs::obfuscated::ReplayCache& replay_cache(size_t listener, codecs::TransportKind transport) {
    const size_t kind = transport == codecs::TransportKind::kFakeTls ? 1 : 0;
    return *replay_caches_[kReplayCachesPerListener * listener + kind];
  }
  codecs::obfuscated::ReplayCache& no_secret_replay_cache(size_t listener) {
    return *replay_caches_[kReplayCachesPerListener * listener + 2];
  }

  // HTTP connections holding a request, by auth key (thread-safe).
  HttpHolders& http_holders() { return http_holders_; }
  // Thread-safe: hands `packet` to HTTP connection `target` on its worker, for connection
  // `origin` that had no request to carry it. When `target` is gone by then, the packet is
  // queued on `origin` instead (Worker::take_routed_http).
  void route_http_packet(backend::ConnId target, backend::ConnId origin, Bytes packet);

  // Process-wide open connections, for max_connections (lock-free).
  std::atomic<uint64_t>& open_connections() { return open_connections_; }
  // Open connections per source, for max_connections_per_source (thread-safe).
  SourceCounts& source_counts() { return source_counts_; }
  // Bytes buffered for clients, for max_memory_bytes (thread-safe).
  MemoryAccount& memory() { return memory_; }

 private:
  Config config_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<uint16_t> bound_ports_;
  // Per listener: obfuscated2 with a secret, fake-TLS, obfuscated2 without a secret.
  static constexpr size_t kReplayCachesPerListener = 3;
  std::vector<std::unique_ptr<codecs::obfuscated::ReplayCache>> replay_caches_;
  HttpHolders http_holders_;
  std::atomic<uint64_t> open_connections_{0};
  SourceCounts source_counts_;
  MemoryAccount memory_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> started_{false};
  bool joined_ = false;
};

// Raises the RLIMIT_NOFILE soft limit to the hard limit; returns the new soft limit.
uint64_t raise_fd_limit();

// A listening-ready TCP socket (SO_REUSEADDR + SO_REUSEPORT, IPV6_V6ONLY for v6), bound to
// `address`. Returns the fd, or an error naming the address.
Result<int> bind_reuseport_socket(const SocketAddress& address);

// Fails when another socket (another process's, SO_REUSEPORT or not) is bound to `address`:
// a probe bound without SO_REUSEPORT (SO_REUSEADDR only, so TIME_WAIT does not count).
// Port 0 always passes.
Status check_port_free(const SocketAddress& address);

}  // namespace mtedge::gateway
