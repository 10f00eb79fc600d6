#include "api/adpos/apply_request.h"

#include <boost/json/parse.hpp>

#include "api/adpos/cardbins.h"
#include "common/currency.h"
#include "common/json.h"
#include "common/money.h"

namespace issuerd::api::adpos {

namespace bj = boost::json;

namespace {

constexpr std::int64_t num_min = 1;
constexpr std::int64_t num_max = 30;
constexpr std::int64_t shared_card_balance_max_units = 50000;
constexpr std::size_t text_bytes_max = 64;
constexpr std::size_t rule_text_bytes_max = 1024;

// Collects every failure so the client sees them all at once.
class Checker {
 public:
  explicit Checker(const bj::object& body) : body_(body) {}

  // The value as sent; nullptr when absent, null or "" (a form cannot send null).
  const bj::value* find(std::string_view name) const {
    auto it = body_.find(name);
    if (it == body_.end() || it->value().is_null()) return nullptr;
    if (it->value().is_string() && it->value().get_string().empty()) return nullptr;
    return &it->value();
  }

  void fail(std::string_view field, const std::string& rule) {
    errors_.emplace_back(std::string(field), "The " + label(field) + " field " + rule + ".");
  }

  std::optional<std::int64_t> integer(std::string_view name, std::int64_t min, std::int64_t max);
  std::int64_t flag(std::string_view name, std::int64_t fallback);
  std::optional<std::string> text(std::string_view name, std::size_t bytes_max);
  std::optional<std::int64_t> amount(const bj::value* value, std::string_view field, const Currency& currency);

  FieldErrors& errors() { return errors_; }

 private:
  // "shared_card_balance" -> "shared card balance", as Laravel words its messages.
  static std::string label(std::string_view field) {
    std::string out(field);
    for (char& c : out) c = c == '_' ? ' ' : c;
    return out;
  }

