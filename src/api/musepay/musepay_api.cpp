#include "api/musepay/musepay_api.h"

#include "api/musepay/card_account.h"
#include "api/musepay/card_holders.h"
#include "api/musepay/card_secrets.h"
#include "api/musepay/cards.h"
#include "api/musepay/quotas.h"

namespace issuerd::api::musepay {

void register_routes(http::Router& router, Services& services) {
  register_card_holder_routes(router, services);
  register_card_routes(router, services);
  register_quota_routes(router, services);
  register_card_secret_routes(router, services);
  register_card_account_routes(router, services);
}

}  // namespace issuerd::api::musepay
