#include "api/adpos/cardbins.h"

#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/adpos/auth.h"
#include "api/adpos/envelope.h"

namespace issuerd::api::adpos {

namespace bj = boost::json;

namespace {

bj::object cardbin_json(const storage::CardProductRecord& product) {
  return bj::object{{"card_bin", card_bin_code(product)}, {"bin", product.bin},         {"name", product.name},
                    {"network", product.network},         {"currency", product.currency}, {"form", product.form},
                    {"card_level", product.card_level}};
}

Result<bj::value> list_cardbins(storage::Store& store, const storage::MerchantRecord& merchant, const http::Request&,
                                const http::PathParams&) {
  ISSUERD_ASSIGN(auto products, store.list_card_products());
  bj::array data;
  for (const auto& product : products) {
    if (product_open_to(product, merchant.merchant_id)) data.push_back(cardbin_json(product));
  }
  return bj::value(bj::object{{"data", std::move(data)}});
}

}  // namespace

std::string card_bin_code(const storage::CardProductRecord& product) {
  return product.card_product_id + ":" + product.bin;
}

bool product_open_to(const storage::CardProductRecord& product, const std::string& merchant_id) {
  const auto& allowed = product.merchant_ids;
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), merchant_id) != allowed.end();
}

void register_cardbin_routes(http::Router& router, Services& services) {
  router.add("GET", "/cards/cardbins", read_route(services, list_cardbins));
}

}  // namespace issuerd::api::adpos
