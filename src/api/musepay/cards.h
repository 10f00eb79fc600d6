// The MusePay card API (seeds/musepay-card.txt): apply, apply-result, query, activate,
// activate-physical, lock, unlock, update-phone, replace, limitChange.
//
// Applications are answered at once with APPLYING and an apply_id; the durable
// card_application job issues the card (see jobs/card_application_job.h), and
// apply-result reports AUDIT_PASS with the card_id, or AUDIT_REFUSE with the reason.
#pragma once

#include "api/musepay/musepay_route.h"
#include "api/shared/services.h"
#include "http/router.h"
#include "storage/card_store.h"

namespace issuerd::api::musepay {

void register_card_routes(http::Router& router, Services& services);

// The fields of /v1/card/apply (also the shared-quota apply's): user_id, request_id,
// card_product_id, card_level, phone_number, phone_area_code, embossed_name.
Result<storage::CardApplicationRecord> parse_application(const Call& call);

// Records an application and its job, idempotent on its request_id, and answers
// {apply_status, apply_id, request_id}. Shared by /v1/card/apply, /v1/card/replace and the
// shared-quota apply.
void submit_application(Services& services, const Call& call, std::string route_pattern,
                        storage::CardApplicationRecord application, http::Responder respond);

}  // namespace issuerd::api::musepay
