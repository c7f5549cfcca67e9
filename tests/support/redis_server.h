// Real redis-server processes for tests of redis/: one server on a free loopback port in a
// private temporary directory (stopped by pid, never a system daemon), or a three-master
// cluster built with `redis-cli --cluster create`. Ports stay at or below 55535 (a cluster
// node's bus listens on port + 10000).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "redis/reply.h"
#include "tests/support/temp_files.h"

namespace mtedge::test {

// redis-server and redis-cli are on the PATH (tests skip without them).
bool redis_installed();

class RedisServer {
 public:
  // `extra_args`: more redis-server options ("--requirepass", "pw", ...).
  explicit RedisServer(std::vector<std::string> extra_args = {}, bool cluster = false);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts on a free port (the first time) or the same port again (after kill()), then waits
  // until it answers PING (any answer: a server that wants AUTH says NOAUTH). False on failure.
  bool start();
  // SIGKILL (after SIGCONT if paused) and reap.
  void kill();
  // SIGSTOP / SIGCONT: the socket stays open, nothing is answered.
  void pause();
  void resume();

  uint16_t port() const { return port_; }
  // One synchronous command on a fresh blocking connection (test setup and checks).
  Result<redis::Reply> call(const std::vector<std::string>& args, int timeout_ms = 5000) const;

 private:
  bool wait_until_answering(int timeout_ms) const;

  std::vector<std::string> extra_args_;
  bool cluster_;
  TempDir dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool paused_ = false;
};

// Three masters, slots spread by redis-cli, cluster_state:ok on every node.
class RedisCluster {
 public:
  static constexpr size_t kMasters = 3;
  // Starts the nodes and creates the cluster; false (with `error()`) on failure.
  bool start();
  const std::string& error() const { return error_; }
  RedisServer& node(size_t i) { return *nodes_[i]; }
  // The node id of node(i) (CLUSTER MYID).
  std::string id(size_t i);

 private:
  std::vector<std::unique_ptr<RedisServer>> nodes_;
  TempDir dir_;
  std::string error_;
};

}  // namespace mtedge::test
