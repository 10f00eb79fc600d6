// The double-entry ledger as pure logic: accounts and transfers in memory, no I/O. The
// engine loads accounts, applies these functions and persists the result in the same
// database transaction as the state change that caused the movement.
//
// Sign convention: balance = posted credits - posted debits on every account, so the
// balances of one currency always sum to zero. A hold (pending debit) reduces what the
// debit account has available without moving money yet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace issuerd::domain {

enum class AccountKind {
  merchant_main,       // a merchant's main account, one per currency
  world,               // money outside issuerd: deposits come from it, withdrawals go to it
  fee_revenue,         // the platform's fee income
  network_settlement,  // what the platform owes the card network for captured spend
  card,                // a standard card's own balance
  budget_quota,        // a shared fund pool (MusePay budget quota)
};

const char* account_kind_name(AccountKind kind);
std::optional<AccountKind> parse_account_kind(std::string_view name);
// Customer money may never go negative; the platform's own counter-accounts may.
bool kind_may_go_negative(AccountKind kind);

struct Account {
  std::string account_id;
  AccountKind kind = AccountKind::world;
  std::string owner_id;
  std::string currency;
  std::int64_t balance_minor = 0;
  std::int64_t held_minor = 0;
  bool may_go_negative = false;

  std::int64_t available_minor() const { return balance_minor - held_minor; }
};

enum class TransferStatus { posted, pending, voided };
const char* transfer_status_name(TransferStatus status);

struct Transfer {
  std::string transfer_id;
  std::string debit_account_id;
  std::string credit_account_id;
  std::int64_t amount_minor = 0;
  std::string currency;
  std::string kind;       // "deposit", "withdrawal", "top_up", "capture", ...
  TransferStatus status = TransferStatus::posted;
  std::string reference;  // the business object that caused it (deposit id, authorization id)
  std::int64_t created_at_ms = 0;
};

// Moves `amount_minor` (> 0, asserted) from debit to credit now. failed_precondition
// "insufficient_balance" when the debit account may not go negative and has less available;
// invalid_argument "amount_out_of_range" on overflow. Accounts are unchanged on error.
Status post(Account& debit, Account& credit, std::int64_t amount_minor);

// Holds `amount_minor` on the debit account: its available balance drops, nothing moves.
// Same errors as post().
Status hold(Account& debit, std::int64_t amount_minor);

// Releases `amount_minor` of an existing hold (asserted to be held).
void release(Account& debit, std::int64_t amount_minor);

// Posts a hold: releases `held_minor` and moves `posted_minor` (which may differ: a partial
// capture, or one above the hold within a tolerance the caller has checked). Fails as post()
// does when the excess over the hold is not available; accounts are unchanged on error.
Status post_held(Account& debit, Account& credit, std::int64_t held_minor, std::int64_t posted_minor);

}  // namespace issuerd::domain
