#include "api/hashdt/resources.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "api/hashdt/envelope.h"
#include "api/hashdt/hashdt_api.h"
#include "common/clock.h"
#include "common/currency.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/money.h"
#include "engine/card_issuing.h"
#include "engine/funding.h"

namespace issuerd::api::hashdt {

namespace bj = boost::json;

namespace {

constexpr const char* holder_pattern = "/issuing/api/{version}/cardholder";
constexpr const char* card_pattern = "/issuing/api/{version}/card";
constexpr std::size_t embossed_name_max = 26;  // what fits on the card's face

// ---- reading fields ----

Result<std::optional<std::string>> text_field(const bj::object& body, std::string_view field, std::size_t max,
                                              bool required) {
  ISSUERD_ASSIGN(auto text, json::optional_string(body, field));
  if (!text || text->empty()) {
    if (required) return invalid("missing_field", std::string(field) + " is required", std::string(field));
    return std::optional<std::string>();
  }
  if (text->size() > max) {
    return invalid("invalid_field", std::string(field) + " must be at most " + std::to_string(max) + " characters",
                   std::string(field));
  }
  return text;
}

bool digits_only(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// YYYY-MM-DD with a month 01-12 and a day 01-31 (a shape check, like MusePay's).
bool is_date(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  if (!digits_only(text.substr(0, 4)) || !digits_only(text.substr(5, 2)) || !digits_only(text.substr(8, 2))) return false;
  const int month = std::stoi(text.substr(5, 2));
  const int day = std::stoi(text.substr(8, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// ---- cardholders ----

struct HolderInput {
  std::string first_name;
  std::string last_name;
  std::string email;
  std::optional<std::string> phone_number;   // digits, an optional leading '+'
  std::optional<std::string> date_of_birth;  // YYYY-MM-DD
  std::optional<std::string> external_id;
};

Status check_holder(const HolderInput& in) {
  if (in.email.find('@') == std::string::npos) return invalid("invalid_email", "email must be an email address", "email");
  if (in.phone_number) {
    std::string_view digits(*in.phone_number);
    if (digits.starts_with('+')) digits.remove_prefix(1);
    if (!digits_only(digits) || digits.size() < 4 || digits.size() > 20) {
      return invalid("invalid_phone_number", "phone_number must be 4 to 20 digits, optionally after '+'", "phone_number");
    }
  }
  if (in.date_of_birth && !is_date(*in.date_of_birth)) {
    return invalid("invalid_date", "date_of_birth must be YYYY-MM-DD", "date_of_birth");
  }
  return Status::success();
}

Result<HolderInput> parse_holder(const bj::object& body) {
  HolderInput in;
  ISSUERD_ASSIGN(auto first, text_field(body, "first_name", 64, true));
  ISSUERD_ASSIGN(auto last, text_field(body, "last_name", 64, true));
  ISSUERD_ASSIGN(auto email, text_field(body, "email", 254, true));
  in.first_name = *first;
  in.last_name = *last;
  in.email = *email;
  ISSUERD_ASSIGN(in.phone_number, text_field(body, "phone_number", 21, false));
  ISSUERD_ASSIGN(in.date_of_birth, text_field(body, "date_of_birth", 10, false));
  ISSUERD_ASSIGN(in.external_id, text_field(body, "external_id", 64, false));
  ISSUERD_TRY(check_holder(in));
  return in;
}

bj::object normalized(const HolderInput& in) {
  bj::object out{{"first_name", in.first_name}, {"last_name", in.last_name}, {"email", in.email}};
  if (in.phone_number) out["phone_number"] = *in.phone_number;
  if (in.date_of_birth) out["date_of_birth"] = *in.date_of_birth;
  if (in.external_id) out["external_id"] = *in.external_id;
  return out;
}

// The holder record MusePay's carduser also reads: names and email in their columns, the
// rest in details_json in MusePay's layout ({"individual": {...}}).
storage::CardHolderRecord holder_record(const HolderInput& in, const std::string& merchant_id, std::int64_t now_ms) {
  storage::CardHolderRecord holder;
  holder.user_id = next_id();
  holder.merchant_id = merchant_id;
  holder.user_xid = in.external_id.value_or("hashdt-" + holder.user_id);
  holder.email = in.email;
  holder.first_name = in.first_name;
  holder.last_name = in.last_name;
  bj::object individual{{"first_name", in.first_name}, {"last_name", in.last_name}};
  if (in.date_of_birth) individual["date_of_birth"] = *in.date_of_birth;
  bj::object details{{"individual", individual}, {"email", in.email}};
  if (in.phone_number) details["phone_number"] = *in.phone_number;
  holder.details_json = json::to_string(details);
  holder.kyc_status = "PASSED";
  holder.status = "ACTIVE";
  holder.created_at_ms = now_ms;
  return holder;
}

bj::object details_of(const storage::CardHolderRecord& holder) {
  boost::system::error_code ec;
  bj::value details = bj::parse(holder.details_json, ec);
  return !ec && details.is_object() ? details.as_object() : bj::object{};
}

bj::value member(const bj::object& object, std::string_view name) {
  const bj::value* value = object.if_contains(name);
  return value != nullptr ? *value : bj::value(nullptr);
}

bj::object holder_json(const storage::CardHolderRecord& holder) {
  const bj::object details = details_of(holder);
  const bj::value individual = member(details, "individual");
  auto optional_text = [](const std::optional<std::string>& text) { return text ? bj::value(*text) : bj::value(nullptr); };
  return bj::object{{"cardholder_id", holder.user_id},
                    {"external_id", holder.user_xid},
                    {"first_name", optional_text(holder.first_name)},
                    {"last_name", optional_text(holder.last_name)},
                    {"email", optional_text(holder.email)},
                    {"phone_number", member(details, "phone_number")},
                    {"date_of_birth", individual.is_object() ? member(individual.as_object(), "date_of_birth") : nullptr},
                    {"kyc_status", holder.kyc_status},
                    {"status", holder.status},
                    {"created_at", format_rfc3339_ms(holder.created_at_ms)}};
}

Result<storage::CardHolderRecord> find_holder(storage::Store& store, const std::string& merchant_id,
                                              const std::string& holder_id) {
  ISSUERD_ASSIGN(auto holder, store.cards().find_holder(merchant_id, holder_id));
  if (!holder) return make_error(ErrorKind::not_found, "cardholder_not_found", "no cardholder with this x-cardholder-id", "x-cardholder-id");
  return std::move(*holder);
}

Result<bj::object> insert_holder(storage::Store& store, const storage::CardHolderRecord& holder, bool external_id_sent) {
  ISSUERD_ASSIGN(auto taken, store.cards().find_holder_by_xid(holder.merchant_id, holder.user_xid));
  if (taken) {
    return make_error(ErrorKind::conflict, "external_id_taken", "external_id already names another cardholder",
                      external_id_sent ? "external_id" : "");
  }
  ISSUERD_TRY(store.cards().insert_holder(holder));
  return holder_json(holder);
}

void create_holder(Services& services, Call call, http::Responder respond) {
  auto input = parse_holder(call.body);
  if (!input.ok()) return respond(error_response(input.error()));
  submit_write(services, call, normalized(*input),
               [&services, merchant_id = call.merchant.merchant_id, in = *input](storage::Store& store) -> WriteOutcome {
                 const auto holder = holder_record(in, merchant_id, services.clock.now_ms());
                 auto created = insert_holder(store, holder, in.external_id.has_value());
                 if (!created.ok()) return {error_response(created.error()), false};
                 return {success("Cardholder has been created successfully.", bj::array{*created}), true};
               },
               std::move(respond));
}

void get_holder(Services& services, Call call, http::Responder respond) {
  auto holder = services.readers.with_store([&](storage::Store& store) {
    return find_holder(store, call.merchant.merchant_id, call.header("x-cardholder-id"));
  });
  if (!holder.ok()) return respond(error_response(holder.error()));
  respond(success("Cardholder fetched successfully.", bj::array{holder_json(*holder)}));
}

// ---- cards ----

struct CardInput {
  std::string card_type;  // virtual | physical
  std::optional<std::string> embossed_name;
};

Result<CardInput> parse_card(const bj::object& body) {
  CardInput in;
  ISSUERD_ASSIGN(auto type, text_field(body, "card_type", 16, true));
  if (*type != "virtual" && *type != "physical") {
    return invalid("invalid_card_type", "card_type must be virtual or physical", "card_type");
  }
  in.card_type = *type;
  ISSUERD_ASSIGN(in.embossed_name, text_field(body, "embossed_name", embossed_name_max, false));
  return in;
}

Result<storage::CardProductRecord> find_open_product(storage::Store& store, const std::string& merchant_id,
                                                     const std::string& product_id) {
  ISSUERD_ASSIGN(auto product, store.find_card_product(product_id));
  const auto& allowed = product ? product->merchant_ids : std::vector<std::string>{};
  if (!product || (!allowed.empty() && std::find(allowed.begin(), allowed.end(), merchant_id) == allowed.end())) {
    return make_error(ErrorKind::not_found, "product_not_found", "no card product with this x-product-id",
                      "x-product-id");
  }
  return std::move(*product);
}

// The name on the card's face: as sent, else the holder's name in capitals.
std::optional<std::string> embossed_name_for(const CardInput& in, const storage::CardHolderRecord& holder) {
  if (in.embossed_name) return in.embossed_name;
  std::string name = holder.first_name.value_or("") + " " + holder.last_name.value_or("");
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  name.resize(std::min(name.size(), embossed_name_max));
  return name;
}

// What the card may spend now (engine::spendable_minor: the wallet's available balance
// within the card's cap); 0 without a wallet, so a read never creates an account.
Result<std::int64_t> available_minor(storage::Store& store, const storage::CardRecord& card,
                                     const std::optional<domain::Account>& wallet, std::int64_t now_ms) {
  if (!wallet) return std::int64_t{0};
  return engine::spendable_minor(store, card, now_ms);
}

// `now_ms`: set for the available balance (GET), nullopt to leave it out (create).
Result<bj::object> card_json(storage::Store& store, const storage::CardRecord& card, std::optional<std::int64_t> now_ms) {
  ISSUERD_ASSIGN(auto wallet, wallet_of(store, card));
  bj::object out{{"card_id", card.card_id},
                 {"wallet_id", wallet ? bj::value(wallet->account_id) : bj::value(nullptr)},
                 {"cardholder_id", card.user_id},
                 {"product_id", card.card_product_id},
                 {"card_type", card.form},
                 {"status", card.card_status},
                 {"masked_pan", engine::masked_pan(card)},
                 {"expiry_month", card.expiry_month},
                 {"expiry_year", card.expiry_year},
                 {"currency", card.currency},
                 {"embossed_name", card.embossed_name ? bj::value(*card.embossed_name) : bj::value(nullptr)}};
  if (now_ms) {
    ISSUERD_ASSIGN(std::int64_t available, available_minor(store, card, wallet, *now_ms));
    out["available_balance"] = format_amount(available, *find_currency(card.currency));
  }
  return out;
}

Status check_can_issue(storage::Store& store, const storage::CardHolderRecord& holder,
                       const storage::CardProductRecord& product, const CardInput& in) {
  if (holder.status != "ACTIVE" || holder.kyc_status != "PASSED") {
    return make_error(ErrorKind::failed_precondition, "cardholder_not_active",
                      "the cardholder is not active with KYC passed", "x-cardholder-id");
  }
  if (product.form != in.card_type) {
    return invalid("card_type_mismatch", "this product issues " + product.form + " cards", "card_type");
  }
  ISSUERD_ASSIGN(std::int64_t live, store.cards().count_live_cards(holder.merchant_id, holder.user_id,
                                                                  product.card_product_id));
  if (live > 0) {
    return make_error(ErrorKind::conflict, "card_exists", "the cardholder already has a card of this product",
                      "x-product-id");
  }
  return Status::success();
}

Result<bj::object> issue(Services& services, storage::Store& store, const Call& call, const CardInput& in) {
  const std::string& merchant_id = call.merchant.merchant_id;
  ISSUERD_ASSIGN(auto holder, find_holder(store, merchant_id, call.header("x-cardholder-id")));
  ISSUERD_ASSIGN(auto product, find_open_product(store, merchant_id, call.header("x-product-id")));
  ISSUERD_TRY(check_can_issue(store, holder, product, in));
  engine::CardIssue request;
  request.merchant_id = merchant_id;
  request.user_id = holder.user_id;
  request.product = product;
  request.card_level = product.card_level;
  const bj::value phone = member(details_of(holder), "phone_number");
  request.phone_number = phone.is_string() ? std::string(phone.as_string()) : std::string();
  request.embossed_name = embossed_name_for(in, holder);
  request.funding_kind = "card_balance";
  request.origin = "hashdt";
  ISSUERD_ASSIGN(storage::CardRecord card, engine::issue_card(store, services.keys, request, services.clock.now_ms()));
  return card_json(store, card, std::nullopt);
}

void create_card(Services& services, Call call, http::Responder respond) {
  auto input = parse_card(call.body);
  if (!input.ok()) return respond(error_response(input.error()));
  bj::object normal{{"card_type", input->card_type}};
  if (input->embossed_name) normal["embossed_name"] = *input->embossed_name;
  submit_write(services, call, normal,
               [&services, call, in = *input](storage::Store& store) -> WriteOutcome {
                 auto card = issue(services, store, call, in);
                 if (!card.ok()) return {error_response(card.error()), false};
                 return {success("Card has been created successfully.", bj::array{*card}), true};
               },
               std::move(respond));
}

Result<bj::object> read_card(storage::Store& store, const Call& call, std::int64_t now_ms) {
  ISSUERD_ASSIGN(auto card, store.cards().find_card(call.merchant.merchant_id, call.header("x-card-id")));
  if (!card || card->user_id != call.header("x-cardholder-id")) {
    return make_error(ErrorKind::not_found, "card_not_found", "no card with this x-card-id for this x-cardholder-id",
                      "x-card-id");
  }
  return card_json(store, *card, now_ms);
}

void get_card(Services& services, Call call, http::Responder respond) {
  const std::int64_t now_ms = services.clock.now_ms();
  auto card = services.readers.with_store([&](storage::Store& store) { return read_card(store, call, now_ms); });
  if (!card.ok()) return respond(error_response(card.error()));
  respond(success("Card fetched successfully.", bj::array{*card}));
}

}  // namespace

void register_resource_routes(http::Router& router, Services& services) {
  auto spec = [](const std::string& method, const char* pattern, std::vector<std::string> headers) {
    return RouteSpec{method + " " + pattern, std::move(headers), method == "POST"};
  };
  router.add("POST", holder_pattern, route(services, spec("POST", holder_pattern, {"x-request-id"}), create_holder));
  router.add("GET", holder_pattern, route(services, spec("GET", holder_pattern, {"x-cardholder-id"}), get_holder));
  router.add("POST", card_pattern,
             route(services, spec("POST", card_pattern, {"x-cardholder-id", "x-product-id", "x-request-id"}), create_card));
  router.add("GET", card_pattern, route(services, spec("GET", card_pattern, {"x-cardholder-id", "x-card-id"}), get_card));
}

}  // namespace issuerd::api::hashdt
