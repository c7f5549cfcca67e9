#include "mtproto/handshake/dh_group.h"

#include <map>
#include <mutex>
#include <string>

#include "base/hex.h"
#include "crypto/bignum.h"

namespace mtedge::mtproto {
namespace {

// The constants below are well-formed hex.
Bytes from_hex(const char* hex) {
  return *decode_hex(hex);
}

}  // namespace

const DhGroup& DhGroup::telegram_default() {
  static const DhGroup group{
      from_hex("C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F48198A0AA7C14058"
               "229493D22530F4DBFA336F6E0AC925139543AED44CCE7C3720FD51F69458705AC68CD4FE6B6B13AB"
               "DC9746512969328454F18FAF8C595F642477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F"
               "3A9060BEE67CF9A4A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754"
               "FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4E418FC15E83EBEA0"
               "F87FA9FF5EED70050DED2849F47BF959D956850CE929851F0D8115F635B105EE2E4E15D04B2454BF"
               "6F4FADF034B10403119CD8E3B92FCC5B"),
      3};
  return group;
}

Status DhGroup::check() const {
  static std::mutex mu;
  // Keyed by the prime's bytes as a string: a map keyed by vector<uint8_t> draws a false
  // -Wstringop-overread from g++ 12 at -O3.
  static std::map<std::pair<std::string, uint32_t>, bool> checked;
  std::lock_guard lock(mu);
  auto key = std::make_pair(std::string(prime.begin(), prime.end()), g);
  auto it = checked.find(key);
  bool good;
  if (it != checked.end()) {
    good = it->second;
  } else {
    good = prime.size() == 256 && crypto::is_safe_prime_2048(prime) &&
           crypto::is_good_dh_generator(g, prime);
    checked.emplace(key, good);
  }
  if (!good)
    return Status::error(
        "dh group rejected: prime is not a 2048-bit safe prime or g is not a valid generator [g "
        "= " +
        std::to_string(g) + "]");
  return Status::ok();
}

}  // namespace mtedge::mtproto
