-- transfers keeps no foreign keys to accounts. The writer makes every transfer between two
-- accounts it has just loaded or created, in the same transaction, and the ledger check
-- (GET /admin/v1/ledger/invariants) counts transfers whose accounts do not exist. The
-- checks cost PostgreSQL two trigger queries per transfer, 14 % of the server's time on
-- the authorization path (docs/benchmarks.md).
-- Neither dialect can drop a column's REFERENCES in place in the same SQL, so the table is
-- rebuilt: on a large ledger this migration copies every transfer once.
CREATE TABLE transfers_rebuilt (
  transfer_id       TEXT PRIMARY KEY,
  debit_account_id  TEXT NOT NULL,
  credit_account_id TEXT NOT NULL,
  amount_minor      BIGINT NOT NULL CHECK (amount_minor > 0),
  currency          TEXT NOT NULL,
  kind              TEXT NOT NULL,
  status            TEXT NOT NULL,
  reference         TEXT NOT NULL,
  created_at_ms     BIGINT NOT NULL
);
INSERT INTO transfers_rebuilt (transfer_id, debit_account_id, credit_account_id, amount_minor, currency, kind, status,
                               reference, created_at_ms)
  SELECT transfer_id, debit_account_id, credit_account_id, amount_minor, currency, kind, status, reference,
         created_at_ms
  FROM transfers;
DROP TABLE transfers;
ALTER TABLE transfers_rebuilt RENAME TO transfers;
CREATE INDEX transfers_by_debit ON transfers (debit_account_id, created_at_ms) WHERE kind <> 'authorization';
CREATE INDEX transfers_by_credit ON transfers (credit_account_id, created_at_ms) WHERE kind <> 'authorization';
