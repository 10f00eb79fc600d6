-- Every index on a table the authorization path appends to costs each authorization a
-- b-tree insert, and each batch a rewritten last page of that index (SQLite writes it to
-- the WAL whole). Four such indexes had no reader, or readers that never look at the rows
-- the authorization path adds:

-- No query reads these two.
DROP INDEX authorizations_by_merchant;
DROP INDEX transfers_by_reference;

-- Holds credit network settlement and are found by the authorization's hold_transfer_id,
-- never by account (as transfers_by_debit since 0006); the quota's refund sum says
-- `kind <> 'authorization'` so that this index serves it.
DROP INDEX transfers_by_credit;
CREATE INDEX transfers_by_credit ON transfers (credit_account_id, created_at_ms) WHERE kind <> 'authorization';

-- The deliverer asks only for pending events; an event with no webhook to go to is stored
-- as failed at once and never enters this index.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at_ms) WHERE status = 'pending';
