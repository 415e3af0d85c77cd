-- pgbench: the same two transactions the service runs for a hold and its confirmation
-- (token lookups included), as raw SQL: the database's ceiling for the booking flow.
\set flight random(1, :flights)
\set slot random(0, 179)
SELECT CASE WHEN :slot < 6 THEN (:slot / 2 + 1)::text || substr('AC', :slot % 2 + 1, 1)
            ELSE ((:slot - 6) / 6 + 4)::text || substr('ABCDEF', (:slot - 6) % 6 + 1, 1) END AS seat,
       gen_random_uuid() AS hold, gen_random_uuid() AS booking \gset
SELECT users.id FROM tokens JOIN users ON users.id = tokens.user_id
  WHERE tokens.token_hash = ':token_hash' AND tokens.revoked_at IS NULL AND tokens.expires_at > now();
BEGIN;
INSERT INTO holds (id, user_id, flight_id, seats, quote, status, created_at, expires_at)
  VALUES (':hold', ':user_id', :flight, json_build_array(':seat'), '{}', 'active', now(), now() + interval '10 minutes');
WITH claimed AS (
  UPDATE seats SET status = 'held', hold_id = ':hold', held_until = now() + interval '10 minutes', booking_id = NULL
  WHERE flight_id = :flight AND seat IN (
    SELECT seat FROM seats WHERE flight_id = :flight AND seat IN (':seat')
      AND (status = 'available' OR (status = 'held' AND held_until <= now()))
    ORDER BY seat FOR UPDATE)
  RETURNING seat)
SELECT count(*) AS got FROM claimed \gset
\if :got
INSERT INTO events (flight_id, seat, status, created_at)
  SELECT :flight, ':seat', 'held', now() FROM (SELECT pg_advisory_xact_lock(7345, :flight)) AS serialized;
COMMIT;
SELECT users.id FROM tokens JOIN users ON users.id = tokens.user_id
  WHERE tokens.token_hash = ':token_hash' AND tokens.revoked_at IS NULL AND tokens.expires_at > now();
BEGIN;
SELECT id, user_id, flight_id, seats, expires_at, status, quote FROM holds WHERE id = ':hold' AND user_id = ':user_id';
UPDATE holds SET status = 'booked' WHERE id = ':hold' AND status = 'active' AND expires_at > now() RETURNING id;
INSERT INTO bookings (id, reference, user_id, flight_id, hold_id, seats, total_amount, currency, status, created_at)
  VALUES (':booking', substr(md5(':booking'), 1, 8), ':user_id', :flight, ':hold', json_build_array(':seat'), 15000, 'EUR', 'confirmed', now());
INSERT INTO booking_seats (booking_id, seat, flight_id, active) VALUES (':booking', ':seat', :flight, true);
UPDATE seats SET status = 'booked', booking_id = ':booking', hold_id = NULL, held_until = NULL
  WHERE hold_id = ':hold' AND status = 'held' AND held_until > now() RETURNING seat;
INSERT INTO events (flight_id, seat, status, created_at)
  SELECT :flight, ':seat', 'booked', now() FROM (SELECT pg_advisory_xact_lock(7345, :flight)) AS serialized;
COMMIT;
\else
ROLLBACK;
\endif
