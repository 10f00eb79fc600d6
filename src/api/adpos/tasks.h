// The bulk issuing tasks of POST /cards/apply:
// - GET /cards/tasks/{task_id}: {task_id, status (pending | completed | partially_failed |
//   failed), request_id, card_type, card_bin, num, created_count, failed_count, created_at,
//   updated_at, cards: [{index, card_id, card_number (masked)}], failures: [{index, reason}]};
//   another merchant's task, or an id that is not a number, is 404.
// - GET /cards/tasks?page=&per_page=: the same without cards and failures, newest first,
//   in a list page (envelope.h).
// A task goes from pending to its outcome in one step: its job issues every card in one
// transaction, so no half-done task is ever seen.
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::adpos {

// Before the /cards/{id} route: "/cards/tasks" must not be read as a card id.
void register_task_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::adpos
