#include "api/musepay/card_secrets.h"

#include <openssl/crypto.h>

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/address.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/musepay/card_view.h"
#include "api/musepay/envelope.h"
#include "api/musepay/fields.h"
#include "api/musepay/musepay_route.h"
#include "common/clock.h"
#include "crypto/hashing.h"
#include "crypto/vault.h"
#include "domain/cards.h"
#include "engine/card_issuing.h"

namespace issuerd::api::musepay {

namespace bj = boost::json;

namespace {

// Long enough for the client app to open the link at once; short enough that a link that
// leaks (a proxy log, a screenshot) is soon worthless.
constexpr std::int64_t sensitive_link_lifetime_ms = 5 * 60 * 1000;
// The token is the link's only credential: 256 random bits cannot be guessed.
constexpr std::size_t sensitive_token_bytes = 32;
// Anything longer is not a token we made; refused before it costs a database lookup.
constexpr std::size_t sensitive_token_length_max = 128;
constexpr const char* sensitive_link_path = "/v1/card/sensitive-info/";
constexpr const char* sensitive_link_pattern = "/v1/card/sensitive-info/{token}";
// Base64 of a 4096-bit RSA ciphertext is 684 characters; more is not a PIN.
constexpr std::size_t card_pin_ciphertext_length_max = 1024;

void wipe(std::string& secret) {
  OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

// A PIN in memory: one heap copy shared by whoever carries it to the writer, wiped when
// the last holder lets go (or earlier, by hand).
struct SecretPin {
  std::string digits;
  explicit SecretPin(const std::string& text) : digits(text) {}
  SecretPin(const SecretPin&) = delete;
  SecretPin& operator=(const SecretPin&) = delete;
  ~SecretPin() { wipe(digits); }
};

Error invalid(std::string message, std::string field) {
  return make_error(ErrorKind::invalid_argument, "invalid_field", std::move(message), std::move(field));
}

struct CardRef {
  std::string card_id;
  std::string user_id;
};

Result<CardRef> card_and_user(const Call& call) {
  ISSUERD_ASSIGN(std::string card_id, required_text(call.body, "card_id"));
  ISSUERD_ASSIGN(std::string user_id, required_text(call.body, "user_id"));
  return CardRef{std::move(card_id), std::move(user_id)};
}

// The caller's card, refused once CANCELED: a canceled card's secrets serve no one.
Result<storage::CardRecord> live_users_card(storage::Store& store, const std::string& merchant_id, const CardRef& ref) {
  ISSUERD_ASSIGN(auto card, find_users_card(store, merchant_id, ref.user_id, ref.card_id));
  if (card.card_status == domain::card_canceled) {
    return make_error(ErrorKind::failed_precondition, "invalid_card_status", "the card is canceled");
  }
  return card;
}

// One textual form per address (IPv4-mapped IPv6 as plain IPv4), so that the address the
// merchant names and the one the server sees compare equal when they are the same host.
std::optional<std::string> canonical_ip(const std::string& text) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(text, ec);
  if (ec) return std::nullopt;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

Result<std::string> client_ip_address(const bj::object& body) {
  ISSUERD_ASSIGN(std::string text, required_text(body, "ip_address", 64));
  std::optional<std::string> canonical = canonical_ip(text);
  if (!canonical) return invalid("ip_address must be an IPv4 or IPv6 address", "ip_address");
  return std::move(*canonical);
}

// ---- POST /v1/card/card-sensitive-info ----

void create_sensitive_link(Services& services, Call call, http::Responder respond) {
  auto ref = card_and_user(call);
  if (!ref.ok()) return respond(error_response(ref.error()));
  auto ip_address = client_ip_address(call.body);
  if (!ip_address.ok()) return respond(error_response(ip_address.error()));
  submit(services, call, "/v1/card/card-sensitive-info", "",
         [&services, merchant_id = call.merchant.merchant_id, ref = *ref,
          ip_address = *ip_address](storage::Store& store) -> WriteOutcome {
           auto card = live_users_card(store, merchant_id, ref);
           if (!card.ok()) return {error_response(card.error()), false};
           // Only the hash is stored: a copy of the database does not open any link.
           const std::string token = crypto::random_token(sensitive_token_bytes);
           const std::int64_t expires_at_ms = services.clock.now_ms() + sensitive_link_lifetime_ms;
           Status saved = store.cards().insert_sensitive_token(storage::SensitiveTokenRecord{
               crypto::sha256_hex(token), merchant_id, card->card_id, ip_address, expires_at_ms, std::nullopt});
           if (!saved.ok()) return {error_response(saved.error()), false};
           return {ok(bj::object{{"expiry", format_rfc3339_ms(expires_at_ms)},
                                 {"url", services.public_url + sensitive_link_path + token}}),
                   true};
         },
         std::move(respond));
}

// ---- GET /v1/card/sensitive-info/{token} ----

// Every answer of the link, errors included, must stay out of caches.
http::Response no_store(int status, const bj::object& body) {
  return http::Response{status, "application/json", bj::serialize(body), {{"Cache-Control", "no-store"}}};
}

http::Response link_error(int status, const char* error, const char* message) {
  return no_store(status, bj::object{{"error", error}, {"message", message}});
}

http::Response link_failure(const Error& failure) {
  int status = 500;
  switch (failure.kind) {
    case ErrorKind::not_found: status = 404; break;
    case ErrorKind::invalid_argument: status = 400; break;
    case ErrorKind::unavailable: status = 503; break;
    default: break;
  }
  return no_store(status, bj::object{{"error", failure.reason}, {"message", failure.message}});
}

bool plausible_token(const std::string& token) {
  if (token.empty() || token.size() > sensitive_token_length_max) return false;
  return token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
         std::string::npos;
}

// Why this token may not be used now, or nothing. The address check comes last and writes
// nothing, so a fetch from the wrong host cannot burn the customer's link.
std::optional<http::Response> refuse_token(const storage::SensitiveTokenRecord& token, std::int64_t now_ms,
                                           const std::string& remote_address) {
  if (now_ms > token.expires_at_ms) return link_error(410, "link_expired", "this link has expired");
  if (token.used_at_ms) return link_error(410, "link_used", "this link was already used");
  if (canonical_ip(remote_address) != token.ip_address) {
    return link_error(403, "ip_address_mismatch", "this link must be opened from the client address it was made for");
  }
  return std::nullopt;
}

// Wipes the PAN and CVV2 copies held by the object once it has been serialised.
void wipe_strings(bj::object& object) {
  for (auto& member : object) {
    if (member.value().is_string()) {
      bj::string& text = member.value().as_string();
      OPENSSL_cleanse(text.data(), text.size());
    }
  }
}

// The seed's payload. CVV2 is computed here and never stored (service code "000").
Result<http::Response> sensitive_payload(const crypto::PlatformKeys& keys, const storage::CardRecord& card) {
  ISSUERD_ASSIGN(std::string pan, engine::open_pan(keys, card));
  const std::string month = (card.expiry_month < 10 ? "0" : "") + std::to_string(card.expiry_month);
  const std::string year = std::to_string(card.expiry_year);
  std::string cvv = crypto::compute_cvv(keys.cvk, pan, year.substr(year.size() - 2) + month, "000");
  bj::object body{{"card_id", card.card_id},   {"card_number", pan},  {"expiry_month", month},
                  {"expiry_year", year},       {"security_code", cvv}};
  wipe(pan);
  wipe(cvv);
  http::Response response = no_store(200, body);
  wipe_strings(body);
  return response;
}

// On the writer, so that checking and spending the token is one step.
WriteOutcome reveal(Services& services, storage::Store& store, const std::string& token_hash,
                    const std::string& remote_address) {
  auto found = store.cards().find_sensitive_token(token_hash);
  if (!found.ok()) return {link_failure(found.error()), false};
  if (!*found) return {link_error(404, "link_not_found", "no such link"), false};
  const storage::SensitiveTokenRecord& token = **found;
  const std::int64_t now_ms = services.clock.now_ms();
  if (auto refusal = refuse_token(token, now_ms, remote_address)) return {std::move(*refusal), false};
  auto card = store.cards().find_card(token.merchant_id, token.card_id);
  if (!card.ok()) return {link_failure(card.error()), false};
  if (!*card || (*card)->card_status == domain::card_canceled) {
    return {link_error(410, "card_canceled", "the card of this link is no longer live"), false};
  }
  auto used = store.cards().use_sensitive_token(token_hash, now_ms);
  if (!used.ok()) return {link_failure(used.error()), false};
  if (!*used) return {link_error(410, "link_used", "this link was already used"), false};
  // A failure here rolls the use back: the customer may try the link again.
  auto payload = sensitive_payload(services.keys, **card);
  if (!payload.ok()) return {link_failure(payload.error()), false};
  return {std::move(*payload), true};
}

void fetch_sensitive_info(Services& services, const http::Request& request, const http::PathParams& params,
                          http::Responder respond) {
  const std::string& token = params.get("token");
  if (!plausible_token(token)) return respond(link_error(404, "link_not_found", "no such link"));
  const std::string token_hash = crypto::sha256_hex(token);
  // Anyone may call this route: guesses are answered from a reader and never queue on the
  // single writer that authorizations wait for.
  auto known = services.readers.with_store(
      [&](storage::Store& store) { return store.cards().find_sensitive_token(token_hash); });
  if (!known.ok()) return respond(link_failure(known.error()));
  if (!*known) return respond(link_error(404, "link_not_found", "no such link"));
  IdempotentWrite write;
  write.scope = (*known)->merchant_id;
  write.route = sensitive_link_pattern;
  write.render_error = link_failure;
  write.apply = [&services, token_hash, remote_address = request.remote_address](storage::Store& store) {
    return reveal(services, store, token_hash, remote_address);
  };
  submit_idempotent_write(services, std::move(write), std::move(respond));
}

// ---- PIN ----

void change_pin_model(Services& services, Call call, http::Responder respond) {
  auto ref = card_and_user(call);
  if (!ref.ok()) return respond(error_response(ref.error()));
  submit_read(services, call, "/v1/card/get-change-pin-model",
              [merchant_id = call.merchant.merchant_id, ref = *ref](storage::Store& store) -> Result<bj::value> {
                ISSUERD_TRY(find_users_card(store, merchant_id, ref.user_id, ref.card_id));
                return bj::value(bj::object{{"change_pin_model", "API"}});
              },
              std::move(respond));
}

bool is_pin(const std::string& text) {
  return text.size() >= 4 && text.size() <= 6 && text.find_first_not_of("0123456789") == std::string::npos;
}

// Decrypted on the I/O thread: RSA is the slow part and must not hold up the writer.
Result<std::shared_ptr<SecretPin>> decrypt_pin(const crypto::PlatformKeys& keys, const bj::object& body) {
  ISSUERD_ASSIGN(std::string ciphertext, required_text(body, "card_pin", card_pin_ciphertext_length_max));
  auto decrypted = keys.platform_rsa.decrypt_pkcs1_base64(ciphertext);
  if (!decrypted.ok()) return invalid("card_pin could not be decrypted with the platform public key", "card_pin");
  auto pin = std::make_shared<SecretPin>(*decrypted);
  wipe(*decrypted);
  if (!is_pin(pin->digits)) return invalid("card_pin must be 4 to 6 digits", "card_pin");
  return pin;
}

// The ISO 9564 format 0 block sealed under the PIN key and bound to the card id.
Result<std::string> sealed_pin_block(const crypto::PlatformKeys& keys, const storage::CardRecord& card,
                                     const std::string& pin) {
  ISSUERD_ASSIGN(std::string pan, engine::open_pan(keys, card));
  auto block = crypto::iso0_pin_block(pin, pan);
  wipe(pan);
  if (!block.ok()) return block.take_error();
  std::string sealed = crypto::aes_gcm_seal(keys.pin_key, *block, card.card_id);
  wipe(*block);
  return sealed;
}

void change_pin(Services& services, Call call, http::Responder respond) {
  auto ref = card_and_user(call);
  if (!ref.ok()) return respond(error_response(ref.error()));
  auto pin = decrypt_pin(services.keys, call.body);
  if (!pin.ok()) return respond(error_response(pin.error()));
  submit(services, call, "/v1/card/change-pin", "",
         [&services, merchant_id = call.merchant.merchant_id, ref = *ref,
          pin = *pin](storage::Store& store) -> WriteOutcome {
           auto card = live_users_card(store, merchant_id, ref);
           if (!card.ok()) return {error_response(card.error()), false};
           auto sealed = sealed_pin_block(services.keys, *card, pin->digits);
           wipe(pin->digits);  // this command runs once; nothing needs the PIN after it
           if (!sealed.ok()) return {error_response(sealed.error()), false};
           card->pin_block_sealed = std::move(*sealed);
           card->updated_at_ms = services.clock.now_ms();
           Status saved = store.cards().update_card(*card);
           if (!saved.ok()) return {error_response(saved.error()), false};
           return {ok(bj::object{{"card_id", card->card_id}, {"pin_status", "SET"}}), true};
         },
         std::move(respond));
}

}  // namespace

void register_card_secret_routes(http::Router& router, Services& services) {
  router.add("POST", "/v1/card/card-sensitive-info", route(services, create_sensitive_link));
  // Not through route(): the link carries no merchant credentials, the token is one.
  router.add("GET", sensitive_link_pattern,
             [&services](const http::Request& request, const http::PathParams& params, http::Responder respond) {
               fetch_sensitive_info(services, request, params, std::move(respond));
             });
  router.add("POST", "/v1/card/get-change-pin-model", route(services, change_pin_model));
  router.add("POST", "/v1/card/change-pin", route(services, change_pin));
}

}  // namespace issuerd::api::musepay
