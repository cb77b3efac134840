-- The project's own tables. Idempotent: applied at every start.

CREATE TABLE IF NOT EXISTS tenants (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL
);

-- Keys are stored as the SHA-256 hex of the raw key; the raw key is shown once, at creation.
CREATE TABLE IF NOT EXISTS api_keys (
    id          text PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants (id),
    name        text NOT NULL,
    key_hash    text NOT NULL UNIQUE,
    display_id  text NOT NULL,
    is_admin    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX IF NOT EXISTS api_keys_tenant ON api_keys (tenant_id, created_at);
-- A key's own rate limits, requests per minute; null: the configured default (RateLimits:*).
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS events_per_minute integer CHECK (events_per_minute > 0);
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS bulk_per_minute integer CHECK (bulk_per_minute > 0);

CREATE TABLE IF NOT EXISTS customers (
    id           text PRIMARY KEY,
    tenant_id    text NOT NULL REFERENCES tenants (id),
    external_id  text NOT NULL,
    name         text NOT NULL,
    email        text,
    metadata     jsonb,
    created_at   timestamptz NOT NULL,
    CONSTRAINT customers_external_id UNIQUE (tenant_id, external_id)
);
CREATE INDEX IF NOT EXISTS customers_tenant_created ON customers (tenant_id, created_at DESC, id DESC);
-- Flexprice's address fields, stored as given.
ALTER TABLE customers ADD COLUMN IF NOT EXISTS address_line1 text;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS address_line2 text;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS address_city text;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS address_state text;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS address_postal_code text;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS address_country text;

-- A metered feature and its meter, one row: features are immutable once created.
CREATE TABLE IF NOT EXISTS features (
    id                 text PRIMARY KEY,
    tenant_id          text NOT NULL REFERENCES tenants (id),
    name               text NOT NULL,
    type               text NOT NULL,
    meter_id           text NOT NULL UNIQUE,
    event_name         text NOT NULL,
    aggregation_type   text NOT NULL,
    aggregation_field  text,
    reset_usage        text NOT NULL,
    created_at         timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS features_tenant ON features (tenant_id, created_at);
-- Meter options: SUM_WITH_MULTIPLIER's factor, bucketed MAX/SUM, group_by, and filters [{"key", "values"}].
ALTER TABLE features ADD COLUMN IF NOT EXISTS aggregation_multiplier numeric;
ALTER TABLE features ADD COLUMN IF NOT EXISTS bucket_size text;
ALTER TABLE features ADD COLUMN IF NOT EXISTS group_by text;
ALTER TABLE features ADD COLUMN IF NOT EXISTS filters jsonb;
-- Flexprice's descriptive fields, stored as given; a lookup key names one feature of the tenant.
ALTER TABLE features ADD COLUMN IF NOT EXISTS lookup_key text;
ALTER TABLE features ADD COLUMN IF NOT EXISTS description text;
ALTER TABLE features ADD COLUMN IF NOT EXISTS unit_singular text;
ALTER TABLE features ADD COLUMN IF NOT EXISTS unit_plural text;
ALTER TABLE features ADD COLUMN IF NOT EXISTS metadata jsonb;
CREATE UNIQUE INDEX IF NOT EXISTS features_lookup_key ON features (tenant_id, lookup_key) WHERE lookup_key IS NOT NULL;

-- The append-only event log, the truth behind every usage figure: `events`, partitioned by event time
-- (one partition per UTC day, `events_pYYYYMMDD`, and `events_before` for everything older than
-- event_log_settings.daily_from), beside two small tables that keep the log's promises across partitions,
-- where PostgreSQL cannot (a unique constraint of a partitioned table must hold the partition key):
--
-- - event_ids: the idempotency key (tenant, event id, external customer id), one row per logged event,
--   with its payload's fingerprint, its log position and its event time (the partition it is in).
--   Written in the append's own statement; its primary key is the database's last word on duplicates.
-- - event_log_heads: each customer's last log position. An append moves it from the position its
--   writer knows to the one after its rows, or stores nothing: a second writer that is behind (another
--   activation while a cluster's membership settles) finds the head moved and catches up. So positions
--   stay dense and unique without a unique index over all partitions.
--
-- The design, and what each index costs per event: README "How it works" and docs/SCALING.md.

CREATE TABLE IF NOT EXISTS event_log_settings (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    -- Events from this day on get a partition per day, made ahead and on demand; older ones go to
    -- events_before. Fixed when the log is created (31 days before), so that no client can make the
    -- database hold a partition for every day since year 1.
    daily_from     timestamptz NOT NULL,
    -- Retention (Retention__Days) dropped every event before this time; null while none was dropped.
    retained_from  timestamptz
);

CREATE TABLE IF NOT EXISTS event_log_heads (
    tenant_id             text NOT NULL,
    external_customer_id  text NOT NULL,
    last_seq              bigint NOT NULL,
    CONSTRAINT event_log_heads_pkey PRIMARY KEY (tenant_id, external_customer_id)
) WITH (fillfactor = 70);

CREATE TABLE IF NOT EXISTS event_ids (
    tenant_id             text NOT NULL,
    event_id              text NOT NULL,
    external_customer_id  text NOT NULL,
    customer_seq          bigint NOT NULL,
    event_time            timestamptz NOT NULL,
    fingerprint           bytea NOT NULL,
    CONSTRAINT event_ids_pkey PRIMARY KEY (tenant_id, event_id, external_customer_id)
) WITH (autovacuum_vacuum_insert_threshold = 100000, autovacuum_vacuum_insert_scale_factor = 0);

-- A database made before the log was partitioned has an ordinary `events` table: it is converted
-- below (its rows copied into partitions, event_ids and heads filled from it), once, at the first
-- start of this version, inside this script's transaction and under the schema's advisory lock.
DO $rename$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass('public.events') AND relkind = 'r') THEN
        ALTER TABLE events RENAME TO events_unpartitioned;
    END IF;
END
$rename$;

CREATE TABLE IF NOT EXISTS events (
    tenant_id             text NOT NULL,
    external_customer_id  text NOT NULL,
    customer_seq          bigint NOT NULL,
    event_id              text NOT NULL,
    event_name            text NOT NULL,
    source                text,
    event_time            timestamptz NOT NULL,
    properties            json NOT NULL,
    ingested_at           timestamptz NOT NULL
) PARTITION BY RANGE (event_time);

-- A customer's log in order (replay after a checkpoint, recent events by partition, the debugger's
-- lookup by position), and a tenant's events by time (the event debugger's newest-first listing and
-- counts, tenant-wide usage from the log). Everything else reads event_ids or filters these.
CREATE INDEX IF NOT EXISTS events_customer_seq ON events (tenant_id, external_customer_id, customer_seq);
CREATE INDEX IF NOT EXISTS events_tenant_time ON events (tenant_id, event_time);

