#include "api/shared/idempotency.h"

#include <memory>

#include "common/assert.h"
#include "common/log.h"
#include "crypto/hashing.h"
#include "crypto/musepay_signature.h"
#include "crypto/vault.h"

namespace issuerd::api {

namespace {

constexpr std::string_view sealed_prefix = "sealed:";
constexpr std::string_view sealed_associated_data = "idempotent-response";

Error key_reused() {
  return make_error(ErrorKind::conflict, "idempotency_key_reused",
                    "this idempotency key was already used with different parameters");
}

Error not_durable() {
  return make_error(ErrorKind::unavailable, "commit_failed",
                    "the request could not be made durable; nothing was changed, retry with the same key");
}

Error queue_full() {
  return make_error(ErrorKind::unavailable, "overloaded", "the server is overloaded; retry with the same key");
}

// The first answer to the key, for a request with the same hash.
http::Response replay(storage::Store& store, const IdempotentWrite& w, const storage::StoredResponse& previous,
                      const std::string& pan_key) {
  if (previous.request_hash != w.request_hash) return w.render_error(key_reused());
  if (previous.authorization_id) {
    auto rebuilt = w.rebuild_response(store, *previous.authorization_id);
    return rebuilt.ok() ? std::move(rebuilt).value() : w.render_error(rebuilt.error());
  }
  std::string body = previous.body;
  if (body.starts_with(sealed_prefix)) {
    auto opened = crypto::aes_gcm_open(pan_key, body.substr(sealed_prefix.size()), sealed_associated_data);
    if (!opened.ok()) return w.render_error(opened.error());
    body = std::move(opened).value();
  }
  return http::Response{previous.http_status, previous.content_type, std::move(body), {}};
}

// Stores the answer under the key; for a key its authorization keeps, only tells the batch
// which authorization that is.
Status remember(storage::Store& store, const IdempotentWrite& w, const WriteOutcome& outcome,
                const std::string& pan_key, std::int64_t now_ms) {
  const http::Response& response = outcome.response;
  if (w.apply_keeping_key) {
    ISSUERD_ASSERT(outcome.keeping_authorization_id.has_value());
    store.remember_idempotent_response(
        w.scope, w.route, w.key,
        storage::StoredResponse{w.request_hash, response.status, response.content_type, "", outcome.keeping_authorization_id});
    return Status::success();
  }
  ISSUERD_ASSERT(!response.body_maker);  // the body is stored as it is
  storage::StoredResponse stored{w.request_hash, response.status, response.content_type, response.body, std::nullopt};
  if (w.response_is_secret) {
    stored.body = std::string(sealed_prefix) + crypto::aes_gcm_seal(pan_key, stored.body, sealed_associated_data);
  }
  return store.insert_idempotent_response(w.scope, w.route, w.key, stored, now_ms);
}

}  // namespace

std::string request_hash(const std::string& path, const boost::json::object& body,
                         std::initializer_list<std::string_view> volatile_fields) {
  // The MusePay canonical form sorts keys recursively and drops blanks: a client that
  // re-sends the same request with its fields in another order is still "the same".
  return crypto::sha256_hex(path + "\n" + crypto::musepay_canonical_string(body, volatile_fields));
}

void submit_idempotent_write(Services& services, IdempotentWrite write, http::Responder respond) {
  struct State {
    IdempotentWrite write;
    http::Responder respond;
    http::Response response;
    bool took_effect = false;
  };
  // The stored fingerprint is keyed: a plain hash of a body holding a PAN and CVV could be
  // brute-forced from what else is known about the card.
  write.request_hash = crypto::hmac_sha256_hex(services.keys.hmac_key, write.request_hash);
  ISSUERD_ASSERT(static_cast<bool>(write.apply_keeping_key) == storage::keys_kept_on_authorizations(write.route) &&
                 static_cast<bool>(write.apply_keeping_key) == static_cast<bool>(write.rebuild_response) &&
                 (static_cast<bool>(write.apply_keeping_key) != static_cast<bool>(write.apply)));
  auto state = std::make_shared<State>(State{std::move(write), std::move(respond), {}, false});
  const std::string& pan_key = services.keys.pan_key;
  Clock& clock = services.clock;

  engine::Command command;
  command.hot = state->write.hot;
  if (command.hot && !state->write.key.empty()) {
    command.idempotency_key = storage::IdempotencyKeyRef{state->write.scope, state->write.route, state->write.key};
  }
  if (state->write.admit) {
    command.admit = [state](storage::Store& store) {
      std::optional<http::Response> refusal = state->write.admit(store);
      if (refusal) state->response = std::move(*refusal);
      return !refusal.has_value();
    };
  }
  command.apply = [state, &pan_key, &clock](storage::Store& store) {
    IdempotentWrite& w = state->write;
    if (!w.key.empty()) {
      auto stored = store.find_idempotent_response(w.scope, w.route, w.key);
      if (!stored.ok()) { state->response = w.render_error(stored.error()); return false; }
      if (stored.value()) {
        state->response = replay(store, w, *stored.value(), pan_key);
        return false;  // a replay writes nothing
      }
    }
    WriteOutcome outcome = w.apply_keeping_key
                               ? w.apply_keeping_key(store, storage::IdempotencyStamp{w.scope, w.key, w.request_hash})
                               : w.apply(store);
    if (outcome.took_effect && !w.key.empty()) {
      Status saved = remember(store, w, outcome, pan_key, clock.now_ms());
      if (!saved.ok()) { state->response = w.render_error(saved.error()); return false; }
    }
    state->response = std::move(outcome.response);
    if (!outcome.took_effect) return false;
    state->took_effect = true;
    return true;
  };
  command.done = [state](bool durable) {
    if (state->took_effect && !durable) {
      state->respond(state->write.render_error(not_durable()));
      return;
    }
    if (state->took_effect && state->write.after_commit) state->write.after_commit();
    state->respond(std::move(state->response));
  };
  if (!services.writer.submit(std::move(command))) {
    state->respond(state->write.render_error(queue_full()));
  }
}

}  // namespace issuerd::api
