-- scripts/bench --log-rows N: an event log of N rows before the measurement, generated inside
-- PostgreSQL (no HTTP, no grains), consistent as the silo would have written it: each row in the
-- partition of its day (the last :days days, made here), its idempotency key in event_ids, each
-- customer's last position in event_log_heads, positions dense from 1. A tenant of its own
-- (bench_prefill), so the measured tenants' usage stays exact. Chunks of :chunk rows, one transaction
-- each (progress is printed; WAL and dirty pages drain between them); then VACUUM ANALYZE, so the
-- measurement starts from a log in its steady state rather than inside its first autovacuum.
--
--   psql -v rows=20000000 -v days=30 -v customers=100000 -v chunk=1000000 -f scripts/lib/prefill-log.sql

\set ON_ERROR_STOP on
SET synchronous_commit = off;
SELECT events_ensure_partitions(ARRAY(SELECT now() - d * interval '1 day' FROM generate_series(0, :days) d)) IS NOT NULL AS partitions_made \gset


-- Row g (0 to rows - 1): customer g % customers, position g / customers + 1 (dense per customer),
-- time spread evenly over the last :days days in the order of g (so each chunk fills one or two
-- partitions, as a day of real traffic does). Skipped when the tenant has rows already.
CREATE OR REPLACE PROCEDURE pg_temp.prefill(total bigint, days int, customers int, chunk bigint)
LANGUAGE plpgsql AS $$
DECLARE
    first bigint := 0;
BEGIN
    IF EXISTS (SELECT 1 FROM event_log_heads WHERE tenant_id = 'bench_prefill') THEN
        RAISE NOTICE '[bench] the event log has prefilled rows already: none added';
        RETURN;
    END IF;
    WHILE first < total LOOP
        WITH r AS (
            SELECT 'c' || (g % customers) AS customer, g / customers + 1 AS seq,
                   'pf' || lpad(g::text, 11, '0') AS event_id,
                   now() - make_interval(secs => (days * 86400.0) * (1 - g::float8 / total)) AS t, g
            FROM generate_series(first, least(first + chunk, total) - 1) g
        ), ids AS (
            INSERT INTO event_ids (tenant_id, event_id, external_customer_id, customer_seq, event_time, fingerprint)
            SELECT 'bench_prefill', event_id, customer, seq, t, sha256(event_id::bytea) FROM r
        )
        INSERT INTO events (tenant_id, external_customer_id, customer_seq, event_id, event_name, source, event_time, properties, ingested_at)
        SELECT 'bench_prefill', customer, seq, event_id, 'bench.f' || (g % 5), NULL, t, json_build_object('credits', g % 100 + 1), t FROM r;
        first := least(first + chunk, total);
        COMMIT;
        RAISE NOTICE '[bench]   % of % rows (%)', first, total, clock_timestamp()::time(0);
    END LOOP;
    INSERT INTO event_log_heads (tenant_id, external_customer_id, last_seq)
    SELECT 'bench_prefill', 'c' || c, (total - 1 - c) / customers + 1
    FROM generate_series(0, least(customers, total) - 1) c;
    COMMIT;
END
$$;

\echo [bench] prefilling the event log with :rows rows over the last :days days, :customers customers
CALL pg_temp.prefill(:rows, :days, :customers, :chunk);

\echo [bench] VACUUM ANALYZE of the log
VACUUM ANALYZE event_ids;
VACUUM ANALYZE event_log_heads;
VACUUM ANALYZE events;
CHECKPOINT;
SELECT count(*) AS events_rows FROM events \gset
\echo [bench] the event log holds :events_rows rows