  const bj::object& body_;
  FieldErrors errors_;
};

std::optional<std::int64_t> Checker::integer(std::string_view name, std::int64_t min, std::int64_t max) {
  const bj::value* value = find(name);
  if (value == nullptr) {
    fail(name, "is required");
    return std::nullopt;
  }
  auto parsed = json::optional_integer(bj::object{{name, *value}}, name);
  if (!parsed.ok()) {
    fail(name, "must be an integer");
    return std::nullopt;
  }
  if (**parsed < min || **parsed > max) {
    fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return **parsed;
}

std::int64_t Checker::flag(std::string_view name, std::int64_t fallback) {
  const bj::value* value = find(name);
  if (value == nullptr) return fallback;
  if (value->is_bool()) return value->get_bool() ? 1 : 0;
  auto parsed = json::optional_integer(bj::object{{name, *value}}, name);
  if (parsed.ok() && (**parsed == 0 || **parsed == 1)) return **parsed;
  fail(name, "must be 0 or 1");
  return fallback;
}

std::optional<std::string> Checker::text(std::string_view name, std::size_t bytes_max) {
  const bj::value* value = find(name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string() && !value->is_int64()) {
    fail(name, "must be a string");
    return std::nullopt;
  }
  std::string out = value->is_string() ? std::string(value->get_string()) : std::to_string(value->get_int64());
  if (out.size() > bytes_max) {
    fail(name, "must not be greater than " + std::to_string(bytes_max) + " characters");
    return std::nullopt;
  }
  // PostgreSQL text cannot hold NUL, and no name or key needs one: refused here, on both
  // databases, rather than by the job that would store it (which then failed for good).
  if (out.find('\0') != std::string::npos) {
    fail(name, "must not contain a NUL character");
    return std::nullopt;
  }
  return out;
}

std::optional<std::int64_t> Checker::amount(const bj::value* value, std::string_view field, const Currency& currency) {
  auto text = json::amount_text(*value, field);
  if (!text.ok()) {
    fail(field, "must be a number");
    return std::nullopt;
  }
  auto minor = parse_amount_minor(*text, currency, AmountSign::non_negative, field);
  if (minor.ok()) return *minor;
  const std::string& reason = minor.error().reason;
  if (reason == "amount_negative") {
    fail(field, "must be at least 0");
  } else if (reason == "amount_too_precise") {
    fail(field, "must have at most " + std::to_string(currency.exponent) + " decimal places");
  } else {
    fail(field, "must be a number");
  }
  return std::nullopt;
}

// ---- the fields ----

// card_bin: sets product id, code and currency. A real product that is not open to the
// merchant is a permission matter (403), not a typo.
void read_card_bin(Checker& check, ApplyParse& out, const std::string& merchant_id,
                   const std::vector<storage::CardProductRecord>& products) {
  auto code = check.text("card_bin", text_bytes_max);
  if (!code) {
    if (check.find("card_bin") == nullptr) check.fail("card_bin", "is required");
    return;
  }
  for (const auto& product : products) {
    if (card_bin_code(product) != *code) continue;
    if (!product_open_to(product, merchant_id)) {
      out.forbidden = make_error(ErrorKind::forbidden, "card_bin_not_allowed",
                                 "This card bin is not available to your account.", "card_bin");
    }
    out.request.card.card_product_id = product.card_product_id;
    out.request.card.card_bin = *code;
    out.request.card.currency = product.currency;
    return;
  }
  check.fail("card_bin", "must be one of the codes of /cards/cardbins");
}

void read_card_type(Checker& check, jobs::AdposCardRequest& card) {
  auto type = check.text("card_type", text_bytes_max);
  card.card_type = type.value_or("standard");
  if (card.card_type != "standard" && card.card_type != "shared") {
    check.fail("card_type", "must be standard or shared");
    card.card_type = "standard";
  }
}

// The rule as an object: sent as one, or as JSON text in a form field.
std::optional<bj::object> rule_object(Checker& check) {
  const bj::value* value = check.find("auto_topup_rule");
  if (value == nullptr) {
    check.fail("auto_topup_rule", "is required when auto topup is 1");
    return std::nullopt;
  }
  if (value->is_object()) return value->get_object();
  if (value->is_string() && value->get_string().size() <= rule_text_bytes_max) {
    auto parsed = json::parse_object(std::string_view(value->get_string()));
    if (parsed.ok()) return std::move(parsed).value();
  }
  check.fail("auto_topup_rule", "must be a JSON object");
  return std::nullopt;
}

void read_rule_amounts(Checker& check, const bj::object& rule, jobs::AdposCardRequest& card,
                       const Currency& currency) {
  const bool shared = card.card_type == "shared";
  const std::string second = shared ? "require_balance" : "topup_amount";
  Checker inner(rule);
  for (const std::string& key : {std::string("min_balance"), second}) {
    const std::string field = "auto_topup_rule." + key;
    const bj::value* value = inner.find(key);
    if (value == nullptr) {
      check.fail(field, "is required");
      continue;
    }
    auto minor = check.amount(value, field, currency);
    if (!minor) continue;
    if (key == "min_balance") {
      card.auto_topup_min_minor = minor;
    } else if (!shared && *minor == 0) {
      check.fail(field, "must be greater than 0");
    } else {
      card.auto_topup_amount_minor = minor;
    }
  }
}

void read_auto_topup(Checker& check, jobs::AdposCardRequest& card, const Currency& currency) {
  if (check.flag("auto_topup", 0) == 0) return;
  auto rule = rule_object(check);
  if (rule) read_rule_amounts(check, *rule, card, currency);
}

void read_shared_balance(Checker& check, jobs::AdposCardRequest& card, const Currency& currency) {
  std::optional<std::int64_t> balance;
  if (const bj::value* value = check.find("shared_card_balance")) {
    balance = check.amount(value, "shared_card_balance", currency);
    std::int64_t max_minor = shared_card_balance_max_units;
    for (int i = 0; i < currency.exponent; ++i) max_minor *= 10;
    if (balance && *balance > max_minor) {
      check.fail("shared_card_balance", "must be between 0 and " + std::to_string(shared_card_balance_max_units));
      balance.reset();
    }
  }
  const std::int64_t unlimited = check.flag("shared_card_balance_unlimit", 1);
  if (card.card_type != "shared" || unlimited == 1) return;
  if (!balance && check.find("shared_card_balance") == nullptr) {
    check.fail("shared_card_balance", "is required when shared card balance unlimit is 0");
  }
  card.shared_cap_minor = balance;
}

void read_single_limit(Checker& check, jobs::AdposCardRequest& card, const Currency& currency) {
  std::optional<std::int64_t> limit;
  const bj::value* value = check.find("single_transaction_limit");
  if (value != nullptr) limit = check.amount(value, "single_transaction_limit", currency);
  if (check.flag("single_transaction_unlimit", 1) == 1) return;
  if (value == nullptr) check.fail("single_transaction_limit", "is required when single transaction unlimit is 0");
  card.single_transaction_limit_minor = limit;
}

}  // namespace

ApplyParse parse_apply(const bj::object& body, const std::string& merchant_id,
                       const std::vector<storage::CardProductRecord>& products) {
  ApplyParse out;
  jobs::AdposCardRequest& card = out.request.card;
  Checker check(body);
  card.num = check.integer("num", num_min, num_max).value_or(0);
  read_card_bin(check, out, merchant_id, products);
  read_card_type(check, card);
  out.request.request_id = check.text("request_id", text_bytes_max);
  // Until card_bin names a currency, amounts are checked with two decimals (USD's).
  const Currency currency = *find_currency(card.currency.empty() ? "USD" : card.currency);
  if (const bj::value* value = check.find("every_card_top_up_amount")) {
    card.every_card_top_up_minor = check.amount(value, "every_card_top_up_amount", currency).value_or(0);
  }
  // A shared card draws on the main account: it holds no money of its own to top up.
  if (card.card_type == "shared") card.every_card_top_up_minor = 0;
  card.username = check.text("username", text_bytes_max);
  read_auto_topup(check, card, currency);
  read_shared_balance(check, card, currency);
  read_single_limit(check, card, currency);
  out.errors = std::move(check.errors());
  return out;
}

}  // namespace issuerd::api::adpos
