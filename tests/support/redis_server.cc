#include "tests/support/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "redis/hiredis_reply.h"

namespace mtedge::test {
namespace {

bool on_path(const char* program) {
  const std::string command = std::string("command -v ") + program + " >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

bool loopback_port_free(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return free;
}

// A random port in [20000, 55535] that is free, with port + 10000 free too (cluster bus).
uint16_t pick_port() {
  static std::minstd_rand rng(static_cast<unsigned>(::getpid()) ^
                              static_cast<unsigned>(std::random_device{}()));
  std::uniform_int_distribution<int> range(20000, 55535);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<uint16_t>(range(rng));
    if (loopback_port_free(port) && loopback_port_free(static_cast<uint16_t>(port + 10000))) {
      return port;
    }
  }
  return 0;
}

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

}  // namespace

bool redis_installed() {
  return on_path("redis-server") && on_path("redis-cli");
}

RedisServer::RedisServer(std::vector<std::string> extra_args, bool cluster)
    : extra_args_(std::move(extra_args)), cluster_(cluster) {}

RedisServer::~RedisServer() {
  kill();
}

bool RedisServer::start() {
  if (pid_ > 0) return true;
  if (port_ == 0) port_ = pick_port();
  if (port_ == 0) return false;
  std::vector<std::string> args = {"redis-server", "--port",    std::to_string(port_),
                                   "--bind",       "127.0.0.1", "--dir",
                                   dir_.file(""),  "--save",    "",
                                   "--appendonly", "no",        "--daemonize",
                                   "no",           "--logfile", dir_.file("redis.log")};
  if (cluster_) {
    args.insert(args.end(), {"--cluster-enabled", "yes", "--cluster-config-file",
                             dir_.file("nodes.conf"), "--cluster-node-timeout", "5000"});
  }
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execvp("redis-server", argv.data());
    ::_exit(127);
  }
  if (pid_ < 0 || !wait_until_answering(10000)) {
    kill();
    return false;
  }
  return true;
}

bool RedisServer::wait_until_answering(int timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) return false;  // it exited
    if (call({"PING"}, 200)) return true;
    sleep_ms(20);
  }
  return false;
}

void RedisServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  if (paused_) ::kill(pid_, SIGCONT);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  paused_ = false;
}

void RedisServer::pause() {
  if (pid_ > 0 && !paused_) ::kill(pid_, SIGSTOP);
  paused_ = true;
}

void RedisServer::resume() {
  if (pid_ > 0 && paused_) ::kill(pid_, SIGCONT);
  paused_ = false;
}

Result<redis::Reply> RedisServer::call(const std::vector<std::string>& args, int timeout_ms) const {
  const timeval timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, timeout);
  if (context == nullptr || context->err != 0) {
    const std::string why = context ? context->errstr : "out of memory";
    if (context) redisFree(context);
    return Status::error("connect: " + why);
  }
  redisSetTimeout(context, timeout);
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(context, int(argv.size()), argv.data(), lengths.data()));
  if (reply == nullptr) {
    const std::string why = context->errstr;
    redisFree(context);
    return Status::error("command: " + why);
  }
  redis::Reply copy = redis::copy_reply(*reply);
  freeReplyObject(reply);
  redisFree(context);
  return copy;
}

bool RedisCluster::start() {
  std::string create = "redis-cli --cluster create";
  for (size_t i = 0; i < kMasters; ++i) {
    nodes_.push_back(std::make_unique<RedisServer>(std::vector<std::string>{}, true));
    if (!nodes_.back()->start()) {
      error_ = std::string("node ").append(std::to_string(i)) + " did not start";
      return false;
    }
    create += " 127.0.0.1:" + std::to_string(nodes_.back()->port());
  }
  create += " --cluster-yes >" + dir_.file("create.log") + " 2>&1";
  if (std::system(create.c_str()) != 0) {
    error_ = "redis-cli --cluster create failed (" + dir_.file("create.log") + ")";
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (size_t i = 0; i < kMasters; ++i) {
    while (true) {
      auto info = nodes_[i]->call({"CLUSTER", "INFO"});
      if (info && info->str().find("cluster_state:ok") != std::string::npos) break;
      if (std::chrono::steady_clock::now() > deadline) {
        error_ = std::string("node ").append(std::to_string(i)) + " never reached cluster_state:ok";
        return false;
      }
      sleep_ms(50);
    }
  }
  return true;
}

std::string RedisCluster::id(size_t i) {
  auto reply = nodes_[i]->call({"CLUSTER", "MYID"});
  return reply ? reply->str() : std::string();
}

}  // namespace mtedge::test
