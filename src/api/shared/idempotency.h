// Exactly-once writes. A creating or money-moving request names a key (request_id in
// MusePay and AdPos bodies, x-request-id for HashDT, Idempotency-Key for admin and
// simulator routes); the scope is merchant (or "admin") + route pattern. On the writer
// thread, in the same savepoint as the command:
// - key seen with the same request hash: the stored response is replayed byte for byte;
// - key seen with another hash: a conflict error ("idempotency_key_reused");
// - new key: the command runs; if it took effect, its response is stored with the key.
// A command that did not take effect (validation, insufficient funds) stores nothing and
// may be retried with the same key. Concurrent duplicates are serialised by the single
// writer, so exactly one executes. Keys are kept indefinitely (at least the 24 h promised).
// The simulator's authorizations keep their keys on their own rows instead
// (storage::keys_kept_on_authorizations): the route stamps the key on the record it writes
// and rebuilds the answer from that record on a replay.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "api/shared/services.h"
#include "http/message.h"

namespace issuerd::api {

struct WriteOutcome {
  http::Response response;
  bool took_effect = false;  // keep the writes and remember the response under the key
  // apply_keeping_key, when it took effect: the authorization that keeps the key. The rest
  // of the batch replays from it, as later batches do (the response's body may only be made
  // on the I/O thread: http::Response::body_maker).
  std::optional<std::string> keeping_authorization_id = std::nullopt;
};

struct IdempotentWrite {
  std::string scope;         // merchant id, or "admin"
  std::string route;         // route pattern
  std::string key;           // empty: the route does not take one here; runs every time
  std::string request_hash;  // see request_hash()
  bool response_is_secret = false;  // seal the stored body (it holds a credential)
  // Optional: runs first, and its writes stay even if apply's roll back (a MusePay nonce is
  // spent either way). Returning a response refuses the request with it.
  std::function<std::optional<http::Response>(storage::Store&)> admit;
  std::function<WriteOutcome(storage::Store&)> apply;
  // Instead of apply, exactly for the route whose keys authorizations keep: apply_keeping_key
  // writes `stamp` on the authorization it records, and rebuild_response answers a replay
  // from that authorization, byte for byte as first answered.
  std::function<WriteOutcome(storage::Store&, const storage::IdempotencyStamp& stamp)> apply_keeping_key;
  std::function<Result<http::Response>(storage::Store&, const std::string& authorization_id)> rebuild_response;
  std::function<http::Response(const Error&)> render_error;  // the dialect's envelope
  // Runs on the writer's cached rows (engine::Command::hot): only for applies that change
  // nothing before they can no longer fail, as engine::authorize.
  bool hot = false;
  // Optional: runs once the write is durable (wake a background worker it gave work to).
  std::function<void()> after_commit;
};

// Hash of what makes two requests "the same": the path and the body's fields in sorted
// canonical form, minus `volatile_fields` (MusePay's timestamp, nonce, sign). It is keyed
// with the platform's HMAC key before it is stored (the body may hold a PAN).
std::string request_hash(const std::string& path, const boost::json::object& body,
                         std::initializer_list<std::string_view> volatile_fields = {});

// Queues the write and answers through `respond` once it is durable (or was refused).
void submit_idempotent_write(Services& services, IdempotentWrite write, http::Responder respond);

}  // namespace issuerd::api
