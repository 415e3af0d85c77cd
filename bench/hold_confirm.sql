-- pgbench: the same statements the service runs for a hold and its confirmation, in the
-- same order, as raw SQL: the database's ceiling for the booking flow. The confirm half
-- is the service's on PostgreSQL as tests/integration/test_booking_round_trips.py pins
-- it; the capture's record (one UPDATE per batch of bookings, after the 201) is left out,
-- as it is off the request.
-- The service's sessions hold the event writers' lock (7348, 0) from their connect, at no
-- cost per transaction (migration 0014); pgbench has no connect hook, so the hold's first
-- statement takes it (held by the session from then on: no round trip more).
\set flight random(1, :flights)
\set slot random(0, 179)
SELECT CASE WHEN :slot < 6 THEN (:slot / 2 + 1)::text || substr('AC', :slot % 2 + 1, 1)
            ELSE ((:slot - 6) / 6 + 4)::text || substr('ABCDEF', (:slot - 6) % 6 + 1, 1) END AS seat,
       gen_random_uuid() AS hold, gen_random_uuid() AS booking \gset
-- the hold's throttles, the customer's and the address's, in one statement that commits
-- as it runs (repositories/postgres.py: COUNT_ATTEMPTS). No token look-up: an app server
-- reads a bearer token's user once a session (services/session_cache.py), not once a
-- request. Each pgbench client is its own customer at its own address, as each of wrk's
-- threads is (bench/booking.lua): the customer is picked in this statement, no round trip
-- more, and kept by \aset (its value is the same in every row).
WITH customer AS (SELECT id FROM users ORDER BY id OFFSET :client_id % :users LIMIT 1)
INSERT INTO throttles AS t (key, attempts, window_start)
  SELECT key, 1, now() FROM customer, unnest(ARRAY['holds-per-customer:' || customer.id, 'holds-per-address:10.9.' || :client_id])
    WITH ORDINALITY AS given(key, n) ORDER BY n
  ON CONFLICT (key) DO UPDATE SET attempts = CASE WHEN t.locked_until IS NOT NULL AND t.locked_until > now() THEN t.attempts
    WHEN t.window_start <= now() - interval '1 minute' THEN 1 ELSE t.attempts + 1 END,
  window_start = CASE WHEN t.window_start <= now() - interval '1 minute'
    AND NOT (t.locked_until IS NOT NULL AND t.locked_until > now()) THEN excluded.window_start ELSE t.window_start END
  RETURNING t.key, t.attempts, t.window_start, t.locked_until, (SELECT id FROM customer) AS user_id \aset
-- the hold's transaction (services/reservations.py; booking.lua sends no Idempotency-Key):
-- the customer's and the address's locks, what they hold and what the flight sold, the
-- hold placed in one statement (repositories/postgres.py: LOCK_HOLDS, HELD_AND_SOLD, PLACE_HOLD)
BEGIN;
SELECT pg_advisory_xact_lock(7347, hashtext('10.9.' || :client_id || ' ' || :flight))
  FROM (SELECT pg_advisory_xact_lock(7346, hashtext(':user_id')), lastseat_register_event_writer()) AS customer;
SELECT held.*, booked.*, sold.n FROM
  (SELECT coalesce(sum(CASE WHEN holds.user_id = ':user_id' AND holds.flight_id = :flight THEN 1 ELSE 0 END), 0) AS mine_on_flight,
          coalesce(sum(CASE WHEN holds.user_id = ':user_id' THEN 1 ELSE 0 END), 0) AS mine,
          coalesce(sum(CASE WHEN holds.client_address = '10.9.' || :client_id AND holds.flight_id = :flight THEN 1 ELSE 0 END), 0) AS address
     FROM holds JOIN seats ON seats.hold_id = holds.id
    WHERE holds.status = 'active' AND holds.expires_at > now()
      AND (holds.user_id = ':user_id' OR (holds.client_address = '10.9.' || :client_id AND holds.flight_id = :flight))) AS held,
  (SELECT coalesce(sum(CASE WHEN bookings.user_id = ':user_id' THEN 1 ELSE 0 END), 0) AS booked_mine,
          coalesce(sum(CASE WHEN holds.client_address = '10.9.' || :client_id THEN 1 ELSE 0 END), 0) AS booked_address
     FROM booking_seats JOIN bookings ON bookings.id = booking_seats.booking_id JOIN holds ON holds.id = bookings.hold_id
    WHERE booking_seats.flight_id = :flight AND booking_seats.active
      AND (bookings.user_id = ':user_id' OR holds.client_address = '10.9.' || :client_id)) AS booked,
  (SELECT count(*) AS n FROM seats WHERE flight_id = :flight AND status = 'booked') AS sold;
