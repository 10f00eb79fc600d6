// The command table: each entry turns arguments into one admin API request.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/json.hpp>

#include "cli.h"

namespace issuerctl {
namespace {

namespace json = boost::json;

std::string merchant_path(const std::string& id) { return "/admin/v1/merchants/" + percent_encode(id); }

Call json_post(std::string target, const json::object& body) {
  Call call;
  call.method = "POST";
  call.target = std::move(target);
  call.body = json::serialize(body);
  return call;
}

Call get(std::string target, bool needs_token = true) {
  Call call;
  call.method = "GET";
  call.target = std::move(target);
  call.needs_token = needs_token;
  return call;
}

std::string one_of(const Args& args, std::string_view name, std::initializer_list<std::string_view> allowed) {
  const std::string value = args.required(name);
  for (auto candidate : allowed) {
    if (value == candidate) return value;
  }
  std::string list;
  for (auto candidate : allowed) list += (list.empty() ? "" : "|") + std::string(candidate);
  throw UsageError("--" + std::string(name) + " must be one of " + list);
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Deposits and withdrawals: {amount, currency} and an Idempotency-Key.
Call money_movement(const Args& args, const std::vector<std::string>& positional, const char* kind) {
  json::object body;
  body["amount"] = args.required("amount");
  body["currency"] = args.required("currency");
  Call call = json_post(merchant_path(positional[0]) + "/" + kind, body);
  auto key = args.get("idempotency-key");
  if (!key) {
    key = random_key();
    std::cerr << "idempotency-key: " << *key << "\n";
  }
  call.headers.emplace_back("Idempotency-Key", *key);
  return call;
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {{"health"}, {}, {}, "health", [](const Args&, const std::vector<std::string>&) {
         return get("/healthz", false);
       }},
      {{"merchants", "create"}, {}, {"name", "public-key-file"},
       "merchants create --name N [--public-key-file F]",
       [](const Args& args, const std::vector<std::string>&) {
         json::object body;
         body["name"] = args.required("name");
         if (auto file = args.get("public-key-file")) body["public_key"] = read_text_file(*file);
         return json_post("/admin/v1/merchants", body);
       }},
      {{"merchants", "list"}, {}, {"page", "page-size"}, "merchants list [--page P] [--page-size S]",
       [](const Args& args, const std::vector<std::string>&) {
         std::string query;
         if (auto page = args.get("page")) query += "page=" + percent_encode(*page);
         if (auto size = args.get("page-size")) {
           query += (query.empty() ? "" : "&") + std::string("page_size=") + percent_encode(*size);
         }
         return get("/admin/v1/merchants" + (query.empty() ? "" : "?" + query));
       }},
      {{"merchants", "get"}, {"ID"}, {}, "merchants get ID",
       [](const Args&, const std::vector<std::string>& positional) {
         return get(merchant_path(positional[0]));
       }},
      {{"deposit"}, {"ID"}, {"amount", "currency", "idempotency-key"},
       "deposit ID --amount A --currency C [--idempotency-key K]",
       [](const Args& args, const std::vector<std::string>& positional) {
         return money_movement(args, positional, "deposits");
       }},
      {{"withdraw"}, {"ID"}, {"amount", "currency", "idempotency-key"},
       "withdraw ID --amount A --currency C [--idempotency-key K]",
       [](const Args& args, const std::vector<std::string>& positional) {
         return money_movement(args, positional, "withdrawals");
       }},
      {{"products", "create"}, {},
       {"name", "bin", "network", "currency", "card-level", "form", "merchant",
        "over-limit-fee-rate-daily", "expiry-years"},
       "products create --name N --bin B --network visa|mastercard --currency C\n"
       "                  --card-level L --form virtual|physical [--merchant ID ...]\n"
       "                  [--over-limit-fee-rate-daily R] [--expiry-years Y]",
       [](const Args& args, const std::vector<std::string>&) {
         json::object body;
         body["name"] = args.required("name");
         body["bin"] = args.required("bin");
         body["network"] = one_of(args, "network", {"visa", "mastercard"});
         body["currency"] = args.required("currency");
         body["card_level"] = args.required("card-level");
         body["form"] = one_of(args, "form", {"virtual", "physical"});
         json::array merchants;
         for (const auto& id : args.all("merchant")) merchants.emplace_back(id);
         body["merchant_ids"] = std::move(merchants);
         if (auto rate = args.get("over-limit-fee-rate-daily")) body["over_limit_fee_rate_daily"] = *rate;
         if (auto years = args.get("expiry-years")) {
           std::int64_t parsed = 0;
           if (years->empty() || years->size() > 3) throw UsageError("--expiry-years must be a small whole number");
           for (char c : *years) {
             if (c < '0' || c > '9') throw UsageError("--expiry-years must be a small whole number");
             parsed = parsed * 10 + (c - '0');
           }
           body["expiry_years"] = parsed;
         }
         return json_post("/admin/v1/card-products", body);
       }},
      {{"products", "list"}, {}, {}, "products list",
       [](const Args&, const std::vector<std::string>&) { return get("/admin/v1/card-products"); }},
      {{"webhooks", "set"}, {"ID"}, {"url"}, "webhooks set ID --url U",
       [](const Args& args, const std::vector<std::string>& positional) {
         json::object body;
         body["url"] = args.required("url");
         return json_post(merchant_path(positional[0]) + "/webhooks", body);
       }},
      {{"clock", "set"}, {"RFC3339"}, {}, "clock set RFC3339   (servers started with --test-clock)",
       [](const Args&, const std::vector<std::string>& positional) {
         json::object body;
         body["now"] = positional[0];
         return json_post("/admin/v1/test/clock", body);
       }},
  };
  return table;
}

std::string usage_text() {
  std::string text =
      "usage: issuerctl [--server URL] [--admin-token T] [--key-dir DIR] COMMAND ...\n"
      "\n"
      "Operator CLI for issuerd's admin API.\n"
      "\n"
      "commands:\n";
  for (const auto& command : commands()) text += "  issuerctl " + std::string(command.synopsis) + "\n";
  text +=
      "  issuerctl help\n"
      "\n"
      "options:\n"
      "  --server URL       issuerd address (env ISSUERCTL_SERVER, default http://127.0.0.1:8080)\n"
      "  --admin-token T    admin token (env ISSUERD_ADMIN_TOKEN, else the file KEY-DIR/admin_token)\n"
      "  --key-dir DIR      where to find admin_token (default var/keys)\n"
      "\n"
      "Amounts are sent exactly as typed (\"100.50\"). Prints the JSON response; exits 0 on\n"
      "success, 1 when the server answers with an error or cannot be reached, 2 on usage errors.\n";
  return text;
}

}  // namespace issuerctl
