#include "engine/funding.h"

namespace issuerd::engine {

Result<AccountRef> funding_source(const storage::CardRecord& card) {
  if (card.funding_kind == "card_balance") return AccountRef{domain::AccountKind::card, card.card_id, card.currency};
  return make_error(ErrorKind::failed_precondition, "funding_kind_not_supported",
                    "cards funded by " + card.funding_kind + " cannot transact yet");
}

}  // namespace issuerd::engine
