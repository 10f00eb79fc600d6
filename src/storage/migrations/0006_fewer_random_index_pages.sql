-- Every entry in an index keyed by card or account lands on a page of its own: at 64
-- connections each such index cost a written page (4 KiB of SQLite WAL, later copied again
-- by the checkpoint) per authorization, and the three of them made 60 % of the pages a
-- batch wrote (docs/benchmarks.md). Two of them were only read off the hot path:

-- Spend-window sums now go through card_transactions_by_card, which the card transaction
-- list needs anyway, and join the authorization by its detail id (ids only grow, so this
-- index is appended to).
DROP INDEX authorizations_by_window;
CREATE INDEX authorizations_by_detail ON authorizations (detail_id);

-- Holds are found by the authorization's hold_transfer_id, never by account: the account
-- index leaves them out. The ledger check sums transfers in one pass instead.
DROP INDEX transfers_by_debit;
CREATE INDEX transfers_by_debit ON transfers (debit_account_id, created_at_ms) WHERE kind <> 'authorization';
