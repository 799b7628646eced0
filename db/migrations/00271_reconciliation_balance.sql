-- Reconciliation follows the money to the bank: Stripe's balance
-- transactions (gross, fees, refunds, disputes) against the ledger's
-- entries, and the payouts that reached the bank. Each report keeps the
-- totals it compared.

-- +goose Up
ALTER TABLE reconciliation_reports
    ADD COLUMN balance_count integer NOT NULL DEFAULT 0,
    ADD COLUMN balance_net_pence bigint NOT NULL DEFAULT 0,
    ADD COLUMN ledger_net_pence bigint NOT NULL DEFAULT 0,
    ADD COLUMN payout_count integer NOT NULL DEFAULT 0,
    ADD COLUMN payout_total_pence bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE reconciliation_reports DROP COLUMN payout_total_pence, DROP COLUMN payout_count, DROP COLUMN ledger_net_pence,
    DROP COLUMN balance_net_pence, DROP COLUMN balance_count;
