-- Authorizations (holds, captures, reversals, expiries, refunds), FX rates, and the
-- product settings the authorization path reads.

-- A capture may exceed the authorized amount by at most this share (e.g. 0.15 for 15 %).
ALTER TABLE card_products ADD COLUMN capture_tolerance_rate TEXT NOT NULL DEFAULT '0';
-- Charged on top of a converted amount when the transaction currency is not the card's.
ALTER TABLE card_products ADD COLUMN fx_fee_rate TEXT NOT NULL DEFAULT '0';

-- 1 unit of base_currency = rate units of quote_currency (exact decimal text).
CREATE TABLE fx_rates (
  base_currency  TEXT NOT NULL,
  quote_currency TEXT NOT NULL,
  rate           TEXT NOT NULL,
  updated_at_ms  BIGINT NOT NULL,
  PRIMARY KEY (base_currency, quote_currency)
);

CREATE TABLE authorizations (
  authorization_id      TEXT PRIMARY KEY,
  merchant_id           TEXT NOT NULL,
  card_id               TEXT NOT NULL,   -- '' when the card was not known (response 14)
  status                TEXT NOT NULL,   -- APPROVED | DECLINED
  state                 TEXT NOT NULL,   -- pending | captured | reversed | expired | declined
  transaction_type      TEXT NOT NULL,
  currency              TEXT NOT NULL,   -- the card's
  amount_minor          BIGINT NOT NULL, -- asked, in the card's currency, FX fee included
  fx_fee_minor          BIGINT NOT NULL,
  original_amount_minor BIGINT NOT NULL,
  original_currency     TEXT NOT NULL,
  fx_rate               TEXT,
  held_minor            BIGINT NOT NULL, -- still on hold
  captured_minor        BIGINT NOT NULL,
  refunded_minor        BIGINT NOT NULL,
  counted_minor         BIGINT NOT NULL, -- what counts against the card's windows now
  response_code         TEXT NOT NULL,
  decline_reason        TEXT,
  merchant_name         TEXT,
  merchant_mcc          TEXT,
  merchant_country      TEXT,
  card_present          INTEGER NOT NULL,
  funding_kind          TEXT NOT NULL,
  funding_owner_id      TEXT NOT NULL,
  hold_transfer_id      TEXT,
  detail_id             TEXT NOT NULL,   -- its row in card_transactions
  created_at_ms         BIGINT NOT NULL,
  updated_at_ms         BIGINT NOT NULL
);
-- Window usage: SUM(counted_minor) of a card, type and time range.
CREATE INDEX authorizations_by_window ON authorizations (card_id, transaction_type, created_at_ms);
CREATE INDEX authorizations_by_merchant ON authorizations (merchant_id, created_at_ms);
