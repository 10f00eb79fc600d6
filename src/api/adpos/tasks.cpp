#include "api/adpos/tasks.h"

#include <charconv>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/adpos/auth.h"
#include "api/adpos/envelope.h"
#include "common/clock.h"
#include "engine/card_issuing.h"
#include "jobs/adpos_task_job.h"

namespace issuerd::api::adpos {

namespace bj = boost::json;

namespace {

Error task_not_found() { return make_error(ErrorKind::not_found, "task_not_found", "Task not found."); }

bj::object summary_json(const storage::AdposTaskRecord& task) {
  bj::object out{{"task_id", task.task_id},
                 {"status", task.status},
                 {"request_id", task.request_id ? bj::value(*task.request_id) : bj::value(nullptr)},
                 {"num", task.requested},
                 {"created_count", task.created_count},
                 {"failed_count", task.failed_count},
                 {"created_at", format_rfc3339_ms(task.created_at_ms)},
                 {"updated_at", format_rfc3339_ms(task.updated_at_ms)}};
  // The stored request was validated before it was stored; a task reads it back as is.
  auto request = jobs::adpos_request_from_json(task.request_json);
  if (request.ok()) {
    out["card_type"] = request->card_type;
    out["card_bin"] = request->card_bin;
  }
  return out;
}

Result<bj::value> task_detail(storage::Store& store, const storage::AdposTaskRecord& task) {
  ISSUERD_ASSIGN(auto items, store.adpos().list_items(task.task_id));
  bj::array cards;
  bj::array failures;
  for (const auto& item : items) {
    if (item.status != "created" || !item.card_id) {
      failures.push_back(bj::object{{"index", item.item_index}, {"reason", item.fail_reason.value_or("")}});
      continue;
    }
    ISSUERD_ASSIGN(auto card, store.cards().find_card(task.merchant_id, *item.card_id));
    bj::object entry{{"index", item.item_index}, {"card_id", *item.card_id}};
    if (card) entry["card_number"] = engine::masked_pan(*card);
    cards.push_back(std::move(entry));
  }
  bj::object out = summary_json(task);
  out["cards"] = std::move(cards);
  out["failures"] = std::move(failures);
  return bj::value(std::move(out));
}

Result<bj::value> get_task(storage::Store& store, const storage::MerchantRecord& merchant, const http::Request&,
                           const http::PathParams& params) {
  const std::string& text = params.get("task_id");
  std::int64_t task_id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), task_id);
  if (ec != std::errc() || end != text.data() + text.size()) return task_not_found();
  ISSUERD_ASSIGN(auto task, store.adpos().find_task(merchant.merchant_id, task_id));
  if (!task) return task_not_found();
  return task_detail(store, *task);
}

Result<bj::value> list_tasks(storage::Store& store, const storage::MerchantRecord& merchant,
                             const http::Request& request, const http::PathParams&) {
  ISSUERD_ASSIGN(json::Page page, read_list_page(request));
  ISSUERD_ASSIGN(auto tasks, store.adpos().list_tasks(merchant.merchant_id, page.offset(), page.size));
  ISSUERD_ASSIGN(std::int64_t total, store.adpos().count_tasks(merchant.merchant_id));
  bj::array data;
  for (const auto& task : tasks) data.push_back(summary_json(task));
  return bj::value(list_page(std::move(data), page, total));
}

}  // namespace

void register_task_routes(http::Router& router, Services& services) {
  router.add("GET", "/cards/tasks", read_route(services, list_tasks));
  router.add("GET", "/cards/tasks/{task_id}", read_route(services, get_task));
}

}  // namespace issuerd::api::adpos
