// How tests and fuzz targets cut one byte stream into reads: whole, byte by byte, or random
// pieces drawn from a seed (the same seed gives the same cuts on every run). Codec tests
// feed every input all three ways; fuzz targets let the input's first byte pick the cut.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "base/bytes.h"

namespace mtedge::test {

enum class Split { kWhole, kByteByByte, kRandom };
inline constexpr Split kAllSplits[] = {Split::kWhole, Split::kByteByByte, Split::kRandom};

inline const char* split_name(Split split) {
  return split == Split::kWhole ? "whole" : split == Split::kByteByByte ? "byte_by_byte" : "random";
}

// Sizes of consecutive reads covering `total` bytes: one read (kWhole, or any split of 0
// bytes), `total` reads of 1 byte, or reads of 1..max_piece bytes drawn from `seed`.
inline std::vector<size_t> split_sizes(size_t total, Split split, uint32_t seed = 42,
                                       size_t max_piece = 97) {
  if (total == 0) return {};
  if (split == Split::kWhole) return {total};
  if (split == Split::kByteByByte) return std::vector<size_t>(total, 1);
  std::mt19937 rng(seed);
  std::vector<size_t> sizes;
  for (size_t left = total; left > 0;) {
    size_t n = std::min<size_t>(left, 1 + rng() % max_piece);
    sizes.push_back(n);
    left -= n;
  }
  return sizes;
}

// Whole, byte by byte, then `random_rounds` random cuts (seeds seed, seed + 1, ...).
inline std::vector<std::vector<size_t>> every_split(size_t total, uint32_t seed = 42,
                                                    size_t max_piece = 37, int random_rounds = 4) {
  std::vector<std::vector<size_t>> out = {split_sizes(total, Split::kWhole),
                                          split_sizes(total, Split::kByteByByte)};
  for (int round = 0; round < random_rounds; ++round)
    out.push_back(split_sizes(total, Split::kRandom, seed + uint32_t(round), max_piece));
  return out;
}

// A fuzz input's split byte: 0 reads the stream whole, n > 0 in random reads of
// 1..n + 1 bytes drawn from seed n.
inline std::vector<size_t> split_sizes_from_byte(size_t total, uint8_t split_byte) {
  if (split_byte == 0) return split_sizes(total, Split::kWhole);
  return split_sizes(total, Split::kRandom, split_byte, size_t(split_byte) + 1);
}

// Calls read(MutableByteView piece) on consecutive pieces of `stream` cut at `sizes` (which
// must add up to at most stream.size()); the pieces are views into `stream`. Stops early
// when `read` returns false; returns the number of bytes handed over.
template <class Read>
size_t feed_pieces(MutableByteView stream, const std::vector<size_t>& sizes, Read&& read) {
  size_t pos = 0;
  for (size_t n : sizes) {
    MutableByteView piece = stream.subspan(pos, n);
    pos += n;
    if (!read(piece)) break;
  }
  return pos;
}

// The same, each piece copied into a buffer of its own first (as a socket read would be),
// so a reader that keeps a view past its feed call reads freed memory under ASan.
template <class Read>
size_t feed_copied_pieces(ByteView stream, const std::vector<size_t>& sizes, Read&& read) {
  size_t pos = 0;
  for (size_t n : sizes) {
    Bytes piece(stream.begin() + pos, stream.begin() + pos + n);
    pos += n;
    if (!read(piece)) break;
  }
  return pos;
}

}  // namespace mtedge::test
