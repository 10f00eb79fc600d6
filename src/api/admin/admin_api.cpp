#include "api/admin/admin_api.h"

#include "api/admin/admin_support.h"
#include "api/admin/card_products.h"
#include "api/admin/daily_fee_routes.h"
#include "api/admin/fx_rates.h"
#include "api/admin/webhook_routes.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/url/parse.hpp>

#include "api/shared/handler_support.h"
#include "api/shared/idempotency.h"
#include "api/shared/problem.h"
#include "crypto/hashing.h"
#include "common/currency.h"
#include "common/ids.h"
#include "common/money.h"
#include "crypto/rsa.h"
#include "engine/transfers.h"

namespace issuerd::api::admin {

namespace bj = boost::json;
using domain::AccountKind;

namespace {

Error merchant_not_found() {
  return make_error(ErrorKind::not_found, "merchant_not_found", "no merchant with this id");
}

bj::object merchant_json(const storage::MerchantRecord& merchant) {
  bj::object out;
  out["merchant_id"] = merchant.merchant_id;
  out["name"] = merchant.name;
  out["status"] = merchant.status;
  out["has_public_key"] = merchant.public_key.has_value();
  out["webhook_url"] = merchant.webhook_url ? bj::value(*merchant.webhook_url) : bj::value(nullptr);
  out["created_at"] = format_rfc3339_ms(merchant.created_at_ms);
  return out;
}

bj::object balance_json(const domain::Account& account) {
  const Currency currency = *find_currency(account.currency);
  bj::object out;
  out["currency"] = account.currency;
  out["balance"] = format_amount(account.balance_minor, currency);
  out["held"] = format_amount(account.held_minor, currency);
  out["available"] = format_amount(account.available_minor(), currency);
  return out;
}

// ---- merchants ----

struct NewMerchant {
  std::string name;
  std::optional<std::string> public_key_der;
};

Result<NewMerchant> parse_new_merchant(const bj::object& body) {
  ISSUERD_ASSIGN(std::string name, json::required_string(body, "name"));
  if (name.empty() || name.size() > 200) return invalid("invalid_name", "name must be 1 to 200 characters", "name");
  ISSUERD_ASSIGN(auto public_key_text, json::optional_string(body, "public_key"));
  NewMerchant merchant{std::move(name), std::nullopt};
  if (public_key_text && !public_key_text->empty()) {
    auto key = crypto::RsaPublicKey::parse(*public_key_text);
    if (!key.ok()) return invalid("invalid_public_key", "public_key must be an RSA public key (Base64 DER or PEM)", "public_key");
    merchant.public_key_der = key->der_base64();
  }
  return merchant;
}

void create_merchant(Services& services, const http::Request& request, http::Responder respond) {
  auto body = json::parse_object(request.body);
  if (!body.ok()) return respond(problem_response(body.error()));
  auto parsed = parse_new_merchant(*body);
  if (!parsed.ok()) return respond(problem_response(parsed.error()));
  IdempotentWrite write;
  write.scope = "admin";
  write.route = "/admin/v1/merchants";
  write.key = std::string(request.header("idempotency-key").value_or(""));
  write.request_hash = request_hash(request.path, *body);
  write.response_is_secret = true;  // it carries the api key
  write.render_error = problem_response;
  write.apply = [&services, merchant = std::move(parsed).value()](storage::Store& store) -> WriteOutcome {
    const std::string api_key = new_api_key();
    storage::MerchantRecord record{next_id(), merchant.name, crypto::sha256_hex(api_key), merchant.public_key_der,
                                   std::nullopt, "active", services.clock.now_ms()};
    Status inserted = store.insert_merchant(record);
    if (!inserted.ok()) return {problem_response(inserted.error()), false};
    bj::object out = merchant_json(record);
    out["api_key"] = api_key;
    out["platform_public_key"] = services.keys.platform_rsa.public_key().der_base64();
    return {json_response(201, out), true};
  };
  submit_idempotent_write(services, std::move(write), std::move(respond));
}

void get_merchant(Services& services, const http::PathParams& params, http::Responder respond) {
  const std::string& merchant_id = params.get("id");
  auto found = services.readers.with_store([&](storage::Store& store) -> Result<bj::object> {
    ISSUERD_ASSIGN(auto merchant, store.find_merchant(merchant_id));
    if (!merchant) return merchant_not_found();
    ISSUERD_ASSIGN(auto accounts, store.accounts_of_owner(AccountKind::merchant_main, merchant_id));
    bj::object out = merchant_json(*merchant);
    bj::array balances;
    for (const auto& account : accounts) balances.push_back(balance_json(account));
    out["balances"] = std::move(balances);
    return out;
  });
  respond(found.ok() ? json_response(200, *found) : problem_response(found.error()));
}

void list_merchants(Services& services, const http::Request& request, http::Responder respond) {
  auto page = read_page(request.query, "page", "page_size", 50, 1000);
  if (!page.ok()) return respond(problem_response(page.error()));
  auto listed = services.readers.with_store([&](storage::Store& store) -> Result<bj::object> {
    ISSUERD_ASSIGN(auto merchants, store.list_merchants(page->offset(), page->size));
    ISSUERD_ASSIGN(std::int64_t total, store.count_merchants());
    bj::array data;
    for (const auto& merchant : merchants) data.push_back(merchant_json(merchant));
    return bj::object{{"data", std::move(data)}, {"total", total}, {"page", page->number}, {"page_size", page->size}};
  });
  respond(listed.ok() ? json_response(200, *listed) : problem_response(listed.error()));
}

// ---- deposits and withdrawals ----

struct Movement {
  std::int64_t amount_minor;
  Currency currency;
};

Result<Movement> parse_movement(const bj::object& body) {
  ISSUERD_ASSIGN(std::string currency_code, json::required_string(body, "currency"));
  auto currency = find_currency(currency_code);
  if (!currency) return invalid("unknown_currency", "currency must be a supported ISO 4217 code", "currency");
  ISSUERD_ASSIGN(std::string amount_text, json::required_amount_text(body, "amount"));
  ISSUERD_ASSIGN(std::int64_t amount_minor, parse_amount_minor(amount_text, *currency, AmountSign::positive));
  return Movement{amount_minor, *currency};
}

// A deposit moves money from the outside world into the merchant's main account; a
// withdrawal moves it back out and may not overdraw.
void move_merchant_money(Services& services, const http::Request& request, const http::PathParams& params,
                         bool deposit, http::Responder respond) {
  const std::string key(request.header("idempotency-key").value_or(""));
  if (key.empty() || key.size() > 255) {
    return respond(problem_response(invalid("missing_idempotency_key",
                                            "send an Idempotency-Key header (1 to 255 characters)", "Idempotency-Key")));
  }
  auto body = json::parse_object(request.body);
  if (!body.ok()) return respond(problem_response(body.error()));
  auto movement = parse_movement(*body);
  if (!movement.ok()) return respond(problem_response(movement.error()));
  IdempotentWrite write;
  write.scope = "admin";
  write.route = deposit ? "/admin/v1/merchants/{id}/deposits" : "/admin/v1/merchants/{id}/withdrawals";
  write.key = key;
  write.request_hash = request_hash(request.path, *body);
  write.render_error = problem_response;
  write.apply = [&services, deposit, merchant_id = params.get("id"), m = *movement](storage::Store& store) -> WriteOutcome {
    auto merchant = store.find_merchant(merchant_id);
    if (!merchant.ok()) return {problem_response(merchant.error()), false};
    if (!*merchant) return {problem_response(merchant_not_found()), false};
    const std::string currency(m.currency.code);
    const engine::AccountRef world{AccountKind::world, "", currency};
    const engine::AccountRef main{AccountKind::merchant_main, merchant_id, currency};
    const std::string transfer_kind = deposit ? "deposit" : "withdrawal";
    auto posted = deposit ? engine::post_transfer(store, world, main, m.amount_minor, transfer_kind, merchant_id,
                                                  services.clock.now_ms())
                          : engine::post_transfer(store, main, world, m.amount_minor, transfer_kind, merchant_id,
                                                  services.clock.now_ms());
    if (!posted.ok()) return {problem_response(posted.error()), false};
    const domain::Account& account = deposit ? posted->credit : posted->debit;
    bj::object out;
    out["transfer_id"] = posted->transfer.transfer_id;
    out["merchant_id"] = merchant_id;
    out["type"] = transfer_kind;
    out["amount"] = format_amount(m.amount_minor, m.currency);
    out["currency"] = currency;
    out["balance_after"] = format_amount(account.balance_minor, m.currency);
    out["created_at"] = format_rfc3339_ms(posted->transfer.created_at_ms);
    return {json_response(201, out), true};
  };
  submit_idempotent_write(services, std::move(write), std::move(respond));
}

// ---- webhooks ----

Result<std::string> parse_webhook_url(const bj::object& body) {
  ISSUERD_ASSIGN(std::string url, json::required_string(body, "url"));
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (url.size() > 2000 || !parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") ||
      parsed->host().empty()) {
    return invalid("invalid_url", "url must be an absolute http or https URL", "url");
  }
  return url;
}

void set_webhook(Services& services, const http::Request& request, const http::PathParams& params,
                 http::Responder respond) {
  auto body = json::parse_object(request.body);
  if (!body.ok()) return respond(problem_response(body.error()));
  auto url = parse_webhook_url(*body);
  if (!url.ok()) return respond(problem_response(url.error()));
  IdempotentWrite write;
  write.scope = "admin";
  write.route = "/admin/v1/merchants/{id}/webhooks";
  write.render_error = problem_response;
  write.apply = [merchant_id = params.get("id"), url = *url](storage::Store& store) -> WriteOutcome {
    auto merchant = store.find_merchant(merchant_id);
    if (!merchant.ok()) return {problem_response(merchant.error()), false};
    if (!*merchant) return {problem_response(merchant_not_found()), false};
    Status saved = store.set_merchant_webhook(merchant_id, url);
    if (!saved.ok()) return {problem_response(saved.error()), false};
    return {json_response(200, bj::object{{"merchant_id", merchant_id}, {"webhook_url", url}}), true};
  };
  submit_idempotent_write(services, std::move(write), std::move(respond));
}

// ---- ledger, clock, health, metrics ----

// The writer keeps hot rows in memory (storage/write_behind.h). After an operator edits the
// database by hand, this makes it write back and forget them, so it reads the edit.
void reload_writer_cache(Services& services, http::Responder respond) {
  IdempotentWrite write;
  write.scope = "admin";
  write.route = "/admin/v1/writer/reload";
  write.render_error = problem_response;
  // An ordinary (not hot) command: the writer has written its cache back before it runs,
  // so dropping it loses nothing.
  write.apply = [](storage::Store& store) -> WriteOutcome {
    store.drop_cache();
    return {json_response(200, bj::object{{"reloaded", true}}), true};
  };
  submit_idempotent_write(services, std::move(write), std::move(respond));
}

void ledger_invariants(Services& services, http::Responder respond) {
  auto checked = services.readers.with_store([](storage::Store& store) -> Result<bj::object> {
    ISSUERD_ASSIGN(auto totals, store.balance_totals_by_currency());
    ISSUERD_ASSIGN(std::int64_t negative, store.count_forbidden_negative_accounts());
    ISSUERD_ASSIGN(std::int64_t disagreeing, store.count_accounts_disagreeing_with_transfers());
    ISSUERD_ASSIGN(std::int64_t orphaned, store.count_transfers_with_unknown_accounts());
    bool ok = negative == 0 && disagreeing == 0 && orphaned == 0;
    bj::array currencies;
    for (const auto& total : totals) {
      ok = ok && total.balance_sum_minor == 0;
      currencies.push_back(bj::object{{"currency", total.currency}, {"balance_sum_minor", total.balance_sum_minor}});
    }
    return bj::object{{"ok", ok},
                      {"currencies", std::move(currencies)},
                      {"forbidden_negative_accounts", negative},
                      {"accounts_disagreeing_with_transfers", disagreeing},
                      {"transfers_with_unknown_accounts", orphaned}};
  });
  respond(checked.ok() ? json_response(200, *checked) : problem_response(checked.error()));
}

void set_test_clock(Services& services, const http::Request& request, http::Responder respond) {
  auto body = json::parse_object(request.body);
  if (!body.ok()) return respond(problem_response(body.error()));
  auto now_text = json::required_string(*body, "now");
  if (!now_text.ok()) return respond(problem_response(now_text.error()));
  auto now_ms = parse_rfc3339_ms(*now_text);
  if (!now_ms.ok()) {
    Error error = now_ms.error();
    error.field = "now";
    return respond(problem_response(error));
  }
  services.clock.set_ms(*now_ms);
  respond(json_response(200, bj::object{{"now", format_rfc3339_ms(services.clock.now_ms())}}));
}

}  // namespace

http::RouteHandler guarded(Services& services, AdminHandler handler) {
  return [&services, handler = std::move(handler)](const http::Request& request, const http::PathParams& params,
                                                   http::Responder respond) {
    Status allowed = authenticate_admin(services, request);
    if (!allowed.ok()) return respond(problem_response(allowed.error()));
    handler(request, params, std::move(respond));
  };
}

Error invalid(std::string reason, std::string message, std::string field) {
  return make_error(ErrorKind::invalid_argument, std::move(reason), std::move(message), std::move(field));
}

void register_routes(http::Router& router, Services& services, bool test_clock) {
  router.add("GET", "/healthz", [](const http::Request&, const http::PathParams&, http::Responder respond) {
    respond(json_response(200, bj::object{{"status", "ok"}}));
  });
  router.add("GET", "/metrics", [&services](const http::Request&, const http::PathParams&, http::Responder respond) {
    respond(http::Response{200, "text/plain; version=0.0.4", services.metrics.render(), {}});
  });
  router.add("POST", "/admin/v1/merchants",
             guarded(services, [&services](const http::Request& request, const http::PathParams&, http::Responder r) {
               create_merchant(services, request, std::move(r));
             }));
  router.add("GET", "/admin/v1/merchants",
             guarded(services, [&services](const http::Request& request, const http::PathParams&, http::Responder r) {
               list_merchants(services, request, std::move(r));
             }));
  router.add("GET", "/admin/v1/merchants/{id}",
             guarded(services, [&services](const http::Request&, const http::PathParams& params, http::Responder r) {
               get_merchant(services, params, std::move(r));
             }));
  router.add("POST", "/admin/v1/merchants/{id}/deposits",
             guarded(services, [&services](const http::Request& request, const http::PathParams& params,
                                           http::Responder r) { move_merchant_money(services, request, params, true, std::move(r)); }));
  router.add("POST", "/admin/v1/merchants/{id}/withdrawals",
             guarded(services, [&services](const http::Request& request, const http::PathParams& params,
                                           http::Responder r) { move_merchant_money(services, request, params, false, std::move(r)); }));
  router.add("POST", "/admin/v1/merchants/{id}/webhooks",
             guarded(services, [&services](const http::Request& request, const http::PathParams& params,
                                           http::Responder r) { set_webhook(services, request, params, std::move(r)); }));
  router.add("GET", "/admin/v1/ledger/invariants",
             guarded(services, [&services](const http::Request&, const http::PathParams&, http::Responder r) {
               ledger_invariants(services, std::move(r));
             }));
  router.add("POST", "/admin/v1/writer/reload",
             guarded(services, [&services](const http::Request&, const http::PathParams&, http::Responder r) {
               reload_writer_cache(services, std::move(r));
             }));
  register_card_product_routes(router, services);
  register_fx_rate_routes(router, services);
  register_daily_fee_routes(router, services);
  register_webhook_routes(router, services);
  if (test_clock) {
    router.add("POST", "/admin/v1/test/clock",
               guarded(services, [&services](const http::Request& request, const http::PathParams&, http::Responder r) {
                 set_test_clock(services, request, std::move(r));
               }));
  }
}

}  // namespace issuerd::api::admin
