// Ledger operations as the engine applies them: load the accounts, let domain/ledger
// decide, persist balances and the transfer together. Called on the writer thread inside
// the command's savepoint, so a failure leaves nothing behind.
#pragma once

#include <cstdint>
#include <string>

#include "domain/ledger.h"
#include "storage/store.h"

namespace issuerd::engine {

struct AccountRef {
  domain::AccountKind kind;
  std::string owner_id;  // "" for platform accounts (world, fee revenue, settlement)
  std::string currency;
};

struct PostedTransfer {
  domain::Transfer transfer;
  domain::Account debit;   // after the transfer
  domain::Account credit;  // after the transfer
};

// Moves `amount_minor` from `debit` to `credit` now, creating either account if new.
// failed_precondition "insufficient_balance" when the debit may not go negative.
Result<PostedTransfer> post_transfer(storage::Store& store, const AccountRef& debit, const AccountRef& credit,
                                     std::int64_t amount_minor, std::string kind, std::string reference,
                                     std::int64_t now_ms);

}  // namespace issuerd::engine
