// BlockPool: fixed-size blocks carved from 64 KiB anonymous mappings. A mapping goes back to
// the OS as soon as none of its blocks is in use (one empty mapping is kept for reuse), so
// memory that many objects free at once (connections going quiet together) leaves the
// process instead of staying behind as holes in the malloc heap.
//
// For allocations that are rare next to the work done with them (the AES-CTR round keys a
// connection rebuilds when it wakes up): one mutex guards the pool, so blocks may be freed on
// any thread. Blocks are 16-byte aligned.
#pragma once

#include <cstddef>
#include <mutex>

namespace mtedge::crypto {

class BlockPool {
 public:
  // `block_size` bytes per block (1..4096).
  explicit BlockPool(size_t block_size);
  // Every block must have been freed: the mappings are unmapped.
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  // A block of block_size bytes (contents unspecified); aborts when the OS has no memory.
  void* allocate();
  // Returns a block from allocate() of this pool.
  void free(void* block);

  // Mappings held now, the kept empty one included (tests, metrics).
  size_t mappings() const;
  size_t blocks_in_use() const;

  static constexpr size_t kMappingBytes = 64 * 1024;

 private:
  struct Chunk;

  Chunk* map_chunk();
  void unlink(Chunk* chunk);

  const size_t stride_;    // block plus its 16-byte header, a multiple of 16
  const size_t capacity_;  // blocks per mapping
  mutable std::mutex mu_;
  Chunk* partial_ = nullptr;  // mappings with a free block (a doubly linked list)
  Chunk* spare_ = nullptr;    // one empty mapping kept for reuse
  size_t mappings_ = 0;
  size_t in_use_ = 0;
};

}  // namespace mtedge::crypto
