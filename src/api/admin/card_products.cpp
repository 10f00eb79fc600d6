#include "api/admin/card_products.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/admin/admin_support.h"
#include "api/shared/handler_support.h"
#include "api/shared/idempotency.h"
#include "api/shared/problem.h"
#include "common/currency.h"
#include "common/ids.h"
#include "common/money.h"
#include "common/rate.h"

namespace issuerd::api::admin {

namespace bj = boost::json;

namespace {

bool all_digits(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

// Visa BINs start with 4; Mastercard's with 51-55 or 2221-2720.
bool bin_matches_network(const std::string& bin, const std::string& network) {
  if (network == "visa") return bin[0] == '4';
  const int two = std::stoi(bin.substr(0, 2));
  const int four = std::stoi(bin.substr(0, 4));
  return (two >= 51 && two <= 55) || (four >= 2221 && four <= 2720);
}

Result<std::string> parse_card_level(const bj::object& body) {
  auto it = body.find("card_level");
  if (it == body.end() || it->value().is_null()) {
    return invalid("missing_field", "card_level is required", "card_level");
  }
  if (it->value().is_int64() && it->value().get_int64() >= 0) return std::to_string(it->value().get_int64());
  if (it->value().is_string() && !it->value().get_string().empty() && it->value().get_string().size() <= 32) {
    return std::string(it->value().get_string());
  }
  return invalid("invalid_card_level", "card_level must be a short string or a whole number", "card_level");
}

Result<std::vector<std::string>> parse_merchant_ids(const bj::object& body) {
  std::vector<std::string> ids;
  auto it = body.find("merchant_ids");
  if (it == body.end() || it->value().is_null()) return ids;
  if (!it->value().is_array() || it->value().get_array().size() > 1000) {
    return invalid("wrong_type", "merchant_ids must be an array of merchant ids", "merchant_ids");
  }
  for (const bj::value& id : it->value().get_array()) {
    if (!id.is_string()) return invalid("wrong_type", "merchant_ids must be an array of merchant ids", "merchant_ids");
    ids.emplace_back(id.get_string());
  }
  return ids;
}

// An optional rate field, normalised to its shortest exact text; "0" when absent.
Result<std::string> optional_rate(const bj::object& body, std::string_view field, std::int64_t max_ppb) {
  auto it = body.find(field);
  if (it == body.end() || it->value().is_null()) return std::string("0");
  ISSUERD_ASSIGN(std::string text, json::amount_text(it->value(), field));
  ISSUERD_ASSIGN(std::int64_t ppb, parse_rate_ppb(text, field, max_ppb));
  return format_rate_ppb(ppb);
}

Result<storage::CardProductRecord> parse_product(const bj::object& body) {
  storage::CardProductRecord p;
  ISSUERD_ASSIGN(p.name, json::required_string(body, "name"));
  if (p.name.empty() || p.name.size() > 200) return invalid("invalid_name", "name must be 1 to 200 characters", "name");
  ISSUERD_ASSIGN(p.network, json::required_string(body, "network"));
  if (p.network != "visa" && p.network != "mastercard") {
    return invalid("invalid_network", "network must be visa or mastercard", "network");
  }
  ISSUERD_ASSIGN(p.bin, json::required_string(body, "bin"));
  if (!all_digits(p.bin) || (p.bin.size() != 6 && p.bin.size() != 8)) {
    return invalid("invalid_bin", "bin must be 6 or 8 digits", "bin");
  }
  if (!bin_matches_network(p.bin, p.network)) {
    return invalid("bin_network_mismatch", "bin is not in the " + p.network + " range", "bin");
  }
  ISSUERD_ASSIGN(p.currency, json::required_string(body, "currency"));
  if (!find_currency(p.currency)) return invalid("unknown_currency", "currency must be a supported code", "currency");
  ISSUERD_ASSIGN(p.card_level, parse_card_level(body));
  ISSUERD_ASSIGN(p.form, json::required_string(body, "form"));
  if (p.form != "virtual" && p.form != "physical") return invalid("invalid_form", "form must be virtual or physical", "form");
  // Rates are exact decimal text with at most 9 decimals: 0.0005 is 0.05 % a day.
  ISSUERD_ASSIGN(p.over_limit_fee_rate_daily, optional_rate(body, "over_limit_fee_rate_daily", rate_one_ppb - 1));
  ISSUERD_ASSIGN(p.capture_tolerance_rate, optional_rate(body, "capture_tolerance_rate", rate_one_ppb));
  ISSUERD_ASSIGN(p.fx_fee_rate, optional_rate(body, "fx_fee_rate", rate_one_ppb / 10));
  ISSUERD_ASSIGN(auto expiry_years, json::optional_integer(body, "expiry_years"));
  p.expiry_years = expiry_years.value_or(3);
  if (p.expiry_years < 1 || p.expiry_years > 10) {
    return invalid("invalid_expiry_years", "expiry_years must be from 1 to 10", "expiry_years");
  }
  ISSUERD_ASSIGN(p.merchant_ids, parse_merchant_ids(body));
  return p;
}

bj::object product_json(const storage::CardProductRecord& p) {
  bj::array merchants;
  for (const auto& id : p.merchant_ids) merchants.push_back(bj::value(id));
  return bj::object{{"card_product_id", p.card_product_id},
                    {"name", p.name},
                    {"bin", p.bin},
                    {"network", p.network},
                    {"currency", p.currency},
                    {"card_level", p.card_level},
                    {"form", p.form},
                    {"over_limit_fee_rate_daily", p.over_limit_fee_rate_daily},
                    {"capture_tolerance_rate", p.capture_tolerance_rate},
                    {"fx_fee_rate", p.fx_fee_rate},
                    {"expiry_years", p.expiry_years},
                    {"merchant_ids", std::move(merchants)},
                    {"created_at", format_rfc3339_ms(p.created_at_ms)}};
}

void create_product(Services& services, const http::Request& request, http::Responder respond) {
  auto body = json::parse_object(request.body);
  if (!body.ok()) return respond(problem_response(body.error()));
  auto product = parse_product(*body);
  if (!product.ok()) return respond(problem_response(product.error()));
  IdempotentWrite write;
  write.scope = "admin";
  write.route = "/admin/v1/card-products";
  write.key = std::string(request.header("idempotency-key").value_or(""));
  write.request_hash = request_hash(request.path, *body);
  write.render_error = problem_response;
  write.apply = [&services, p = std::move(product).value()](storage::Store& store) mutable -> WriteOutcome {
    for (const std::string& merchant_id : p.merchant_ids) {
      auto merchant = store.find_merchant(merchant_id);
      if (!merchant.ok()) return {problem_response(merchant.error()), false};
      if (!*merchant) {
        return {problem_response(invalid("unknown_merchant", "merchant_ids names no merchant " + merchant_id,
                                         "merchant_ids")), false};
      }
    }
    p.card_product_id = next_id();
    p.created_at_ms = services.clock.now_ms();
    Status inserted = store.insert_card_product(p);
    if (!inserted.ok()) return {problem_response(inserted.error()), false};
    return {json_response(201, product_json(p)), true};
  };
  submit_idempotent_write(services, std::move(write), std::move(respond));
}

void list_products(Services& services, http::Responder respond) {
  auto listed = services.readers.with_store([](storage::Store& store) -> Result<bj::object> {
    ISSUERD_ASSIGN(auto products, store.list_card_products());
    bj::array data;
    for (const auto& product : products) data.push_back(product_json(product));
    const auto total = static_cast<std::int64_t>(data.size());
    return bj::object{{"data", std::move(data)}, {"total", total}};
  });
  respond(listed.ok() ? json_response(200, *listed) : problem_response(listed.error()));
}

}  // namespace

void register_card_product_routes(http::Router& router, Services& services) {
  router.add("POST", "/admin/v1/card-products",
             guarded(services, [&services](const http::Request& request, const http::PathParams&, http::Responder r) {
               create_product(services, request, std::move(r));
             }));
  router.add("GET", "/admin/v1/card-products",
             guarded(services, [&services](const http::Request&, const http::PathParams&, http::Responder r) {
               list_products(services, std::move(r));
             }));
}

}  // namespace issuerd::api::admin
