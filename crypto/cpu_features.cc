#include "crypto/cpu_features.h"

#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define MTEDGE_X86 1
#endif

namespace mtedge::crypto {
namespace {

#if MTEDGE_X86

// cpuid is read directly: clang 14's __builtin_cpu_supports knows neither "sha" nor "vaes".
struct Leaves {
  unsigned l1_ecx = 0;  // leaf 1
  unsigned l7_ebx = 0;  // leaf 7, subleaf 0
  unsigned l7_ecx = 0;
};

Leaves read_leaves() {
  Leaves l;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) != 0) l.l1_ecx = c;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) != 0) {
    l.l7_ebx = b;
    l.l7_ecx = c;
  }
  return l;
}

const Leaves& leaves() {
  static const Leaves l = read_leaves();
  return l;
}

constexpr unsigned kSsse3 = 1u << 9, kSse41 = 1u << 19, kAes = 1u << 25;  // leaf 1, ecx
constexpr unsigned kOsxsave = 1u << 27, kAvx = 1u << 28;                  // leaf 1, ecx
constexpr unsigned kAvx2 = 1u << 5, kSha = 1u << 29;                      // leaf 7, ebx
constexpr unsigned kVaes = 1u << 9;                                       // leaf 7, ecx

bool detect_aes_ni() {
  return (leaves().l1_ecx & kAes) != 0 && (leaves().l1_ecx & kSse41) != 0;
}

bool detect_vaes() {
  const Leaves& l = leaves();
  if ((l.l1_ecx & kOsxsave) == 0 || (l.l1_ecx & kAvx) == 0) return false;
  uint32_t xcr0_lo = 0, xcr0_hi = 0;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 0x6) != 0x6) return false;  // XMM and YMM state saved by the OS
  return detect_aes_ni() && (l.l7_ebx & kAvx2) != 0 && (l.l7_ecx & kVaes) != 0;
}

bool detect_sha_ni() {
  const Leaves& l = leaves();
  return (l.l1_ecx & kSsse3) != 0 && (l.l1_ecx & kSse41) != 0 && (l.l7_ebx & kSha) != 0;
}

#else

bool detect_aes_ni() {
  return false;
}
bool detect_vaes() {
  return false;
}
bool detect_sha_ni() {
  return false;
}

#endif

}  // namespace

bool cpu_has_aes_ni() {
  static const bool yes = detect_aes_ni();
  return yes;
}

bool cpu_has_vaes() {
  static const bool yes = detect_vaes();
  return yes;
}

bool cpu_has_sha_ni() {
  static const bool yes = detect_sha_ni();
  return yes;
}

}  // namespace mtedge::crypto
