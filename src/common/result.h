// Expected failures as values (DESIGN.md, after DuckDB): a decline, a validation error
// or a conflict is an Error returned in a Result; a broken invariant is ISSUERD_ASSERT.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace issuerd {

// What kind of failure this is. Each API dialect maps a kind (and, where it has one, the
// reason) onto its own status code and envelope; domain code never knows the dialect.
enum class ErrorKind {
  invalid_argument,     // malformed or out-of-range input (400/422)
  unauthenticated,      // missing or wrong credentials (401)
  forbidden,            // authenticated but not allowed (403)
  not_found,            // absent, or owned by another merchant (404)
  conflict,             // duplicate, idempotency key reused with other parameters (409)
  failed_precondition,  // illegal state transition, insufficient funds, frozen (business rule)
  unavailable,          // the database or a dependency is down (503)
  internal,             // a bug or an unexpected failure (500)
};

const char* error_kind_name(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::internal;
  // Machine-readable reason, stable across releases: "insufficient_balance", "invalid_amount".
  std::string reason;
  // Human-readable message. Never contains a PAN, CVV, PIN, key or api key.
  std::string message;
  // The request field the error is about, when there is one ("amount", "currency").
  std::string field;
};

inline Error make_error(ErrorKind kind, std::string reason, std::string message, std::string field = {}) {
  return Error{kind, std::move(reason), std::move(message), std::move(field)};
}

// Result<T> holds a T or an Error. Accessing the wrong alternative is a bug (asserted).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}       // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { check(true); return std::get<0>(state_); }
  const T& value() const& { check(true); return std::get<0>(state_); }
  T&& value() && { check(true); return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { check(false); return std::get<1>(state_); }
  Error&& take_error() { check(false); return std::get<1>(std::move(state_)); }

 private:
  void check(bool want_value) const {
    if (ok() != want_value) {
      std::fprintf(stderr, "Result accessed as %s but holds the other alternative\n",
                   want_value ? "value" : "error");
      std::abort();
    }
  }
  std::variant<T, Error> state_;
};

struct Unit {};

// Status is a Result with no value: ok, or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  static Status success() { return Status(); }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    if (ok_) { std::fprintf(stderr, "Status::error() on success\n"); std::abort(); }
    return error_;
  }
  Error&& take_error() { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace issuerd

// Propagate an error: `ISSUERD_TRY(status_or_result_expression);`
#define ISSUERD_TRY(expr)                                   \
  do {                                                       \
    auto issuerd_try_result_ = (expr);                       \
    if (!issuerd_try_result_.ok()) return issuerd_try_result_.take_error(); \
  } while (0)

#define ISSUERD_CONCAT_INNER(a, b) a##b
#define ISSUERD_CONCAT(a, b) ISSUERD_CONCAT_INNER(a, b)
// `ISSUERD_ASSIGN(auto row, store.find(...));` binds the value or returns the error.
#define ISSUERD_ASSIGN(decl, expr) ISSUERD_ASSIGN_IMPL(ISSUERD_CONCAT(issuerd_assign_, __LINE__), decl, expr)
#define ISSUERD_ASSIGN_IMPL(tmp, decl, expr)          \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.take_error();              \
  decl = std::move(tmp).value()
