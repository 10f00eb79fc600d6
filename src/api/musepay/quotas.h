// Budget quotas and shared-quota cards (seeds/musepay-shared-quota.txt):
//   /v1/card/share-quota/quota/create, /quota/tx/adjustment, /quota/frozen, /quota/unfrozen,
//   /quota/list, /quota/tx/list, /v1/card/share-quota/apply, and
//   /v1/card/share-quota/card/limit (issuerd's own: set a shared card's limit, e.g. lower it).
//
// A frozen quota declines every authorization on its cards (62, quota_frozen) and refuses
// adjustments and new card applications. It still settles what is already in flight
// (captures, reversals, refunds), still pays its daily fee, and its cards' limits may
// still be changed (that moves no money).
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::musepay {

void register_quota_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::musepay
