#include "domain/ledger.h"

#include "common/assert.h"
#include "common/money.h"

namespace issuerd::domain {

const char* account_kind_name(AccountKind kind) {
  switch (kind) {
    case AccountKind::merchant_main: return "merchant_main";
    case AccountKind::world: return "world";
    case AccountKind::fee_revenue: return "fee_revenue";
    case AccountKind::network_settlement: return "network_settlement";
    case AccountKind::card: return "card";
    case AccountKind::budget_quota: return "budget_quota";
  }
  return "world";
}

std::optional<AccountKind> parse_account_kind(std::string_view name) {
  for (AccountKind kind : {AccountKind::merchant_main, AccountKind::world, AccountKind::fee_revenue,
                           AccountKind::network_settlement, AccountKind::card, AccountKind::budget_quota}) {
    if (name == account_kind_name(kind)) return kind;
  }
  return std::nullopt;
}

bool kind_may_go_negative(AccountKind kind) {
  return kind == AccountKind::world || kind == AccountKind::fee_revenue || kind == AccountKind::network_settlement;
}

const char* transfer_status_name(TransferStatus status) {
  switch (status) {
    case TransferStatus::posted: return "posted";
    case TransferStatus::pending: return "pending";
    case TransferStatus::voided: return "voided";
  }
  return "posted";
}

namespace {

Error insufficient(const Account& debit) {
  return make_error(ErrorKind::failed_precondition, "insufficient_balance",
                    std::string("insufficient balance in the ") + account_kind_name(debit.kind) + " account");
}

Error overflow() {
  return make_error(ErrorKind::invalid_argument, "amount_out_of_range", "amount is out of range", "amount");
}

// Whether `debit` can give up `amount_minor` more of its available balance.
Status check_can_debit(const Account& debit, std::int64_t amount_minor) {
  std::int64_t available_after = 0;
  if (__builtin_sub_overflow(debit.available_minor(), amount_minor, &available_after)) return overflow();
  if (!debit.may_go_negative && available_after < 0) return insufficient(debit);
  return Status::success();
}

}  // namespace

Status post(Account& debit, Account& credit, std::int64_t amount_minor) {
  ISSUERD_ASSERT(amount_minor > 0);
  ISSUERD_ASSERT(debit.currency == credit.currency);
  ISSUERD_ASSERT(debit.account_id != credit.account_id);
  ISSUERD_TRY(check_can_debit(debit, amount_minor));
  std::int64_t credit_after = 0;
  std::int64_t debit_after = 0;
  if (add_overflows(credit.balance_minor, amount_minor, &credit_after) ||
      __builtin_sub_overflow(debit.balance_minor, amount_minor, &debit_after)) {
    return overflow();
  }
  debit.balance_minor = debit_after;
  credit.balance_minor = credit_after;
  return Status::success();
}

Status hold(Account& debit, std::int64_t amount_minor) {
  ISSUERD_ASSERT(amount_minor > 0);
  ISSUERD_TRY(check_can_debit(debit, amount_minor));
  std::int64_t held_after = 0;
  if (add_overflows(debit.held_minor, amount_minor, &held_after)) return overflow();
  debit.held_minor = held_after;
  return Status::success();
}

void release(Account& debit, std::int64_t amount_minor) {
  ISSUERD_ASSERT(amount_minor > 0);
  ISSUERD_ASSERT(debit.held_minor >= amount_minor);
  debit.held_minor -= amount_minor;
}

Status post_held(Account& debit, Account& credit, std::int64_t held_minor, std::int64_t posted_minor) {
  ISSUERD_ASSERT(held_minor > 0 && posted_minor > 0);
  ISSUERD_ASSERT(debit.held_minor >= held_minor);
  Account debit_after = debit;
  Account credit_after = credit;
  release(debit_after, held_minor);
  ISSUERD_TRY(post(debit_after, credit_after, posted_minor));
  debit = std::move(debit_after);
  credit = std::move(credit_after);
  return Status::success();
}

}  // namespace issuerd::domain