INSERT INTO event_log_settings (daily_from)
VALUES (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '31 days')
ON CONFLICT DO NOTHING;

-- The storage options of every partition: the append-only log is vacuumed every 100 000 new rows
-- (not after 20 % growth), so each vacuum marks a few thousand freshly written pages all-visible while
-- they are still in shared buffers, instead of dirtying a whole day's table at once.
CREATE OR REPLACE FUNCTION events_partition_options() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'autovacuum_vacuum_insert_threshold = 100000, autovacuum_vacuum_insert_scale_factor = 0'
$$;

-- Makes the partitions that hold the given times, where missing: a day's partition for times from
-- daily_from on, none for times before retained_from (dropped by retention) unless dropped_too (an
-- archive loaded back). Safe from any number of sessions at once; returns the names it made. The table is made alone and then attached, which
-- locks `events` only in SHARE UPDATE EXCLUSIVE mode: appends and reads go on meanwhile.
CREATE OR REPLACE FUNCTION events_ensure_partitions(times timestamptz[], dropped_too boolean DEFAULT false) RETURNS text[]
LANGUAGE plpgsql AS $fn$
DECLARE
    settings  event_log_settings;
    day       date;
    name      text;
    made      text[] := '{}';
BEGIN
    SELECT * INTO settings FROM event_log_settings;
    FOR day IN
        SELECT DISTINCT (t AT TIME ZONE 'UTC')::date FROM unnest(times) AS t
        WHERE t >= settings.daily_from AND (dropped_too OR settings.retained_from IS NULL OR t >= settings.retained_from)
        ORDER BY 1
    LOOP
        name := 'events_p' || to_char(day, 'YYYYMMDD');
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_class WHERE relname = name AND relnamespace = 'public'::regnamespace);
        -- One maker of partitions at a time (an arbitrary constant names the lock); then look again.
        PERFORM pg_advisory_xact_lock(7238148157372466529);
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_class WHERE relname = name AND relnamespace = 'public'::regnamespace);
        EXECUTE format('CREATE TABLE public.%I (LIKE public.events) WITH (%s)', name, events_partition_options());
        EXECUTE format('ALTER TABLE public.events ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)',
            name, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
        made := made || name;
    END LOOP;
    RETURN made;
END
$fn$;

-- The partition for everything before daily_from, made with the log (and never again: once retention
-- dropped it, retained_from is set).
DO $before$
DECLARE
    settings event_log_settings;
BEGIN
    SELECT * INTO settings FROM event_log_settings;
    IF to_regclass('public.events_before') IS NULL AND settings.retained_from IS NULL THEN
        EXECUTE format('CREATE TABLE public.events_before PARTITION OF public.events FOR VALUES FROM (MINVALUE) TO (%L) WITH (%s)',
            settings.daily_from, events_partition_options());
    END IF;
END
$before$;

-- The stored fingerprints and positions of those of the given ids already logged, each with its
-- index (1-based) in the arrays. Planned with sequential scans and hash joins off, so that a plan
-- cached while event_ids was small or had no statistics yet (a new database) still probes the
-- primary key once per id when the table is large: a plan that scanned the table would cost a scan
-- per flush. Used by the append statement and by the grains' id lookups. PL/pgSQL with a generic
-- plan, so that a session plans it once (a SQL function's body is parsed and planned again at every
-- call).
CREATE OR REPLACE FUNCTION event_ids_find(tenants text[], customers text[], ids text[])
RETURNS TABLE (ord bigint, fingerprint bytea, customer_seq bigint)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_hashjoin = off SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
    SELECT u.ord, k.fingerprint, k.customer_seq
    FROM unnest(tenants, customers, ids) WITH ORDINALITY AS u(tenant_id, external_customer_id, event_id, ord)
    JOIN event_ids k ON k.tenant_id = u.tenant_id AND k.event_id = u.event_id AND k.external_customer_id = u.external_customer_id;
END
$$;

-- Archives (scripts/archive, Retention__ArchiveDirectory): a partition's events, each with its
-- fingerprint, in the column order of an archive file (PostgreSQL binary COPY of this function's rows).
CREATE OR REPLACE FUNCTION events_archive_rows(partition regclass)
RETURNS TABLE (tenant_id text, external_customer_id text, customer_seq bigint, event_id text, event_name text, source text,
               event_time timestamptz, properties json, ingested_at timestamptz, fingerprint bytea)
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
    RETURN QUERY EXECUTE format(
        'SELECT e.tenant_id, e.external_customer_id, e.customer_seq, e.event_id, e.event_name, e.source, e.event_time, e.properties, e.ingested_at, k.fingerprint
         FROM %s e LEFT JOIN event_ids k
           ON k.tenant_id = e.tenant_id AND k.event_id = e.event_id AND k.external_customer_id = e.external_customer_id
         ORDER BY e.tenant_id, e.external_customer_id, e.customer_seq', partition);
END
$fn$;

-- Loads an archive back from a table shaped like events_archive_rows (scripts/archive load copies the
-- file into one): partitions for its days (also for days retention dropped: the operator asks for
-- them; the next retention run drops them again unless Retention__Days was raised), each event whose
-- idempotency key is free (an id used anew after its event was dropped keeps the new event), and heads
-- at least at each customer's last loaded position. Loading the same file twice loads nothing twice.
CREATE OR REPLACE FUNCTION events_archive_load(staging regclass) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    settings  event_log_settings;
    oldest    timestamptz;
    loaded    bigint;
BEGIN
    SELECT * INTO settings FROM event_log_settings;
    EXECUTE format('SELECT events_ensure_partitions(ARRAY(SELECT DISTINCT date_trunc(''day'', event_time AT TIME ZONE ''UTC'') AT TIME ZONE ''UTC'' FROM %s), true)', staging);
    EXECUTE format('SELECT min(event_time) FROM %s', staging) INTO oldest;
    IF oldest < settings.daily_from AND to_regclass('public.events_before') IS NULL THEN
        EXECUTE format('CREATE TABLE public.events_before PARTITION OF public.events FOR VALUES FROM (MINVALUE) TO (%L) WITH (%s)',
            settings.daily_from, events_partition_options());
    END IF;
    EXECUTE format($q$
        WITH keys AS (
            INSERT INTO event_ids (tenant_id, event_id, external_customer_id, customer_seq, event_time, fingerprint)
            SELECT tenant_id, event_id, external_customer_id, customer_seq, event_time, coalesce(fingerprint, '\x'::bytea) FROM %1$s
            ON CONFLICT DO NOTHING
            RETURNING tenant_id, event_id, external_customer_id
        ), logged AS (
            INSERT INTO events (tenant_id, external_customer_id, customer_seq, event_id, event_name, source, event_time, properties, ingested_at)
            SELECT s.tenant_id, s.external_customer_id, s.customer_seq, s.event_id, s.event_name, s.source, s.event_time, s.properties, s.ingested_at
            FROM %1$s s JOIN keys k ON k.tenant_id = s.tenant_id AND k.event_id = s.event_id AND k.external_customer_id = s.external_customer_id
            RETURNING tenant_id, external_customer_id, customer_seq
        ), heads AS (
            INSERT INTO event_log_heads (tenant_id, external_customer_id, last_seq)
            SELECT tenant_id, external_customer_id, max(customer_seq) FROM logged GROUP BY 1, 2
            ON CONFLICT (tenant_id, external_customer_id) DO UPDATE SET last_seq = EXCLUDED.last_seq
                WHERE event_log_heads.last_seq < EXCLUDED.last_seq
        )
        SELECT count(*) FROM logged$q$, staging) INTO loaded;
    RETURN loaded;
END
$fn$;

-- The append's compare-and-set of heads: moves each customer's head from after_seq to last_seq, or
-- makes it for a customer's first rows (after_seq 0); returns the customers whose head moved or was
-- made. A head another writer moved meanwhile, or is moving or making in a transaction not yet
-- committed, stays (the statement waits for that commit, then finds the head taken). Heads are taken
-- in key order, so two flushes that share customers (two activations) do not deadlock over moves
-- (PostgreSQL would end one of them, a transient fault, if they ever did over new heads). Made first,
-- where after_seq is 0 (ON CONFLICT DO NOTHING neither locks nor logs an existing head), then moved by
-- a plain UPDATE where it is not: a third less WAL than INSERT … ON CONFLICT DO UPDATE, which logs a
-- lock of the row before its update, and one probe of the key per customer, not two (a writer past
-- position 0 has a head to move: every append that logs rows makes or moves its customer's head, and
-- no head is ever deleted; a database restored without event_log_heads would leave its customers'
-- appends colliding until the heads are made again from the log: INSERT INTO event_log_heads
-- SELECT tenant_id, external_customer_id, max(customer_seq) FROM events GROUP BY 1, 2 ON CONFLICT
-- (tenant_id, external_customer_id) DO UPDATE SET last_seq = greatest(event_log_heads.last_seq,
-- EXCLUDED.last_seq)). PL/pgSQL with a generic plan, so that each session plans the statement once
-- and keeps the plan (PostgreSQL 15 parses and plans a SQL function's body again at every call: that
-- was a third of PostgreSQL's time per single-event flush), with sequential scans and hash joins off,
-- like event_ids_find, so that the plan probes the primary key whatever size the table had when it
-- was made.
CREATE OR REPLACE FUNCTION event_log_heads_advance(tenants text[], customers text[], afters bigint[], lasts bigint[])
RETURNS TABLE (moved_tenant_id text, moved_customer_id text)
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_hashjoin = off SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
    WITH g AS (
        SELECT * FROM unnest(tenants, customers, afters, lasts) AS g(tenant_id, external_customer_id, after_seq, last_seq)
        ORDER BY tenant_id, external_customer_id
    ), made AS (
        INSERT INTO event_log_heads AS h (tenant_id, external_customer_id, last_seq)
        SELECT g.tenant_id, g.external_customer_id, g.last_seq FROM g WHERE g.after_seq = 0
        ON CONFLICT DO NOTHING
        RETURNING h.tenant_id, h.external_customer_id
    ), moved AS (
        UPDATE event_log_heads h SET last_seq = g.last_seq
        FROM g
        WHERE g.after_seq > 0 AND h.tenant_id = g.tenant_id AND h.external_customer_id = g.external_customer_id AND h.last_seq = g.after_seq
        RETURNING h.tenant_id, h.external_customer_id
    )
    SELECT * FROM made UNION ALL SELECT * FROM moved;
END
$$;

-- The conversion of an unpartitioned log (see above): partitions for its days, its rows, their ids and
-- each customer's head. The old table goes once everything is copied.
DO $convert$
BEGIN
    IF to_regclass('public.events_unpartitioned') IS NULL THEN
        RETURN;
    END IF;
    PERFORM events_ensure_partitions(ARRAY(SELECT DISTINCT date_trunc('day', event_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' FROM events_unpartitioned));
    INSERT INTO events (tenant_id, external_customer_id, customer_seq, event_id, event_name, source, event_time, properties, ingested_at)
    SELECT tenant_id, external_customer_id, customer_seq, event_id, event_name, source, event_time, properties, ingested_at
    FROM events_unpartitioned;
    INSERT INTO event_ids (tenant_id, event_id, external_customer_id, customer_seq, event_time, fingerprint)
    SELECT tenant_id, event_id, external_customer_id, customer_seq, event_time, fingerprint FROM events_unpartitioned;
    INSERT INTO event_log_heads (tenant_id, external_customer_id, last_seq)
    SELECT tenant_id, external_customer_id, max(customer_seq) FROM events_unpartitioned
    GROUP BY tenant_id, external_customer_id
    ON CONFLICT (tenant_id, external_customer_id) DO UPDATE SET last_seq = greatest(event_log_heads.last_seq, EXCLUDED.last_seq);
    DROP TABLE events_unpartitioned;
    RAISE NOTICE 'events: converted to a partitioned table';
END
$convert$;

-- Today's partition and the next three days', so that midnight needs no DDL on the write path (the
-- silo's EventLogMaintenance keeps making them ahead every hour).
SELECT events_ensure_partitions(ARRAY[now(), now() + interval '1 day', now() + interval '2 days', now() + interval '3 days']);

-- Idempotency-Key headers of ingestion requests (Stripe's convention): the first request with a key
-- fixes the request's hash and the time its server-made event ids are derived from; a retry with the
-- same key and the same request gets the same ids (so nothing is stored twice), a different request 409.
-- Kept at least Idempotency__KeyRetention (24 h); older rows are deleted and the key may be used anew.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    tenant_id        text NOT NULL,
    idempotency_key  text NOT NULL,
    request_hash     bytea NOT NULL,
    first_seen       timestamptz NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (tenant_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_first_seen ON idempotency_keys (first_seen);

-- COUNT_UNIQUE's distinct values, per customer and feature: the customer grain keeps only their count. A value is
-- its JSON text's SHA-256 (first 16 bytes), so a value of any length fits the index. Inserted with ON CONFLICT DO
-- NOTHING after the events that carry them are folded; the rows inserted are the values new to the customer. A
-- grain that starts counts them here after replaying the log's tail (whose values it inserts again, idempotently).
CREATE TABLE IF NOT EXISTS distinct_values (
    tenant_id             text NOT NULL,
    external_customer_id  text NOT NULL,
    feature_id            text NOT NULL,
    value_hash            bytea NOT NULL,
    CONSTRAINT distinct_values_pkey PRIMARY KEY (tenant_id, external_customer_id, feature_id, value_hash)
);
