// Callbacks to merchants, written into the outbox in the same transaction as the change
// that caused them (jobs/outbox delivers them). The data must never hold a PAN, CVV or PIN.
#pragma once

#include <cstdint>
#include <string>

#include <boost/json/object.hpp>

#include "storage/store.h"

namespace issuerd::engine {

inline constexpr std::size_t callback_type_bytes_max = 64;
inline constexpr std::size_t callback_payload_bytes_max = 64 * 1024;

// Queues a callback, due at once; returns its event id.
Result<std::string> enqueue_callback(storage::Store& store, const std::string& merchant_id,
                                     const std::string& event_type, const boost::json::object& data,
                                     std::int64_t now_ms);
// The same with the data object already written as JSON text (json::ObjectText), as the
// authorization path does on the writer thread.
Result<std::string> enqueue_callback_text(storage::Store& store, const std::string& merchant_id,
                                          const std::string& event_type, std::string data_json, std::int64_t now_ms);

}  // namespace issuerd::engine
