// Shared by the admin handlers.
#pragma once

#include <functional>
#include <string>

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::admin {

using AdminHandler = std::function<void(const http::Request&, const http::PathParams&, http::Responder)>;

// Authenticates the admin token first; a failure is answered in problem+json.
http::RouteHandler guarded(Services& services, AdminHandler handler);

Error invalid(std::string reason, std::string message, std::string field);

}  // namespace issuerd::api::admin
