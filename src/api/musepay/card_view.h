// How a card is shown in MusePay's shape (/v1/card/query and callbacks), and finding a
// caller's card: a card is found only by its merchant, and only with its own user_id.
#pragma once

#include <boost/json/object.hpp>

#include "storage/store.h"

namespace issuerd::api::musepay {

// The card, or not_found ("card_not_found") when it is not this merchant's or user's card.
Result<storage::CardRecord> find_users_card(storage::Store& store, const std::string& merchant_id,
                                            const std::string& user_id, const std::string& card_id);

// What the card can spend now, in minor units: its funding source's available balance,
// within the card's cap when it has one.
Result<std::int64_t> available_to_spend_minor(storage::Store& store, const storage::CardRecord& card,
                                              std::int64_t now_ms);

// The fields of /v1/card/query (VENDOR-NOTES.md), with real values.
Result<boost::json::object> card_json(storage::Store& store, const storage::CardRecord& card, std::int64_t now_ms);

}  // namespace issuerd::api::musepay
