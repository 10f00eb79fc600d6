#include "api/adpos/adpos_api.h"

#include "api/adpos/apply.h"
#include "api/adpos/auth.h"
#include "api/adpos/cardbins.h"
#include "api/adpos/cards.h"
#include "api/adpos/tasks.h"

namespace issuerd::api::adpos {

void register_routes(http::Router& router, Services& services) {
  register_auth_routes(router, services);
  // The router takes the first match: the literal /cards/... paths before /cards/{id}.
  register_cardbin_routes(router, services);
  register_apply_routes(router, services);
  register_task_routes(router, services);
  register_card_routes(router, services);
}

}  // namespace issuerd::api::adpos
