// POST /cards/apply (seeds/adpos-cards-apply.txt): validates (apply_request.h), then in one
// write on the writer: refuses with 403 when a standard card's funding cannot be covered
// (the main account's available balance below num x every_card_top_up_amount), else creates
// the task and its durable job and answers {"task_id": N} at once; the job issues the cards
// (jobs/adpos_task_job.h). With request_id, the request is exactly-once: the same
// request_id with the same parameters answers the same task_id and creates nothing; with
// other parameters, 409. Without request_id every call is a new task. A refused request
// (422, 403) is not remembered and may be retried with the same request_id.
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::adpos {

void register_apply_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::adpos
