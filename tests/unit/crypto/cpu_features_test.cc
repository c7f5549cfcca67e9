#include "crypto/cpu_features.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace mtedge::crypto {
namespace {

TEST(CryptoCpuFeatures, ConsistentAndStable) {
  std::printf("AES-NI: %s, VAES: %s, SHA-NI: %s\n", cpu_has_aes_ni() ? "yes" : "no",
              cpu_has_vaes() ? "yes" : "no", cpu_has_sha_ni() ? "yes" : "no");
  EXPECT_TRUE(!cpu_has_vaes() || cpu_has_aes_ni());  // the VAES batches run on the AES-NI path
  // Read once: the answers never change.
  for (int i = 0; i < 3; ++i) {
    const bool aes = cpu_has_aes_ni(), vaes = cpu_has_vaes(), sha = cpu_has_sha_ni();
    EXPECT_EQ(aes, cpu_has_aes_ni());
    EXPECT_EQ(vaes, cpu_has_vaes());
    EXPECT_EQ(sha, cpu_has_sha_ni());
  }
}

// The cpuid reading against the kernel's view of the same bits (Linux x86 only).
TEST(CryptoCpuFeatures, MatchesProcCpuinfo) {
#if defined(__x86_64__) || defined(__i386__)
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::set<std::string> flags;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags.insert(w);
    break;
  }
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags";
  auto has = [&](const char* f) { return flags.count(f) != 0; };
  EXPECT_EQ(cpu_has_aes_ni(), has("aes") && has("sse4_1"));
  EXPECT_EQ(cpu_has_sha_ni(), has("sha_ni") && has("ssse3") && has("sse4_1"));
  if (cpu_has_vaes()) {
    EXPECT_TRUE(has("vaes") && has("avx2"));
  }
#else
  EXPECT_FALSE(cpu_has_aes_ni());
  EXPECT_FALSE(cpu_has_vaes());
  EXPECT_FALSE(cpu_has_sha_ni());
#endif
}

}  // namespace
}  // namespace mtedge::crypto
