-- Booking a place for an address that already has one answers exactly as
-- a new booking would (so nobody learns who booked), and the person is
-- told by email instead. duplicate_notice_at records the last such email,
-- so repeated attempts send at most one an hour.

-- +goose Up
ALTER TABLE registrations ADD COLUMN duplicate_notice_at timestamptz;

-- +goose Down
ALTER TABLE registrations DROP COLUMN duplicate_notice_at;
