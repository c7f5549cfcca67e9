// ScriptedNode: a fake Redis node on a thread for what a real redis-server will not send
// (redirect loops, oversized replies). It reads RESP commands and writes whatever `answer`
// returns for each (given the command's words), serving one connection at a time and
// accepting the next when the client drops it.
#pragma once

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace mtedge::test {

class ScriptedNode {
 public:
  using Answer = std::function<std::string(const std::vector<std::string>& words, uint16_t port)>;

  explicit ScriptedNode(Answer answer) : answer_(std::move(answer)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), size);
    ::listen(listener_, 8);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &size);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedNode() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  uint16_t port() const { return port_; }
  int requests() const { return requests_; }
  int connections() const { return connections_; }

 private:
  void serve() {
    int client = -1;
    redisReader* reader = nullptr;
    while (!stop_) {
      pollfd fd{client >= 0 ? client : listener_, POLLIN, 0};
      if (::poll(&fd, 1, 20) <= 0) continue;
      if (client < 0) {
        client = ::accept(listener_, nullptr, nullptr);
        if (client >= 0) ++connections_;
        reader = redisReaderCreate();
        continue;
      }
      char buffer[4096];
      const ssize_t n = ::read(client, buffer, sizeof buffer);
      bool drop = n <= 0;
      if (!drop) redisReaderFeed(reader, buffer, size_t(n));
      void* raw = nullptr;
      while (!drop && redisReaderGetReply(reader, &raw) == REDIS_OK && raw != nullptr) {
        auto* request = static_cast<redisReply*>(raw);
        std::vector<std::string> words;
        for (size_t i = 0; i < request->elements; ++i) {
          words.emplace_back(request->element[i]->str, request->element[i]->len);
        }
        freeReplyObject(raw);
        ++requests_;
        const std::string answer = answer_(words, port_);
        drop = ::write(client, answer.data(), answer.size()) < 0;
      }
      if (drop) {
        ::close(client);
        client = -1;
        redisReaderFree(reader);
        reader = nullptr;
      }
    }
    if (reader != nullptr) redisReaderFree(reader);
    if (client >= 0) ::close(client);
  }

  Answer answer_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

}  // namespace mtedge::test
