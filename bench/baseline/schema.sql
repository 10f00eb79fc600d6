-- The PL/pgSQL baseline of issue #8: the same authorization as one database function, in
-- its own database next to issuerd's (same private PostgreSQL server), called by pgbench
-- with prepared statements. The data set is issuerd's own (bench/setup_data.py writes
-- cards.csv; bench/run.py loads it here), with integer ids.
--
-- What one call does, like issuerd's authorization: lock the card row; check it is known,
-- not expired and ACTIVE; sum the card's approved amounts of the UTC day when it has a
-- daily limit; for a shared card lock the budget quota row; lock the funding account and
-- check what it has available (and the card's own limit for a shared card); place the hold
-- (account held, card limit used, a pending hold row) and record the authorization.
-- issuerd additionally writes a card transaction row, a callback (outbox) row and its
-- idempotency record; the baseline does not.

DROP FUNCTION IF EXISTS authorize(bigint, bigint);
DROP TABLE IF EXISTS holds, authorizations, cards, quotas, accounts;

CREATE TABLE accounts (
  account_id    bigint PRIMARY KEY,
  balance_minor bigint NOT NULL,
  held_minor    bigint NOT NULL DEFAULT 0
);

CREATE TABLE quotas (
  quota_id   bigint PRIMARY KEY,
  name       text NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts,
  status     text NOT NULL DEFAULT 'NORMAL'
);

CREATE TABLE cards (
  card_id           bigint PRIMARY KEY,
  kind              text NOT NULL,
  status            text NOT NULL DEFAULT 'ACTIVE',
  expiry_month      int NOT NULL DEFAULT 12,
  expiry_year       int NOT NULL DEFAULT 2099,
  account_id        bigint REFERENCES accounts,  -- a standard card's own balance
  quota_id          bigint REFERENCES quotas,    -- a shared card's budget quota
  cap_limit_minor   bigint,                      -- a shared card's limit
  cap_used_minor    bigint NOT NULL DEFAULT 0,
  daily_limit_minor bigint                       -- DAY / PURCHASE spend control
);

CREATE TABLE authorizations (
  authorization_id bigserial PRIMARY KEY,
  card_id          bigint NOT NULL,
  status           text NOT NULL,
  response_code    text NOT NULL,
  amount_minor     bigint NOT NULL,
  counted_minor    bigint NOT NULL,  -- what counts against the card's windows
  created_at       timestamptz NOT NULL
);
CREATE INDEX authorizations_by_window ON authorizations (card_id, created_at);

CREATE TABLE holds (
  hold_id          bigserial PRIMARY KEY,
  authorization_id bigint NOT NULL,
  account_id       bigint NOT NULL,
  amount_minor     bigint NOT NULL,
  status           text NOT NULL,
  created_at       timestamptz NOT NULL
);

-- Returns the ISO 8583 response code ('00' approved).
CREATE FUNCTION authorize(p_card bigint, p_amount bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  c cards%ROWTYPE;
  q quotas%ROWTYPE;
  a accounts%ROWTYPE;
  code text := '00';
  used bigint;
  available bigint;
  funding bigint;
  day_start timestamptz := date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  auth_id bigint;
BEGIN
  SELECT * INTO c FROM cards WHERE card_id = p_card FOR UPDATE;
  IF NOT FOUND THEN
    code := '14';
  ELSIF (c.expiry_year * 12 + c.expiry_month - 1) <
        (extract(year FROM now() AT TIME ZONE 'UTC')::int * 12 + extract(month FROM now() AT TIME ZONE 'UTC')::int - 1) THEN
    code := '54';
  ELSIF c.status <> 'ACTIVE' THEN
    code := CASE c.status WHEN 'LOCK' THEN '62' WHEN 'CANCELED' THEN '46' ELSE '05' END;
  ELSE
    IF c.daily_limit_minor IS NOT NULL THEN
      SELECT coalesce(sum(counted_minor), 0) INTO used
        FROM authorizations WHERE card_id = p_card AND created_at >= day_start;
      IF p_amount > c.daily_limit_minor - used THEN code := '61'; END IF;
    END IF;
    IF code = '00' THEN
      IF c.quota_id IS NOT NULL THEN
        SELECT * INTO q FROM quotas WHERE quota_id = c.quota_id FOR UPDATE;
        funding := q.account_id;
      ELSE
        funding := c.account_id;
      END IF;
      SELECT * INTO a FROM accounts WHERE account_id = funding FOR UPDATE;
      available := greatest(a.balance_minor - a.held_minor, 0);
      IF c.cap_limit_minor IS NOT NULL THEN
        available := least(available, greatest(c.cap_limit_minor - c.cap_used_minor, 0));
      END IF;
      IF p_amount > available THEN
        code := '51';
      ELSIF c.quota_id IS NOT NULL AND q.status = 'FROZEN' THEN
        code := '62';
      END IF;
    END IF;
  END IF;
  INSERT INTO authorizations (card_id, status, response_code, amount_minor, counted_minor, created_at)
  VALUES (p_card, CASE WHEN code = '00' THEN 'APPROVED' ELSE 'DECLINED' END, code, p_amount,
          CASE WHEN code = '00' THEN p_amount ELSE 0 END, now())
  RETURNING authorization_id INTO auth_id;
  IF code = '00' THEN
    UPDATE accounts SET held_minor = held_minor + p_amount WHERE account_id = funding;
    IF c.cap_limit_minor IS NOT NULL THEN
      UPDATE cards SET cap_used_minor = cap_used_minor + p_amount WHERE card_id = p_card;
    END IF;
    INSERT INTO holds (authorization_id, account_id, amount_minor, status, created_at)
    VALUES (auth_id, funding, p_amount, 'pending', now());
  END IF;
  RETURN code;
END
$$;
