#include "api/musepay/card_holders.h"

#include <boost/json/parse.hpp>

#include "api/musepay/envelope.h"
#include "api/musepay/fields.h"
#include "api/musepay/musepay_route.h"
#include "common/ids.h"
#include "crypto/musepay_signature.h"

namespace issuerd::api::musepay {

namespace bj = boost::json;

namespace {

Error invalid(std::string reason, std::string message, std::string field) {
  return make_error(ErrorKind::invalid_argument, std::move(reason), std::move(message), std::move(field));
}

Result<const bj::object*> optional_object(const bj::object& body, std::string_view field) {
  const bj::value* value = body.if_contains(field);
  if (value == nullptr || value->is_null()) return static_cast<const bj::object*>(nullptr);
  if (!value->is_object()) return invalid("wrong_type", std::string(field) + " must be an object", std::string(field));
  return &value->get_object();
}

// YYYY-MM-DD, as a plain shape check.
bool looks_like_date(const std::string& text) {
  return text.size() == 10 && text[4] == '-' && text[7] == '-' &&
         text.find_first_not_of("0123456789-") == std::string::npos;
}

Result<storage::CardHolderRecord> parse_holder(const bj::object& body) {
  storage::CardHolderRecord holder;
  ISSUERD_ASSIGN(holder.user_xid, required_text(body, "user_xid"));
  ISSUERD_ASSIGN(holder.email, json::optional_string(body, "email"));
  if (holder.email && (holder.email->size() > 254 || holder.email->find('@') == std::string::npos)) {
    return invalid("invalid_email", "email must be an email address", "email");
  }
  ISSUERD_ASSIGN(const bj::object* individual, optional_object(body, "individual"));
  bj::object details;
  if (individual != nullptr) {
    ISSUERD_ASSIGN(holder.first_name, json::optional_string(*individual, "first_name"));
    ISSUERD_ASSIGN(holder.last_name, json::optional_string(*individual, "last_name"));
    ISSUERD_ASSIGN(auto birth, json::optional_string(*individual, "date_of_birth"));
    if (birth && !looks_like_date(*birth)) {
      return invalid("invalid_date", "individual.date_of_birth must be YYYY-MM-DD", "individual.date_of_birth");
    }
    details["individual"] = *individual;
  }
  for (std::string_view part : {"document", "address"}) {
    ISSUERD_ASSIGN(const bj::object* object, optional_object(body, part));
    if (object != nullptr) details[part] = *object;
  }
  if (holder.email) details["email"] = *holder.email;
  // Canonical (sorted) so that the same details sent again compare equal.
  holder.details_json = crypto::musepay_canonical_string(bj::object{{"details", details}}).substr(8);
  holder.kyc_status = "PASSED";
  holder.status = "ACTIVE";
  return holder;
}

bj::object holder_json(const storage::CardHolderRecord& holder, bool full) {
  bj::object out{{"user_id", holder.user_id}, {"user_xid", holder.user_xid}, {"kyc_status", holder.kyc_status}};
  if (!full) return out;
  out["email"] = holder.email ? bj::value(*holder.email) : bj::value(nullptr);
  out["status"] = holder.status;
  out["created_at"] = holder.created_at_ms;
  boost::system::error_code ec;
  bj::value details = bj::parse(holder.details_json, ec);
  if (!ec && details.is_object()) {
    for (const auto& [key, value] : details.as_object()) {
      if (key != "email") out[key] = value;
    }
  }
  return out;
}

void create_holder(Services& services, Call call, http::Responder respond) {
  auto parsed = parse_holder(call.body);
  if (!parsed.ok()) return respond(error_response(parsed.error()));
  storage::CardHolderRecord holder = std::move(parsed).value();
  holder.merchant_id = call.merchant.merchant_id;
  submit(services, call, "/v1/carduser/create", "", [&services, holder](storage::Store& store) mutable -> WriteOutcome {
    auto existing = store.cards().find_holder_by_xid(holder.merchant_id, holder.user_xid);
    if (!existing.ok()) return {error_response(existing.error()), false};
    if (*existing) {
      // user_xid is the partner's own key for the holder: the same details again are a retry.
      if ((*existing)->details_json != holder.details_json) {
        return {error_response(make_error(ErrorKind::conflict, "user_xid_taken",
                                          "user_xid already names a card holder with other details", "user_xid")),
                false};
      }
      return {ok(holder_json(**existing, false)), false};
    }
    holder.user_id = next_id();
    holder.created_at_ms = services.clock.now_ms();
    Status inserted = store.cards().insert_holder(holder);
    if (!inserted.ok()) return {error_response(inserted.error()), false};
    return {ok(holder_json(holder, false)), true};
  }, std::move(respond));
}

void query_holder(Services& services, Call call, http::Responder respond) {
  auto user_id = json::optional_string(call.body, "user_id");
  auto user_xid = json::optional_string(call.body, "user_xid");
  auto email = json::optional_string(call.body, "email");
  for (auto* field : {&user_id, &user_xid, &email}) {
    if (!field->ok()) return respond(error_response(field->error()));
  }
  if (!user_id->has_value() && !user_xid->has_value() && !email->has_value()) {
    return respond(error_response(invalid("missing_field", "send user_id, user_xid or email", "user_id")));
  }
  const std::string merchant_id = call.merchant.merchant_id;
  submit_read(services, call, "/v1/carduser/query",
              [merchant_id, user_id = *user_id, user_xid = *user_xid,
               email = *email](storage::Store& store) -> Result<bj::value> {
                std::optional<storage::CardHolderRecord> holder;
                if (user_id) {
                  ISSUERD_ASSIGN(holder, store.cards().find_holder(merchant_id, *user_id));
                } else if (user_xid) {
                  ISSUERD_ASSIGN(holder, store.cards().find_holder_by_xid(merchant_id, *user_xid));
                } else {
                  ISSUERD_ASSIGN(auto holders, store.cards().find_holders_by_email(merchant_id, *email));
                  if (!holders.empty()) holder = holders.front();
                }
                if (!holder) return make_error(ErrorKind::not_found, "user_not_found", "no card holder matches");
                return bj::value(holder_json(*holder, true));
              },
              std::move(respond));
}

}  // namespace

void register_card_holder_routes(http::Router& router, Services& services) {
  router.add("POST", "/v1/carduser/create", route(services, create_holder));
  router.add("POST", "/v1/carduser/query", route(services, query_holder));
}

}  // namespace issuerd::api::musepay
