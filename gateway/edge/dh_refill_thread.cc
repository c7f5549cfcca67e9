#include "gateway/edge/dh_refill_thread.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

namespace mtedge::gateway {
namespace {

// SCHED_IDLE where the kernel has it (Linux applies sched_setscheduler on a thread id to that
// thread alone); nice 19 otherwise. Best effort: on failure the thread runs at normal priority.
void run_at_idle_priority() {
#ifdef SCHED_IDLE
  sched_param param{};
  if (sched_setscheduler(0, SCHED_IDLE, &param) == 0) return;
#endif
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
}

}  // namespace

DhRefillThread::DhRefillThread(mtproto::DhPairPool& pool)
    : pool_(pool), thread_([this] { run(); }) {}

DhRefillThread::~DhRefillThread() {
  pool_.close();
  thread_.join();
}

void DhRefillThread::run() {
  run_at_idle_priority();
  while (pool_.wait_for_room()) pool_.refill_one();
}

}  // namespace mtedge::gateway
