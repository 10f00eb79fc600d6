#include "common/result.h"

namespace issuerd {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_argument: return "invalid_argument";
    case ErrorKind::unauthenticated: return "unauthenticated";
    case ErrorKind::forbidden: return "forbidden";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::failed_precondition: return "failed_precondition";
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

}  // namespace issuerd
