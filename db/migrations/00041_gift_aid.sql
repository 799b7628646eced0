-- Gift Aid: donors' declarations (HMRC's required details, the wording
-- they agreed to and how they made it) and the claims made to HMRC. The
-- donor's name and address are sealed with AES-256-GCM (internal/sealed);
-- key_id names the key. Records are kept six years (HMRC) whatever
-- happens to a member record: deletion before retain_until is refused.

-- +goose Up
CREATE TABLE gift_aid_declarations (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    donor_id             uuid REFERENCES donors (id),
    member_id            uuid REFERENCES members (id) ON DELETE SET NULL,
    key_id               text NOT NULL CHECK (length(key_id) BETWEEN 1 AND 64),
    -- title, first and last name, house name or number, postcode (X outside the UK)
    personal_sealed      bytea NOT NULL,
    uk_postcode          boolean NOT NULL,
    scope                text NOT NULL CHECK (scope IN ('this_gift', 'this_and_future', 'past_four_years_and_future')),
    method               text NOT NULL CHECK (method IN ('online', 'oral', 'written')),
    wording_version      text NOT NULL CHECK (length(wording_version) BETWEEN 1 AND 40),
    wording              text NOT NULL CHECK (length(wording) BETWEEN 1 AND 2000),
    declared_on          date NOT NULL,
    -- Oral declarations are valid once a written confirmation is sent.
    confirmation_sent_on date,
    cancelled_at         timestamptz,
    recorded_by          uuid,
    retain_until         date NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (method <> 'oral' OR confirmation_sent_on IS NOT NULL)
);
CREATE INDEX gift_aid_declarations_donor ON gift_aid_declarations (donor_id);

CREATE TABLE gift_aid_claims (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    period_from        date NOT NULL,
    period_to          date NOT NULL CHECK (period_to >= period_from),
    donation_count     integer NOT NULL,
    total_pence        bigint NOT NULL,
    gift_aid_pence     bigint NOT NULL,
    aggregate_limit_pence bigint NOT NULL,
    created_by         uuid,
    retain_until       date NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);

-- A claimed gift records the claim and the declaration that covered it
-- (HMRC may ask for it), set together.
ALTER TABLE donations
    ADD COLUMN gift_aid_claimed_declaration_id uuid REFERENCES gift_aid_declarations (id),
    ADD CONSTRAINT donations_gift_aid_declaration_fk FOREIGN KEY (gift_aid_declaration_id) REFERENCES gift_aid_declarations (id),
    ADD CONSTRAINT donations_gift_aid_claim_fk FOREIGN KEY (gift_aid_claim_id) REFERENCES gift_aid_claims (id),
    ADD CONSTRAINT donations_gift_aid_claimed CHECK ((gift_aid_claim_id IS NULL) = (gift_aid_claimed_declaration_id IS NULL));
CREATE INDEX donations_unclaimed ON donations (paid_at) WHERE gift_aid_claim_id IS NULL;

-- +goose StatementBegin
CREATE FUNCTION refuse_early_gift_aid_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.retain_until > current_date THEN
        RAISE EXCEPTION 'Gift Aid records are kept until % (HMRC six-year rule)', OLD.retain_until
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER gift_aid_declarations_retained BEFORE DELETE ON gift_aid_declarations
    FOR EACH ROW EXECUTE FUNCTION refuse_early_gift_aid_delete();
CREATE TRIGGER gift_aid_claims_retained BEFORE DELETE ON gift_aid_claims
    FOR EACH ROW EXECUTE FUNCTION refuse_early_gift_aid_delete();

-- +goose Down
DROP TRIGGER gift_aid_claims_retained ON gift_aid_claims;
DROP TRIGGER gift_aid_declarations_retained ON gift_aid_declarations;
DROP FUNCTION refuse_early_gift_aid_delete();
ALTER TABLE donations DROP CONSTRAINT donations_gift_aid_claimed, DROP CONSTRAINT donations_gift_aid_claim_fk,
    DROP CONSTRAINT donations_gift_aid_declaration_fk, DROP COLUMN gift_aid_claimed_declaration_id;
DROP INDEX donations_unclaimed;
DROP TABLE gift_aid_claims;
DROP TABLE gift_aid_declarations;
