// Rendezvous hashing: spread, stability under reordering, minimal movement when an
// endpoint is added or removed, and the bounded-load pick for handshakes.
#include "backend-adapters/socket/rendezvous.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace mtedge::backend::socket {
namespace {

std::vector<std::string> names(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back("10.0.0." + std::to_string(i + 1) + ":9500");
  return out;
}

std::vector<uint64_t> keys(size_t n) {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> out(n);
  for (auto& k : out) k = rng();
  return out;
}

constexpr size_t kKeys = 100000;

TEST(Rendezvous, SpreadsKeysEvenly) {
  for (size_t n : {2, 3, 5, 8}) {
    RendezvousHash hash(names(n));
    std::vector<size_t> count(n);
    for (uint64_t k : keys(kKeys)) ++count[hash.pick(k)];
    double fair = double(kKeys) / double(n);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_NEAR(double(count[i]), fair, fair * 0.05) << n << " endpoints, endpoint " << i;
    }
  }
}

TEST(Rendezvous, SequentialKeysSpreadToo) {
  // Connection ids are sequential per worker; they must not land on one endpoint.
  RendezvousHash hash(names(4));
  std::vector<size_t> count(4);
  for (uint64_t k = 0; k < kKeys; ++k) ++count[hash.pick(k)];
  for (size_t c : count) EXPECT_NEAR(double(c), kKeys / 4.0, kKeys / 4.0 * 0.05);
}

TEST(Rendezvous, OrderOfTheListDoesNotMatter) {
  auto list = names(5);
  RendezvousHash a(list);
  std::reverse(list.begin(), list.end());
  RendezvousHash b(list);
  for (uint64_t k : keys(10000)) EXPECT_EQ(names(5)[a.pick(k)], list[b.pick(k)]);
}

TEST(Rendezvous, AddingAnEndpointMovesOnlyWhatItWins) {
  auto before_names = names(4);
  auto after_names = names(5);
  RendezvousHash before(before_names);
  RendezvousHash after(after_names);
  size_t moved = 0;
  for (uint64_t k : keys(kKeys)) {
    const std::string& old_home = before_names[before.pick(k)];
    const std::string& new_home = after_names[after.pick(k)];
    if (old_home != new_home) {
      ++moved;
      EXPECT_EQ(new_home, after_names.back()) << "a key moved between two old endpoints";
    }
  }
  EXPECT_NEAR(double(moved), kKeys / 5.0, kKeys / 5.0 * 0.05);
}

TEST(Rendezvous, RemovingAnEndpointMovesOnlyItsKeys) {
  auto before_names = names(5);
  std::vector<std::string> after_names = before_names;
  after_names.erase(after_names.begin() + 2);
  RendezvousHash before(before_names);
  RendezvousHash after(after_names);
  size_t moved = 0;
  for (uint64_t k : keys(kKeys)) {
    const std::string& old_home = before_names[before.pick(k)];
    const std::string& new_home = after_names[after.pick(k)];
    if (old_home != new_home) {
      ++moved;
      EXPECT_EQ(old_home, before_names[2]) << "a key of a remaining endpoint moved";
    }
  }
  EXPECT_NEAR(double(moved), kKeys / 5.0, kKeys / 5.0 * 0.05);
}

TEST(Rendezvous, BoundedLoadCapsEveryEndpoint) {
  RendezvousHash hash(names(4));
  std::vector<size_t> loads(4, 0);
  const double factor = 1.25;
  for (uint64_t k = 0; k < 1000; ++k) {
    size_t total = 0;
    for (size_t l : loads) total += l;
    size_t i = hash.pick_bounded(k, loads, factor);
    ++loads[i];
    size_t cap = static_cast<size_t>(std::ceil(factor * double(total + 1) / 4.0));
    ASSERT_LE(loads[i], cap) << "key " << k;
  }
}

TEST(Rendezvous, BoundedLoadFollowsRankWhenBalanced) {
  RendezvousHash hash(names(3));
  std::vector<size_t> loads(3, 10);
  for (uint64_t k : keys(1000)) EXPECT_EQ(hash.pick_bounded(k, loads, 1.25), hash.pick(k));
}

TEST(Rendezvous, BoundedLoadSpillsFromAHotEndpoint) {
  RendezvousHash hash(names(2));
  std::vector<size_t> loads = {100, 0};
  for (uint64_t k : keys(1000)) EXPECT_EQ(hash.pick_bounded(k, loads, 1.25), 1u);
}

}  // namespace
}  // namespace mtedge::backend::socket
