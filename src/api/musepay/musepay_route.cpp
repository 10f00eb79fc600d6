#include "api/musepay/musepay_route.h"

#include <cstdlib>

#include "api/musepay/envelope.h"
#include "api/shared/handler_support.h"
#include "common/clock.h"
#include "crypto/musepay_signature.h"

namespace issuerd::api::musepay {

namespace bj = boost::json;

namespace {

constexpr std::int64_t timestamp_window_ms = 5 * 60 * 1000;
// A nonce is remembered a little longer than a timestamp can be off, so it cannot be replayed.
constexpr std::int64_t nonce_memory_ms = 2 * timestamp_window_ms + 60 * 1000;

Error unauthenticated(std::string message) {
  return make_error(ErrorKind::unauthenticated, "unauthenticated", std::move(message));
}

Error timestamp_or_nonce(std::string message) {
  return make_error(ErrorKind::unauthenticated, reason_wrong_timestamp_or_nonce, std::move(message));
}

std::string string_field(const bj::object& body, std::string_view name) {
  const bj::value* value = body.if_contains(name);
  if (value == nullptr) return {};
  if (value->is_string()) return std::string(value->get_string());
  if (value->is_int64()) return std::to_string(value->get_int64());
  return {};
}

// Seconds (MusePay's docs) or milliseconds (their demo client); either within the window.
Status check_timestamp(const bj::object& body) {
  const std::string text = string_field(body, "timestamp");
  char* end = nullptr;
  const long long value = text.empty() ? 0 : std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end == nullptr || *end != '\0' || value <= 0) {
    return timestamp_or_nonce("timestamp is required (seconds or milliseconds since 1970)");
  }
  const std::int64_t timestamp_ms = value < 100'000'000'000LL ? value * 1000 : value;
  if (std::llabs(wall_clock_ms() - timestamp_ms) > timestamp_window_ms) {
    return timestamp_or_nonce("timestamp is more than 5 minutes away from the server's clock");
  }
  return Status::success();
}

Result<Call> authenticate_signed(storage::MerchantRecord merchant, bj::object body, const std::string& path) {
  if (string_field(body, "sign_type") != "RSA") {
    return make_error(ErrorKind::unauthenticated, reason_sign_error, "sign_type must be RSA");
  }
  auto key = crypto::RsaPublicKey::parse(*merchant.public_key);
  if (!key.ok() || !crypto::musepay_verify(body, *key)) {
    return make_error(ErrorKind::unauthenticated, reason_sign_error, "the signature does not verify");
  }
  ISSUERD_TRY(check_timestamp(body));
  std::string nonce = string_field(body, "nonce");
  if (nonce.empty() || nonce.size() > 128) return timestamp_or_nonce("nonce is required (1 to 128 characters)");
  return Call{std::move(merchant), std::move(body), path, std::move(nonce)};
}

}  // namespace

Result<Call> authenticate(Services& services, const http::Request& request) {
  ISSUERD_ASSIGN(bj::object body, json::parse_object(request.body));
  const std::string partner_id = string_field(body, "partner_id");
  if (!partner_id.empty()) {
    ISSUERD_ASSIGN(auto merchant, services.readers.with_store(
                                      [&](storage::Store& store) { return store.find_merchant(partner_id); }));
    if (!merchant || merchant->status != "active") return unauthenticated("partner_id names no active partner");
    if (merchant->public_key) return authenticate_signed(std::move(*merchant), std::move(body), request.path);
  }
  auto merchant = authenticate_merchant(services, request);
  if (!merchant.ok()) return merchant.take_error();
  if (!partner_id.empty() && partner_id != merchant->merchant_id) {
    return unauthenticated("partner_id does not match the api key");
  }
  return Call{std::move(merchant).value(), std::move(body), request.path, std::nullopt};
}

http::RouteHandler route(Services& services, CallHandler handler) {
  return [&services, handler = std::move(handler)](const http::Request& request, const http::PathParams&,
                                                   http::Responder respond) {
    auto call = authenticate(services, request);
    if (!call.ok()) return respond(error_response(call.error()));
    handler(services, std::move(call).value(), std::move(respond));
  };
}

namespace {

IdempotentWrite base_write(const Call& call, std::string route_pattern) {
  IdempotentWrite write;
  write.scope = call.merchant.merchant_id;
  write.route = std::move(route_pattern);
  write.render_error = error_response;
  if (call.nonce) {
    write.admit = [merchant_id = call.merchant.merchant_id,
                   nonce = *call.nonce](storage::Store& store) -> std::optional<http::Response> {
      const std::int64_t now_ms = wall_clock_ms();
      auto claimed = store.claim_nonce(merchant_id, nonce, now_ms + nonce_memory_ms, now_ms);
      if (!claimed.ok()) return error_response(claimed.error());
      if (!*claimed) return error_response(timestamp_or_nonce("this nonce was already used"));
      return std::nullopt;
    };
  }
  return write;
}

}  // namespace

void submit(Services& services, const Call& call, std::string route_pattern, std::string request_id,
            std::function<WriteOutcome(storage::Store&)> apply, http::Responder respond,
            std::function<void()> after_commit) {
  IdempotentWrite write = base_write(call, std::move(route_pattern));
  write.key = std::move(request_id);
  // A retry re-signs with a new timestamp and nonce: those do not make it another request.
  write.request_hash = request_hash(call.path, call.body, {"timestamp", "nonce", "sign", "sign_type"});
  write.apply = std::move(apply);
  write.after_commit = std::move(after_commit);
  submit_idempotent_write(services, std::move(write), std::move(respond));
}

void submit_read(Services& services, const Call& call, std::string route_pattern,
                 std::function<Result<bj::value>(storage::Store&)> read, http::Responder respond) {
  IdempotentWrite write = base_write(call, std::move(route_pattern));
  write.apply = [read = std::move(read)](storage::Store& store) -> WriteOutcome {
    auto data = read(store);
    return {data.ok() ? ok(*data) : error_response(data.error()), false};
  };
  submit_idempotent_write(services, std::move(write), std::move(respond));
}

}  // namespace issuerd::api::musepay
