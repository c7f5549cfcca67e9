// The command line the in-process benchmarks share: [--seconds S] [--json FILE].
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mtedge::bench {

struct BenchArgs {
  double seconds;              // the benchmark's own meaning (documented in its header)
  const char* json = nullptr;  // also write the summary there; null: do not
};

// Parses argv into `args` (keeping its defaults for what is not given); on anything else prints
// the usage and returns false (exit with 2).
inline bool parse_bench_args(int argc, char** argv, BenchArgs& args) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      args.seconds = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
      args.json = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--seconds S] [--json FILE]\n", argv[0]);
      return false;
    }
  }
  return true;
}

}  // namespace mtedge::bench
