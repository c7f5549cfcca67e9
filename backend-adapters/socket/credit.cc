#include "backend-adapters/socket/credit.h"

namespace mtedge::backend::socket {
namespace {
constexpr uint64_t kMaxSendCredit = uint64_t(1) << 40;
}

void CreditLedger::reset() {
  send_credit_ = 0;
  backend_credit_ = window_;
  to_grant_ = 0;
  held_total_ = 0;
  held_.clear();
}

void CreditLedger::add_send_credit(uint32_t messages) {
  send_credit_ += messages;
  if (send_credit_ > kMaxSendCredit) send_credit_ = kMaxSendCredit;
}

bool CreditLedger::try_spend() {
  if (send_credit_ == 0) return false;
  --send_credit_;
  return true;
}

bool CreditLedger::charge() {
  if (backend_credit_ == 0) return false;
  --backend_credit_;
  return true;
}

bool CreditLedger::hold(uint64_t conn) {
  uint32_t& held = held_[conn];
  if (held >= max_held_per_conn_) {
    settle();
    return false;
  }
  ++held;
  ++held_total_;
  return true;
}

void CreditLedger::release(uint64_t conn) {
  auto it = held_.find(conn);
  if (it == held_.end()) return;
  to_grant_ += it->second;
  held_total_ -= it->second;
  held_.erase(it);
}

uint32_t CreditLedger::take_grant(bool force) {
  uint32_t threshold = window_ / 4 > 0 ? window_ / 4 : 1;
  if (to_grant_ == 0 || (!force && to_grant_ < threshold)) return 0;
  uint32_t grant = to_grant_;
  to_grant_ = 0;
  backend_credit_ += grant;
  return grant;
}

}  // namespace mtedge::backend::socket
