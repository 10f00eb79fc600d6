// Method + path-pattern routing. Patterns are literal segments and `{name}` captures of one
// whole segment: "/admin/v1/merchants/{id}/deposits". Built once at start-up, then read
// concurrently without locks.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.h"

namespace issuerd::http {

class PathParams {
 public:
  void add(std::string name, std::string value) { values_.emplace_back(std::move(name), std::move(value)); }
  // The captured segment; asserted to exist (a handler asks only for its own pattern's names).
  const std::string& get(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

using RouteHandler = std::function<void(const Request&, const PathParams&, Responder)>;

class Router {
 public:
  void add(std::string method, std::string pattern, RouteHandler handler);

  struct Match {
    const RouteHandler* handler = nullptr;  // null: no route for this method and path
    std::string_view pattern;               // the matched pattern (a bounded metrics label)
    PathParams params;
    bool path_known = false;                // some route has this path under another method (405)
  };
  Match match(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{x}" marks a capture
    RouteHandler handler;
  };
  std::vector<Route> routes_;
};

// "/a/b/" -> {"a", "b"}; empty segments are dropped.
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace issuerd::http
