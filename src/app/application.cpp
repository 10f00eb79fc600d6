#include "app/application.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <pthread.h>
#include <thread>

#include "api/admin/admin_api.h"
#include "api/adpos/adpos_api.h"
#include "api/hashdt/hashdt_api.h"
#include "api/musepay/musepay_api.h"
#include "api/sim/sim_api.h"
#include "api/shared/services.h"
#include "app/admin_token.h"
#include "app/demo.h"
#include "app/dispatcher.h"
#include "common/log.h"
#include "crypto/hashing.h"
#include "crypto/keys.h"
#include "engine/writer.h"
#include "http/server.h"
#include "jobs/adpos_task_job.h"
#include "jobs/card_application_job.h"
#include "jobs/daily_fees.h"
#include "jobs/job_runner.h"
#include "jobs/outbox.h"
#include "storage/migrations.h"
#include "storage/reader_pool.h"

namespace issuerd::app {

namespace {

constexpr std::size_t reader_connections = 4;

int fail(const Error& error) {
  log::error("startup_failed", {{"reason", error.reason}, {"message", error.message}});
  std::fprintf(stderr, "issuerd: %s\n", error.message.c_str());
  return 1;
}

// Blocks SIGINT and SIGTERM in every thread started after this call; one thread waits for
// them and stops the server, so shutdown never runs inside a signal handler.
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

void print_start_banner(const Config& config, const AdminToken& admin, std::uint16_t port) {
  std::string text = "issuerd listening on http://" + config.listen_host + ":" + std::to_string(port) + "\n";
  text += "database: " + config.database_url + "\n";
  if (admin.generated) {
    text += "admin token (generated now and saved in " + admin.path + "; shown only this once):\n  " + admin.token + "\n";
  } else if (!admin.path.empty()) {
    text += "admin token: in " + admin.path + " (issuerctl reads it from there)\n";
  }
  if (admin.generated || !admin.path.empty()) {
    text += "create a first merchant:  build/issuerctl merchants create --name 'My Program'\n";
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

int run_issuerd(const Config& config) {
  const sigset_t stop_signals = block_stop_signals();
  auto url = storage::parse_database_url(config.database_url);
  if (!url.ok()) return fail(url.error());
  auto write_connection = storage::open_connection(*url);
  if (!write_connection.ok()) return fail(write_connection.error());
  auto version = storage::migrate(**write_connection);
  if (!version.ok()) return fail(version.error());
  if (Status prepared = storage::prepare_writer_connection(**write_connection); !prepared.ok()) return fail(prepared.error());
  auto keys = crypto::load_or_create_platform_keys(config.key_dir);
  if (!keys.ok()) return fail(keys.error());
  auto admin = resolve_admin_token(config.admin_token, config.key_dir);
  if (!admin.ok()) return fail(admin.error());
  auto readers = storage::ReaderPool::open(*url, reader_connections);
  if (!readers.ok()) return fail(readers.error());

  Metrics metrics;
  Clock clock(config.test_clock);
  engine::Writer writer(std::move(write_connection).value(), metrics);
  api::Services services{clock, metrics, writer, **readers, *keys, crypto::sha256_hex(admin->token), config.public_url};
  jobs::CallbackDeliverer deliverer(
      services, {.attempts_max = config.callback_attempts_max, .retry_base_ms = config.callback_retry_base_ms});

  jobs::JobRunner job_runner(services);
  job_runner.add_handler(jobs::card_application_job,
                         [&keys = *keys](storage::Store& store, const storage::JobRecord& job, std::int64_t now_ms) {
                           return jobs::process_card_application(store, keys, job, now_ms);
                         });
  job_runner.add_handler(jobs::adpos_task_job,
                         [&keys = *keys](storage::Store& store, const storage::JobRecord& job, std::int64_t now_ms) {
                           return jobs::process_adpos_task(store, keys, job, now_ms);
                         });
  services.wake_jobs = [&job_runner] { job_runner.wake(); };
  writer.on_callbacks_queued([&deliverer] { deliverer.wake(); });
  writer.set_thread_nice(static_cast<int>(config.writer_nice));
  writer.start();

  http::Router router;
  api::admin::register_routes(router, services, config.test_clock);
  api::musepay::register_routes(router, services);
  api::hashdt::register_routes(router, services);
  api::sim::register_routes(router, services);
  api::adpos::register_routes(router, services);
  http::ServerConfig server_config;
  server_config.host = config.listen_host;
  server_config.port = config.listen_port;
  server_config.io_threads = config.io_threads;
  http::Server server(server_config, make_dispatcher(router, metrics, config.log_requests));
  if (Status listening = server.start(); !listening.ok()) return fail(listening.error());
  // With port 0 the default public URL is only known once the port is bound.
  if (services.public_url.ends_with(":0")) {
    services.public_url.resize(services.public_url.size() - 1);
    services.public_url += std::to_string(server.port());
  }

  print_start_banner(config, *admin, server.port());
  if (config.demo) {
    auto demo = create_demo_merchant(services);
    if (!demo.ok()) return fail(demo.error());
    const std::string text = demo_instructions(*demo, config.public_url, admin->token);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
  log::info("started", {{"port", server.port()}, {"schema_version", *version}, {"test_clock", config.test_clock}});

  std::thread signal_waiter([&server, stop_signals] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    log::info("stopping", {{"signal", signal_number}});
    server.stop();
  });
  deliverer.start();
  job_runner.start();
  jobs::DailyFeeScheduler daily_fees(services);
  daily_fees.start();
  server.run();
  daily_fees.stop();
  job_runner.stop();
  deliverer.stop();
  writer.stop();
  if (signal_waiter.joinable()) {
    pthread_kill(signal_waiter.native_handle(), SIGTERM);  // wakes it if the server stopped on its own
    signal_waiter.join();
  }
  log::info("stopped", {});
  return 0;
}

}  // namespace issuerd::app
