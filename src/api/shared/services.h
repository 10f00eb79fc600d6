// What every API handler may use. Built once by app/ and shared read-only by the I/O
// threads; each member is itself thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/shared/merchant_cache.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "crypto/keys.h"
#include "engine/writer.h"
#include "storage/reader_pool.h"

namespace issuerd::api {

struct Services {
  Clock& clock;
  Metrics& metrics;
  engine::Writer& writer;
  storage::ReaderPool& readers;
  const crypto::PlatformKeys& keys;
  std::string admin_token_sha256_hex;
  std::string public_url;  // base of the links issuerd hands out, no trailing slash
  // Nudges the job runner after a commit that gave it work (a no-op until wired). The
  // callback deliverer is woken by the writer itself (Writer::on_callbacks_queued).
  std::function<void()> wake_jobs = [] {};
  std::shared_ptr<MerchantCache> merchants = std::make_shared<MerchantCache>();
};

}  // namespace issuerd::api
