// CPU time and resident memory of a process, from /proc (Linux), and the fd limit.
#pragma once

#include <cstdint>

namespace mtedge::bench {

struct ProcSample {
  bool ok = false;
  double cpu_s = 0;        // user + system time of all its threads
  uint64_t rss_bytes = 0;  // VmRSS
};

ProcSample sample_process(int pid);

// This process's own user + system CPU time.
double self_cpu_seconds();

// Raises this process's soft open-files limit to the hard one; returns the new soft limit.
uint64_t raise_open_files_limit();

}  // namespace mtedge::bench
