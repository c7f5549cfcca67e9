// The embedded backend's record log (backend-adapters/embedded/storage/record_log.h): how many
// appends per second become durable, and how many fdatasyncs they cost, with group commit on and
// off, for 64-byte and 1 KiB records. One producer thread appends as fast as the log lets it,
// with at most --window records not yet durable (a loop acknowledging clients once their records
// are durable), for --seconds per row; a row ends when its last record is durable. The figures
// are those of the disk under --dir (fdatasync dominates): run it on the disk the log will use.
//
//   mtedge_storage_log_bench [--seconds S] [--window N] [--dir DIR]
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "backend-adapters/embedded/storage/record_log.h"

using namespace mtedge;
using namespace mtedge::backend::embedded::storage;

namespace {

struct Row {
  size_t record_bytes = 0;
  bool group_commit = false;
  uint64_t records = 0;
  uint64_t syncs = 0;
  double seconds = 0;
};

bool run(Row& row, const std::string& dir, double seconds, uint64_t window) {
  const std::string path = dir + "/storage_log_bench.log";
  std::filesystem::remove(path);
  auto opened = RecordLog::open({.path = path, .group_commit = row.group_commit}, [](ByteView) {});
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.message().c_str());
    return false;
  }
  RecordLog& log = *opened.value();
  const Bytes record(row.record_bytes, 0x5a);
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration<double>(seconds);
  uint64_t last = 0;
  while (Clock::now() < stop) {
    for (int i = 0; i < 64; ++i) last = log.append(record).value();
    while (last - log.durable_lsn() > window)
      std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
  while (log.durable_lsn() < last) std::this_thread::sleep_for(std::chrono::microseconds(20));
  row.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  row.records = last;
  row.syncs = log.syncs();
  opened.value().reset();
  std::filesystem::remove(path);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 1.0;
  uint64_t window = 4096;
  const char* tmpdir = std::getenv("TMPDIR");
  std::string dir = tmpdir != nullptr ? tmpdir : "/tmp";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--window") == 0 && i + 1 < argc) {
      window = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
      dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--seconds S] [--window N] [--dir DIR]\n", argv[0]);
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);
  std::printf("record log under %s, %.1f s per row, at most %llu records not yet durable\n\n",
              dir.c_str(), seconds, static_cast<unsigned long long>(window));
  std::printf(
      "| record | group commit | appends/s | fsyncs per 1000 records | MiB/s |\n"
      "|---|---|---|---|---|\n");
  for (size_t bytes : {size_t{64}, size_t{1024}}) {
    for (bool group : {true, false}) {
      Row row{bytes, group};
      if (!run(row, dir, seconds, window)) return 1;
      const double rate = double(row.records) / row.seconds;
      std::printf("| %zu B | %s | %.0f | %.1f | %.2f |\n", bytes, group ? "on" : "off", rate,
                  double(row.syncs) * 1000.0 / double(row.records),
                  rate * double(bytes + kRecordOverhead) / 1048576.0);
      std::fflush(stdout);
    }
  }
  return 0;
}
