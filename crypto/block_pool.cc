#include "crypto/block_pool.h"

#include <sys/mman.h>

#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace mtedge::crypto {

// At the start of each mapping. Blocks follow it, each behind a 16-byte header that points
// back to the chunk. A block is free if it is on `free_list` or at or past `next_fresh`.
struct BlockPool::Chunk {
  Chunk* prev = nullptr;  // in partial_
  Chunk* next = nullptr;
  void* free_list = nullptr;  // freed blocks, linked through their first bytes
  size_t next_fresh = 0;      // blocks [next_fresh, capacity) were never handed out
  size_t used = 0;
};

namespace {

constexpr size_t kHeader = 16;
constexpr size_t kChunkHeader = (sizeof(void*) * 5 + 15) / 16 * 16;

uint8_t* block_at(void* chunk, size_t stride, size_t index) {
  return static_cast<uint8_t*>(chunk) + kChunkHeader + index * stride + kHeader;
}

}  // namespace

BlockPool::BlockPool(size_t block_size)
    : stride_((block_size + kHeader + 15) / 16 * 16),
      capacity_((kMappingBytes - kChunkHeader) / stride_) {
  static_assert(sizeof(Chunk) <= kChunkHeader);
  assert(block_size > 0 && block_size <= 4096);
}

BlockPool::~BlockPool() {
  assert(in_use_ == 0);
  if (spare_ != nullptr) munmap(spare_, kMappingBytes);
  while (partial_ != nullptr) {
    Chunk* next = partial_->next;
    munmap(partial_, kMappingBytes);
    partial_ = next;
  }
}

BlockPool::Chunk* BlockPool::map_chunk() {
  void* p =
      mmap(nullptr, kMappingBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) std::abort();
  ++mappings_;
  return new (p) Chunk;
}

void BlockPool::unlink(Chunk* chunk) {
  if (chunk->prev != nullptr) chunk->prev->next = chunk->next;
  if (chunk->next != nullptr) chunk->next->prev = chunk->prev;
  if (partial_ == chunk) partial_ = chunk->next;
  chunk->prev = chunk->next = nullptr;
}

void* BlockPool::allocate() {
  std::lock_guard lock(mu_);
  Chunk* chunk = partial_;
  if (chunk == nullptr) {
    chunk = spare_ != nullptr ? spare_ : map_chunk();
    spare_ = nullptr;
    chunk->next = nullptr;
    partial_ = chunk;
  }
  uint8_t* block = nullptr;
  if (chunk->free_list != nullptr) {
    block = static_cast<uint8_t*>(chunk->free_list);
    chunk->free_list = *reinterpret_cast<void**>(block);
  } else {
    block = block_at(chunk, stride_, chunk->next_fresh++);
    *reinterpret_cast<Chunk**>(block - kHeader) = chunk;
  }
  ++chunk->used;
  ++in_use_;
  if (chunk->used == capacity_) unlink(chunk);  // full: off the partial list
  return block;
}

void BlockPool::free(void* block) {
  if (block == nullptr) return;
  std::lock_guard lock(mu_);
  Chunk* chunk = *reinterpret_cast<Chunk**>(static_cast<uint8_t*>(block) - kHeader);
  const bool was_full = chunk->used == capacity_;
  *reinterpret_cast<void**>(block) = chunk->free_list;
  chunk->free_list = block;
  --chunk->used;
  --in_use_;
  if (was_full) {
    chunk->prev = nullptr;
    chunk->next = partial_;
    if (partial_ != nullptr) partial_->prev = chunk;
    partial_ = chunk;
  }
  if (chunk->used != 0) return;
  unlink(chunk);
  if (spare_ != nullptr) {
    munmap(chunk, kMappingBytes);
    --mappings_;
    return;
  }
  *chunk = Chunk{};  // an empty mapping: hand its blocks out fresh again
  spare_ = chunk;
}

size_t BlockPool::mappings() const {
  std::lock_guard lock(mu_);
  return mappings_;
}

size_t BlockPool::blocks_in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

}  // namespace mtedge::crypto
