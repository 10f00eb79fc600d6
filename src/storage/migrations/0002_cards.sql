-- Card holders, applications, cards, spend controls, card orders and transactions,
-- one-time sensitive-info tokens, durable jobs and the callback outbox.

CREATE TABLE card_holders (
  user_id       TEXT PRIMARY KEY,
  merchant_id   TEXT NOT NULL REFERENCES merchants (merchant_id),
  user_xid      TEXT NOT NULL,
  email         TEXT,
  first_name    TEXT,
  last_name     TEXT,
  details_json  TEXT NOT NULL,   -- individual, document and address as sent
  kyc_status    TEXT NOT NULL,   -- PASSED | PENDING | REJECTED
  status        TEXT NOT NULL,   -- ACTIVE | DISABLED
  created_at_ms BIGINT NOT NULL,
  UNIQUE (merchant_id, user_xid)
);
CREATE INDEX card_holders_by_email ON card_holders (merchant_id, email);

-- An application to issue (or replace) a card, processed by a durable job.
CREATE TABLE card_applications (
  apply_id         TEXT PRIMARY KEY,
  merchant_id      TEXT NOT NULL REFERENCES merchants (merchant_id),
  request_id       TEXT NOT NULL,
  kind             TEXT NOT NULL,  -- apply | replace
  user_id          TEXT NOT NULL,
  card_product_id  TEXT NOT NULL,
  card_level       TEXT NOT NULL,
  phone_number     TEXT NOT NULL,
  phone_area_code  TEXT NOT NULL,
  embossed_name    TEXT,
  share_quota_id   TEXT,
  original_card_id TEXT,
  replace_reason   TEXT,
  apply_status     TEXT NOT NULL,  -- APPLYING | AUDIT_PASS | AUDIT_REFUSE
  card_id          TEXT,
  refuse_reason    TEXT,
  created_at_ms    BIGINT NOT NULL,
  updated_at_ms    BIGINT NOT NULL,
  UNIQUE (merchant_id, kind, request_id)
);

CREATE TABLE cards (
  card_id                       TEXT PRIMARY KEY,
  merchant_id                   TEXT NOT NULL REFERENCES merchants (merchant_id),
  user_id                       TEXT NOT NULL REFERENCES card_holders (user_id),
  card_product_id               TEXT NOT NULL REFERENCES card_products (card_product_id),
  card_level                    TEXT NOT NULL,
  network                       TEXT NOT NULL,
  form                          TEXT NOT NULL,   -- virtual | physical
  currency                      TEXT NOT NULL,
  pan_sealed                    TEXT NOT NULL,   -- AES-256-GCM, associated data = card_id
  pan_lookup_hash               TEXT NOT NULL UNIQUE,
  pan_first6                    TEXT NOT NULL,
  pan_last4                     TEXT NOT NULL,
  expiry_month                  INTEGER NOT NULL,
  expiry_year                   INTEGER NOT NULL,
  embossed_name                 TEXT,
  phone_number                  TEXT NOT NULL,
  phone_area_code               TEXT NOT NULL,
  card_status                   TEXT NOT NULL,   -- MusePay card status enum
  status_reason                 TEXT,            -- why it was canceled (LOST, STOLEN, ...)
  replaced_by_card_id           TEXT,
  replaces_card_id              TEXT,
  enable_present_transaction    INTEGER NOT NULL,
  enable_no_present_transaction INTEGER NOT NULL,
  pin_block_sealed              TEXT,            -- ISO 9564 format 0 block, AES-256-GCM
  funding_kind                  TEXT NOT NULL,   -- card_balance | budget_quota | merchant_main
  share_quota_id                TEXT,
  issued_at_ms                  BIGINT NOT NULL,
  updated_at_ms                 BIGINT NOT NULL
);
CREATE INDEX cards_by_holder ON cards (merchant_id, user_id);

