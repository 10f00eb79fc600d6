-- Budget quotas (MusePay shared quotas): a pool of the merchant's money that many cards
-- spend from, each card within its own spending cap.

CREATE TABLE budget_quotas (
  share_quota_id  TEXT PRIMARY KEY,
  merchant_id     TEXT NOT NULL REFERENCES merchants (merchant_id),
  request_id      TEXT NOT NULL,
  card_product_id TEXT NOT NULL REFERENCES card_products (card_product_id),
  card_level      TEXT NOT NULL,
  name            TEXT NOT NULL,
  remark          TEXT,
  currency        TEXT NOT NULL,
  status          TEXT NOT NULL,   -- NORMAL | FROZEN
  owed_minor      BIGINT NOT NULL, -- over-limit fees the quota could not pay yet
  created_at_ms   BIGINT NOT NULL,
  UNIQUE (merchant_id, request_id)
);

-- The quota's history: adjustments (funding in and out) and daily fees.
CREATE TABLE quota_orders (
  order_no         TEXT PRIMARY KEY,
  share_quota_id   TEXT NOT NULL REFERENCES budget_quotas (share_quota_id),
  merchant_id      TEXT NOT NULL,
  request_id       TEXT,
  kind             TEXT NOT NULL,   -- ADJUSTMENT | FEE
  amount_minor     BIGINT NOT NULL, -- signed: positive into the quota
  status           TEXT NOT NULL,   -- SUCCESS
  remark           TEXT,
  transaction_time_ms BIGINT NOT NULL
);
CREATE INDEX quota_orders_by_quota ON quota_orders (merchant_id, share_quota_id, transaction_time_ms);

-- One row per quota and UTC day whose over-limit fee was settled: never charged twice.
CREATE TABLE quota_fee_days (
  share_quota_id TEXT NOT NULL,
  day            TEXT NOT NULL,      -- YYYY-MM-DD
  over_limit_minor BIGINT NOT NULL,
  fee_minor      BIGINT NOT NULL,
  charged_minor  BIGINT NOT NULL,
  created_at_ms  BIGINT NOT NULL,
  PRIMARY KEY (share_quota_id, day)
);

-- A card's spending cap (shared-quota and AdPos shared cards): NULL means none.
ALTER TABLE cards ADD COLUMN cap_limit_minor BIGINT;
ALTER TABLE cards ADD COLUMN cap_used_minor BIGINT NOT NULL DEFAULT 0;

CREATE TABLE settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