WITH hold AS (
  INSERT INTO holds (id, user_id, flight_id, seats, quote, status, created_at, expires_at, client_address)
  VALUES (':hold', ':user_id', :flight, json_build_array(':seat'), '{}', 'active', now(), now() + interval '10 minutes', '10.9.' || :client_id)
), claimed AS (
  UPDATE seats SET status = 'held', hold_id = ':hold', held_until = now() + interval '10 minutes', booking_id = NULL
  WHERE flight_id = :flight AND seat IN (
    SELECT seat FROM seats WHERE flight_id = :flight AND seat IN (':seat')
      AND (status = 'available' OR (status = 'held' AND held_until <= now()))
    ORDER BY seat FOR UPDATE)
  RETURNING seat
), changes AS (
  INSERT INTO events (flight_id, seat, status, created_at) SELECT :flight, ':seat', 'held', now()
)
SELECT count(*) AS got FROM claimed \gset
\if :got
COMMIT;
-- the confirm (services/bookings.py; bench/booking.lua sends no Idempotency-Key, so no key
-- is claimed): the hold read to price it, the card authorized (not SQL), one transaction:
-- the hold taken, then the booking with its seats and passengers, the seats booked, the
-- events and the ticket in one statement (repositories/pg_bookings.py: PLACE_BOOKING)
SELECT id, user_id, flight_id, seats, expires_at, status, quote FROM holds WHERE id = ':hold' AND user_id = ':user_id';
BEGIN;
UPDATE holds SET status = 'booked' WHERE id = ':hold' AND user_id = ':user_id' AND status = 'active' AND expires_at > now()
  RETURNING id, user_id, flight_id, seats, expires_at, status, quote;
WITH booking AS (
  INSERT INTO bookings (id, reference, user_id, flight_id, hold_id, seats, total_amount, currency, status, created_at, discount_code, discount_amount, payment_id, payment_status)
  VALUES (':booking', substr(md5(':booking'), 1, 8), ':user_id', :flight, ':hold', json_build_array(':seat'), 15000, 'EUR', 'confirmed', now(), NULL, 0, 'auth_bench', 'authorized')
), live_seats AS (
  INSERT INTO booking_seats (booking_id, seat, flight_id, active) SELECT ':booking', seat, :flight, true FROM unnest(ARRAY[':seat']::varchar[]) AS seat
), named AS (
  INSERT INTO booking_passengers (booking_id, seat, given_name, family_name, date_of_birth, type)
  SELECT ':booking', * FROM unnest(ARRAY[':seat']::varchar[], ARRAY['Bench']::varchar[], ARRAY['Traveller']::varchar[], ARRAY[NULL]::date[], ARRAY['adult']::varchar[])
), booked AS (
  UPDATE seats SET status = 'booked', booking_id = ':booking', hold_id = NULL, held_until = NULL
  WHERE hold_id = ':hold' AND status = 'held' AND held_until > now() RETURNING seat
), changes AS (
  INSERT INTO events (flight_id, seat, status, created_at)
  SELECT :flight, ':seat', 'booked', now()
), ticket AS (
  INSERT INTO mail_outbox (message_id, kind, booking_id, recipient, refund_amount, created_at)
  VALUES ('<booked.:booking@bench>', 'booked', ':booking', 'bench@example.com', NULL, now())
) SELECT seat FROM booked;
COMMIT;
\else
ROLLBACK;
\endif
