-- A treasurer's ruling that a gift is not eligible for Gift Aid whatever
-- declaration covers it: a payment for goods or services, a company's
-- money, a benefit to the donor beyond HMRC's limits, someone else's
-- money. One row per gift; lifting the ruling deletes it (both are in the
-- audit log).

-- +goose Up
CREATE TABLE gift_aid_exclusions (
    donation_id uuid PRIMARY KEY REFERENCES donations (id),
    reason      text NOT NULL CHECK (reason IN ('payment_for_goods_or_services', 'company', 'donor_benefit', 'not_donors_own_money', 'other')),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (reason <> 'other' OR note <> '')
);

-- +goose Down
DROP TABLE gift_aid_exclusions;
