// Rows the storage suites need as the things other rows refer to.
#pragma once

#include "storage/card_store.h"
#include "storage/store.h"

namespace issuerd::testing {

// A new merchant with a card holder, a card product and an ACTIVE USD card of that
// holder; the card as stored. Records a gtest failure if any insert fails.
storage::CardRecord insert_test_card(storage::Store& store);

}  // namespace issuerd::testing
