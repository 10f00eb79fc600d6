#include "app/demo.h"

#include "api/shared/handler_support.h"
#include "common/currency.h"
#include "common/ids.h"
#include "common/money.h"
#include "crypto/hashing.h"
#include "engine/transfers.h"

namespace issuerd::app {

Result<DemoMerchant> create_demo_merchant(api::Services& services) {
  constexpr std::int64_t funding_minor = 1'000'000;  // 10,000.00 USD
  DemoMerchant demo;
  demo.api_key = api::new_api_key();
  Error failure = make_error(ErrorKind::internal, "demo_failed", "could not create the demo merchant");
  const bool committed = services.writer.run_now([&](storage::Store& store) {
    const std::int64_t now_ms = services.clock.now_ms();
    storage::MerchantRecord merchant{next_id(), "Demo Merchant", crypto::sha256_hex(demo.api_key), std::nullopt,
                                     std::nullopt, "active", now_ms};
    storage::CardProductRecord product{next_id(), "Demo Visa Virtual USD", "424242", "visa", "USD", "1",
                                       "virtual", "0.0005", 3, {merchant.merchant_id}, now_ms};
    if (!store.insert_merchant(merchant).ok() || !store.insert_card_product(product).ok()) return false;
    auto funded = engine::post_transfer(store, {domain::AccountKind::world, "", "USD"},
                                        {domain::AccountKind::merchant_main, merchant.merchant_id, "USD"},
                                        funding_minor, "deposit", merchant.merchant_id, now_ms);
    if (!funded.ok()) {
      failure = funded.error();
      return false;
    }
    demo.merchant_id = merchant.merchant_id;
    demo.card_product_id = product.card_product_id;
    return true;
  });
  if (!committed) return failure;
  demo.main_balance = format_amount(funding_minor, *find_currency("USD")) + " USD";
  return demo;
}

std::string demo_instructions(const DemoMerchant& demo, const std::string& base_url, const std::string& admin_token) {
  std::string text;
  text += "\nDemo merchant created:\n";
  text += "  merchant_id:     " + demo.merchant_id + "\n";
  text += "  api_key:         " + demo.api_key + "   (shown only now)\n";
  text += "  card_product_id: " + demo.card_product_id + "  (Visa 424242, virtual, USD)\n";
  text += "  main account:    " + demo.main_balance + "\n";
  text += "\nFirst requests: the merchant and its balance (admin API), then a card holder (MusePay API):\n";
  text += "  curl -s " + base_url + "/admin/v1/merchants/" + demo.merchant_id + " -H 'Authorization: Bearer " +
          admin_token + "'\n";
  text += "  curl -s -X POST " + base_url + "/v1/carduser/create -H 'x-api-key: " + demo.api_key +
          "' -d '{\"user_xid\":\"first-holder\",\"email\":\"holder@example.com\"}'\n";
  text += "  then /v1/card/apply with that user_id and card_product_id " + demo.card_product_id +
          ", card_level 1 (see docs/api.md)\n\n";
  return text;
}

}  // namespace issuerd::app
