// AdPos-shaped transaction callbacks for cards AdPos issued: status approved|declined,
// transaction_type authorization|reversal, billing_status pending|released|processed|
// declined|void, fail_reason. Never the full card number (AdPos's own sends it; we must not).
// Delivered by jobs/outbox as event type ADPOS_TRANSACTION.
#pragma once

#include <cstdint>
#include <string>

#include "storage/store.h"

namespace issuerd::engine {

inline constexpr const char* adpos_transaction_event = "ADPOS_TRANSACTION";

// tx_type/tx_status are the card-transaction view of the step (CHARGE PENDING, CHARGE
// REJECT, CHARGE POSTED, CHARGE CANCELED, REFUND POSTED, FEE POSTED).
Status emit_adpos_transaction(storage::Store& store, const storage::AuthorizationRecord& authorization,
                              const storage::CardRecord& card, const std::string& tx_type,
                              const std::string& tx_status, std::int64_t amount_minor, std::int64_t now_ms);

}  // namespace issuerd::engine
