#include "crypto/aes_ni.h"

namespace mtedge::codecs::aesni {
namespace {

bool detect() {
#if MTEDGE_HAVE_AESNI
  __builtin_cpu_init();
  return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
#else
  return false;
#endif
}

}  // namespace

bool available() {
  static const bool supported = detect();
  return supported;
}

}  // namespace mtedge::codecs::aesni
