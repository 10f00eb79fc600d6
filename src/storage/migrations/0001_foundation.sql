-- Foundation: merchants, the double-entry ledger, card products, idempotency, nonces.
-- Portable SQL: the same file runs on SQLite and PostgreSQL. Money is BIGINT minor units.

CREATE TABLE merchants (
  merchant_id   TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  api_key_hash  TEXT NOT NULL UNIQUE,   -- SHA-256 hex of the api key; the key itself is never stored
  public_key    TEXT,                   -- Base64 DER SubjectPublicKeyInfo for signed requests, or NULL
  webhook_url   TEXT,
  status        TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL
);

-- balance_minor = posted credits - posted debits, so the balances of one currency sum to zero.
-- held_minor = pending debits (authorization holds); available = balance_minor - held_minor.
CREATE TABLE accounts (
  account_id      TEXT PRIMARY KEY,
  kind            TEXT NOT NULL,
  owner_id        TEXT NOT NULL,        -- merchant, card or quota id; '' for platform accounts
  currency        TEXT NOT NULL,
  balance_minor   BIGINT NOT NULL,
  held_minor      BIGINT NOT NULL,
  may_go_negative INTEGER NOT NULL,
  created_at_ms   BIGINT NOT NULL,
  UNIQUE (kind, owner_id, currency)
);

-- Immutable once posted or voided; a pending transfer is a hold on its debit account.
CREATE TABLE transfers (
  transfer_id       TEXT PRIMARY KEY,
  debit_account_id  TEXT NOT NULL REFERENCES accounts (account_id),
  credit_account_id TEXT NOT NULL REFERENCES accounts (account_id),
  amount_minor      BIGINT NOT NULL CHECK (amount_minor > 0),
  currency          TEXT NOT NULL,
  kind              TEXT NOT NULL,
  status            TEXT NOT NULL,
  reference         TEXT NOT NULL,
  created_at_ms     BIGINT NOT NULL
);
CREATE INDEX transfers_by_debit ON transfers (debit_account_id, created_at_ms);
CREATE INDEX transfers_by_credit ON transfers (credit_account_id, created_at_ms);
CREATE INDEX transfers_by_reference ON transfers (reference);

CREATE TABLE card_products (
  card_product_id           TEXT PRIMARY KEY,
  name                      TEXT NOT NULL,
  bin                       TEXT NOT NULL,
  network                   TEXT NOT NULL,
  currency                  TEXT NOT NULL,
  card_level                TEXT NOT NULL,
  form                      TEXT NOT NULL,
  over_limit_fee_rate_daily TEXT NOT NULL,   -- exact decimal text, a rate and not money
  expiry_years              INTEGER NOT NULL,
  restricted                INTEGER NOT NULL, -- 1: only the merchants in card_product_merchants
  created_at_ms             BIGINT NOT NULL
);

CREATE TABLE card_product_merchants (
  card_product_id TEXT NOT NULL REFERENCES card_products (card_product_id),
  merchant_id     TEXT NOT NULL REFERENCES merchants (merchant_id),
  PRIMARY KEY (card_product_id, merchant_id)
);

-- The first response to a key, replayed byte for byte. scope is a merchant id or 'admin'.
CREATE TABLE idempotency_keys (
  scope           TEXT NOT NULL,
  route           TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash    TEXT NOT NULL,
  http_status     INTEGER NOT NULL,
  content_type    TEXT NOT NULL,
  response_body   TEXT NOT NULL,
  created_at_ms   BIGINT NOT NULL,
  PRIMARY KEY (scope, route, idempotency_key)
);

-- MusePay request nonces, refused when seen again within their window.
CREATE TABLE used_nonces (
  merchant_id   TEXT NOT NULL,
  nonce         TEXT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  PRIMARY KEY (merchant_id, nonce)
);
