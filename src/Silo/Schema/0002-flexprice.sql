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

-- The append-only event log, the truth behind every usage figure. The unique key is the
-- idempotency key; the primary key orders each customer's log (positions chosen by the
-- customer grain, so a second writer of one position is refused).
CREATE TABLE IF NOT EXISTS events (
    tenant_id             text NOT NULL,
    external_customer_id  text NOT NULL,
    customer_seq          bigint NOT NULL,
    event_id              text NOT NULL,
    event_name            text NOT NULL,
    customer_id           text,
    source                text,
    event_time            timestamptz NOT NULL,
    properties            json NOT NULL,
    fingerprint           bytea NOT NULL,
    ingested_at           timestamptz NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (tenant_id, external_customer_id, customer_seq),
    CONSTRAINT events_idempotency_key UNIQUE (tenant_id, external_customer_id, event_id)
);

-- Usage queries read one customer's (or the tenant's) events of one name in a time range;
-- the event debugger lists a tenant's events newest first.
-- A customer grain loads its recent events (any name) when it first answers a usage query.
CREATE INDEX IF NOT EXISTS events_customer_time ON events (tenant_id, external_customer_id, event_time);
CREATE INDEX IF NOT EXISTS events_customer_name_time ON events (tenant_id, external_customer_id, event_name, event_time);
CREATE INDEX IF NOT EXISTS events_tenant_time_id ON events (tenant_id, event_time, event_id, external_customer_id);
CREATE INDEX IF NOT EXISTS events_tenant_event_id ON events (tenant_id, event_id);

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
