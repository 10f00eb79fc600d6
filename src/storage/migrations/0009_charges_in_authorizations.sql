-- An authorization's CHARGE card transaction is no longer a row of its own: the card
-- transaction list shows it from the authorization (CardStore::list_transactions), which
-- already held all of it but three facts, added here. The authorization path wrote two rows
-- and four index entries per authorization; now one row and two (docs/benchmarks.md, the
-- ninth session). card_transactions keeps the other types: FEE, REFUND, TOP_UP.
-- The CHARGE's status follows the authorization's state: pending PENDING, captured POSTED,
-- declined REJECT, reversed and expired CANCELED. Its user is the card's.

-- What the CHARGE shows: the amount in the card's currency without the FX fee (0 when it
-- was declined before it could be converted; at capture, the captured amount), and when
-- it was captured.
ALTER TABLE authorizations ADD COLUMN charge_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE authorizations ADD COLUMN posted_at_ms BIGINT;

UPDATE authorizations
  SET charge_minor = (SELECT t.amount_minor FROM card_transactions t WHERE t.detail_id = authorizations.detail_id),
      posted_at_ms = (SELECT t.posted_at_ms FROM card_transactions t WHERE t.detail_id = authorizations.detail_id)
  WHERE EXISTS (SELECT 1 FROM card_transactions t WHERE t.detail_id = authorizations.detail_id);
DELETE FROM card_transactions
  WHERE tx_type = 'CHARGE' AND detail_id IN (SELECT detail_id FROM authorizations);

-- The list and the spend-window sums find a card's authorizations by this index, which
-- takes the place of card_transactions_by_card for them; nothing reads authorizations by
-- detail id any more.
DROP INDEX authorizations_by_detail;
CREATE INDEX authorizations_by_card ON authorizations (card_id, created_at_ms);
