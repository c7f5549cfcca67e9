// Files under tests/vectors/ (golden wire bytes, the test RSA key). Test binaries get the
// folder as MTEDGE_VECTORS_DIR from their CMake target.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace mtedge::test {

inline std::string vector_path(std::string_view name) {
  return std::string(MTEDGE_VECTORS_DIR) + "/" + std::string(name);
}

// The bytes of tests/vectors/<name>; aborts if the file cannot be opened (a broken checkout,
// not a case for the test to handle).
inline Bytes read_vector(std::string_view name) {
  const std::string path = vector_path(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "tests/support/vectors.h: cannot open %s\n", path.c_str());
    std::abort();
  }
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace mtedge::test
