// The job that processes a card application (/v1/card/apply, /v1/card/replace, and the
// shared-quota apply): re-checks the holder, the product and the one-card-per-product
// rule, issues the card (for a replacement: cancels the original and carries its balance,
// limits and channel flags over), records AUDIT_PASS or AUDIT_REFUSE and queues the
// APPLY_AUDIT callback, all in one transaction.
#pragma once

#include <cstdint>

#include "crypto/keys.h"
#include "storage/store.h"

namespace issuerd::jobs {

inline constexpr const char* card_application_job = "card_application";

Status process_card_application(storage::Store& store, const crypto::PlatformKeys& keys,
                                const storage::JobRecord& job, std::int64_t now_ms);

}  // namespace issuerd::jobs