-- One spend control per card, transaction type and period; every dialect's limit lands here.
CREATE TABLE spend_controls (
  card_id            TEXT NOT NULL REFERENCES cards (card_id),
  transaction_type   TEXT NOT NULL,   -- PURCHASE | ATM_CASH_WITHDRAWAL
  period             TEXT NOT NULL,   -- DAY | WEEK | MONTH | YEAR | LIFETIME | TRANSACTION
  amount_limit_minor BIGINT NOT NULL,
  currency           TEXT NOT NULL,
  active             INTEGER NOT NULL,
  created_at_ms      BIGINT NOT NULL,
  updated_at_ms      BIGINT NOT NULL,
  PRIMARY KEY (card_id, transaction_type, period)
);

-- Card top-ups and other money orders on a card.
CREATE TABLE card_orders (
  order_no      TEXT PRIMARY KEY,
  merchant_id   TEXT NOT NULL REFERENCES merchants (merchant_id),
  card_id       TEXT NOT NULL REFERENCES cards (card_id),
  request_id    TEXT NOT NULL,
  kind          TEXT NOT NULL,   -- TOP_UP
  amount_minor  BIGINT NOT NULL,
  fee_minor     BIGINT NOT NULL,
  currency      TEXT NOT NULL,
  status        TEXT NOT NULL,   -- PENDING | SUCCESS | FAILED
  transfer_id   TEXT,
  created_at_ms BIGINT NOT NULL,
  UNIQUE (merchant_id, request_id)
);

-- What /v1/cardaccount/transactions lists: top-ups, charges, refunds, fees.
CREATE TABLE card_transactions (
  detail_id          TEXT PRIMARY KEY,
  merchant_id        TEXT NOT NULL,
  card_id            TEXT NOT NULL,
  user_id            TEXT NOT NULL,
  tx_type            TEXT NOT NULL,
  tx_status          TEXT NOT NULL,
  amount_minor       BIGINT NOT NULL,
  currency           TEXT NOT NULL,
  order_no           TEXT,
  merchant_name      TEXT,
  merchant_mcc       TEXT,
  merchant_country   TEXT,
  merchant_category  TEXT,
  auth_amount_minor  BIGINT,
  auth_currency      TEXT,
  created_at_ms      BIGINT NOT NULL,
  posted_at_ms       BIGINT
);
CREATE INDEX card_transactions_by_card ON card_transactions (merchant_id, card_id, created_at_ms);

-- One-time links to a card's sensitive data. Only the token's hash is stored.
CREATE TABLE sensitive_info_tokens (
  token_hash    TEXT PRIMARY KEY,
  merchant_id   TEXT NOT NULL,
  card_id       TEXT NOT NULL,
  ip_address    TEXT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  used_at_ms    BIGINT
);

-- Durable background work (card applications, ...): re-run after a restart until done.
CREATE TABLE jobs (
  job_id         TEXT PRIMARY KEY,
  kind           TEXT NOT NULL,
  subject_id     TEXT NOT NULL,
  status         TEXT NOT NULL,   -- pending | done | failed
  attempts       INTEGER NOT NULL,
  next_run_at_ms BIGINT NOT NULL,
  last_error     TEXT,
  created_at_ms  BIGINT NOT NULL,
  updated_at_ms  BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, next_run_at_ms);

-- Callbacks to merchants, written with the change that caused them, delivered with retries.
CREATE TABLE outbox (
  event_id           TEXT PRIMARY KEY,
  merchant_id        TEXT NOT NULL,
  event_type         TEXT NOT NULL,
  payload            TEXT NOT NULL,   -- the data object, JSON; never a PAN, CVV or PIN
  status             TEXT NOT NULL,   -- pending | delivered | failed
  attempts           INTEGER NOT NULL,
  next_attempt_at_ms BIGINT NOT NULL,
  last_error         TEXT,
  created_at_ms      BIGINT NOT NULL,
  delivered_at_ms    BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at_ms);
