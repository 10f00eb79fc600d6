-- A simulator authorization keeps its own Idempotency-Key: the key, the request's (keyed)
-- hash and the funding source's available amount in the first answer, the one thing of
-- that answer the row did not hold. A replay rebuilds the answer from the row as it was
-- first given (state pending or declined, held the amount or nothing, nothing captured or
-- refunded), so the authorization path no longer writes an idempotency_keys row and its
-- ~700-byte copy of the answer (docs/benchmarks.md, the tenth session). Keys stored in
-- idempotency_keys before this migration stay there and are still found; the lookup reads
-- them only if there were any (legacy_idempotency_routes), as it reads every batch's keys.
ALTER TABLE authorizations ADD COLUMN idempotency_scope TEXT;
ALTER TABLE authorizations ADD COLUMN idempotency_key TEXT;
ALTER TABLE authorizations ADD COLUMN request_hash TEXT;
ALTER TABLE authorizations ADD COLUMN available_after_minor BIGINT;

-- Takes the place of idempotency_keys' primary key for these keys; older rows have none.
CREATE UNIQUE INDEX authorizations_by_idempotency_key ON authorizations (idempotency_scope, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- The routes whose keys moved: listed only if idempotency_keys holds keys of theirs, which
-- the lookup must then read too. Nothing writes such keys any more.
CREATE TABLE legacy_idempotency_routes (route TEXT PRIMARY KEY);
INSERT INTO legacy_idempotency_routes (route)
  SELECT DISTINCT route FROM idempotency_keys WHERE route = '/sim/v1/authorizations';
