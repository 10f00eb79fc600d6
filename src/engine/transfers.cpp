#include "engine/transfers.h"

#include "common/assert.h"
#include "common/ids.h"

namespace issuerd::engine {

Result<PostedTransfer> post_transfer(storage::Store& store, const AccountRef& debit_ref, const AccountRef& credit_ref,
                                     std::int64_t amount_minor, std::string kind, std::string reference,
                                     std::int64_t now_ms) {
  ISSUERD_ASSERT(debit_ref.currency == credit_ref.currency);
  ISSUERD_ASSIGN(domain::Account debit,
                 store.find_or_create_account(debit_ref.kind, debit_ref.owner_id, debit_ref.currency, now_ms));
  ISSUERD_ASSIGN(domain::Account credit,
                 store.find_or_create_account(credit_ref.kind, credit_ref.owner_id, credit_ref.currency, now_ms));
  ISSUERD_TRY(domain::post(debit, credit, amount_minor));
  domain::Transfer transfer{next_id(),        debit.account_id, credit.account_id,
                            amount_minor,     debit.currency,   std::move(kind),
                            domain::TransferStatus::posted, std::move(reference), now_ms};
  ISSUERD_TRY(store.save_account(debit));
  ISSUERD_TRY(store.save_account(credit));
  ISSUERD_TRY(store.insert_transfer(transfer));
  return PostedTransfer{std::move(transfer), std::move(debit), std::move(credit)};
}

}  // namespace issuerd::engine
