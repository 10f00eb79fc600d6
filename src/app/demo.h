// --demo: a merchant with a funded main account and a card product, so a first curl works.
#pragma once

#include <string>

#include "api/shared/services.h"

namespace issuerd::app {

struct DemoMerchant {
  std::string merchant_id;
  std::string api_key;
  std::string card_product_id;
  std::string main_balance;  // "10000.00 USD"
};

// Creates a new demo merchant on every call (its api key is shown only now).
Result<DemoMerchant> create_demo_merchant(api::Services& services);

// The text printed after start-up: credentials and a first request to try.
std::string demo_instructions(const DemoMerchant& demo, const std::string& base_url, const std::string& admin_token);

}  // namespace issuerd::app
