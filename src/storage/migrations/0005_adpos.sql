-- AdPos: bulk issuing tasks, access tokens, auto top-up rules, and where a card came from
-- (its dialect decides the shape of its transaction callbacks).

ALTER TABLE cards ADD COLUMN origin TEXT NOT NULL DEFAULT 'musepay';     -- musepay | hashdt | adpos
-- Auto top-up: when what the card can spend drops below min, a standard card receives
-- amount from the main account; a capped card's remaining cap is reset to amount.
ALTER TABLE cards ADD COLUMN auto_topup_min_minor BIGINT;                -- NULL: off
ALTER TABLE cards ADD COLUMN auto_topup_amount_minor BIGINT;

-- HMAC-SHA256 secret for AdPos-style signed callbacks (hex); created with the merchant's first token.
ALTER TABLE merchants ADD COLUMN webhook_secret TEXT;

CREATE TABLE access_tokens (
  token_hash    TEXT PRIMARY KEY,   -- SHA-256 of the bearer token
  merchant_id   TEXT NOT NULL REFERENCES merchants (merchant_id),
  expires_at_ms BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL
);

CREATE TABLE adpos_tasks (
  task_id       BIGINT PRIMARY KEY,
  merchant_id   TEXT NOT NULL REFERENCES merchants (merchant_id),
  request_id    TEXT,
  status        TEXT NOT NULL,      -- pending | processing | completed | partially_failed | failed
  request_json  TEXT NOT NULL,      -- the validated request, normalised
  requested     INTEGER NOT NULL,
  created_count INTEGER NOT NULL,
  failed_count  INTEGER NOT NULL,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE INDEX adpos_tasks_by_merchant ON adpos_tasks (merchant_id, created_at_ms);

CREATE TABLE adpos_task_items (
  task_id     BIGINT NOT NULL,
  item_index  INTEGER NOT NULL,
  status      TEXT NOT NULL,        -- created | failed
  card_id     TEXT,
  fail_reason TEXT,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (task_id, item_index)
);
