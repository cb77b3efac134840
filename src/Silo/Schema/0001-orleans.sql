-- Flexprice's own PostgreSQL schema for Orleans' ADO.NET providers (10.4.2):
-- grain storage (Microsoft.Orleans.Persistence.AdoNet) and clustering
-- (Microsoft.Orleans.Clustering.AdoNet). See /work/shared/ORLEANS-ADONET-CONTRACT.md.
--
-- Applied at every start under an advisory lock, so every statement is idempotent.
-- Query texts are upserted, so edits here take effect on the next process start.
--
-- Names are unquoted lowercase: the providers bootstrap with an unquoted
-- "SELECT QueryKey, QueryText FROM OrleansQuery", and result columns are matched
-- case-insensitively, so lowercase columns satisfy "Version", "PayloadBinary", etc.
-- Query texts avoid "::" casts because they are parsed by Npgsql for @placeholders.

-- ---------------------------------------------------------------------------
-- Query catalog
-- ---------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey  text PRIMARY KEY,
    querytext text NOT NULL
);

-- ---------------------------------------------------------------------------
-- Grain storage
-- ---------------------------------------------------------------------------
-- One row per (service, state name, grain key). The hashes are stored for
-- diagnostics only; every query matches on the natural key.
-- payloadbinary is NULL after a clear; version only ever grows while the row lives.
CREATE TABLE IF NOT EXISTS orleansstorage
(
    serviceid              text        NOT NULL,
    graintypestring        text        NOT NULL,
    grainidn0              bigint      NOT NULL,
    grainidn1              bigint      NOT NULL,
    grainidextensionstring text        NULL,
    grainidhash            integer     NOT NULL,
    graintypehash          integer     NOT NULL,
    payloadbinary          bytea       NULL,
    version                integer     NOT NULL CHECK (version >= 0),
    modifiedon             timestamptz NOT NULL DEFAULT now()
);

-- The natural key, NULL extension included (PostgreSQL 15+). It makes concurrent
-- first writes safe: exactly one insert wins, the others see a conflict.
CREATE UNIQUE INDEX IF NOT EXISTS orleansstorage_natural_key
    ON orleansstorage (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring)
    NULLS NOT DISTINCT;

-- ---------------------------------------------------------------------------
-- Clustering (membership)
-- ---------------------------------------------------------------------------
-- One row per cluster (DeploymentId = ClusterOptions.ClusterId) carrying the table
-- version used for optimistic concurrency. It starts at 0 and never passes int32 max.
CREATE TABLE IF NOT EXISTS orleansmembershipversion
(
    deploymentid text        PRIMARY KEY,
    version      integer     NOT NULL DEFAULT 0 CHECK (version >= 0),
    updatedon    timestamptz NOT NULL DEFAULT now()
);

-- One row per silo incarnation. Status: 0 None, 1 Created, 2 Joining, 3 Active,
-- 4 ShuttingDown, 5 Stopping, 6 Dead. proxyport 0 = not a gateway.
-- suspecttimes is the provider's verbatim "addr@gen,time|..." text.
CREATE TABLE IF NOT EXISTS orleansmembership
(
    deploymentid text        NOT NULL REFERENCES orleansmembershipversion (deploymentid) ON DELETE CASCADE,
    address      text        NOT NULL,
    port         integer     NOT NULL,
    generation   integer     NOT NULL,
    siloname     text        NOT NULL,
    hostname     text        NOT NULL,
    status       integer     NOT NULL,
    proxyport    integer     NOT NULL DEFAULT 0 CHECK (proxyport >= 0),
    suspecttimes text        NULL,
    starttime    timestamptz NOT NULL,
    iamalivetime timestamptz NOT NULL,
    PRIMARY KEY (deploymentid, address, port, generation)
);

-- The concurrency rule of every membership write: locks the deployment's version row when its
-- version still equals p_version (and can still be bumped within int32); false otherwise. The
-- caller's later statements then see every write committed before the lock was granted.
CREATE OR REPLACE FUNCTION orleans_membership_lock_version(p_deploymentid text, p_version integer)
    RETURNS boolean
    LANGUAGE plpgsql
AS
$$
BEGIN
    PERFORM 1
    FROM orleansmembershipversion
    WHERE deploymentid = p_deploymentid
      AND version = p_version
      AND version < 2147483647
        FOR UPDATE;
    RETURN FOUND;
END;
$$;

-- Inserts a silo row and bumps the cluster's table version, atomically, only when the
-- stored version still equals p_version and the silo row does not exist yet. Returns
-- false, changing nothing, otherwise (also when the version would pass int32 max).
-- PL/pgSQL so that the version row is locked *before* the silo row is examined: each
-- statement below takes a fresh READ COMMITTED snapshot after the lock is held.
CREATE OR REPLACE FUNCTION orleans_membership_insert(
    p_deploymentid text, p_address text, p_port integer, p_generation integer,
    p_siloname text, p_hostname text, p_status integer, p_proxyport integer,
    p_starttime timestamptz, p_iamalivetime timestamptz, p_version integer)
    RETURNS boolean
    LANGUAGE plpgsql
AS
$$
BEGIN
    IF NOT orleans_membership_lock_version(p_deploymentid, p_version) THEN
        RETURN false;
    END IF;

    INSERT INTO orleansmembership
        (deploymentid, address, port, generation, siloname, hostname, status, proxyport,
         suspecttimes, starttime, iamalivetime)
    VALUES (p_deploymentid, p_address, p_port, p_generation, p_siloname, p_hostname, p_status,
            coalesce(p_proxyport, 0), NULL, p_starttime, p_iamalivetime)
    ON CONFLICT (deploymentid, address, port, generation) DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleansmembershipversion
    SET version = version + 1, updatedon = now()
    WHERE deploymentid = p_deploymentid;
    RETURN true;
END;
$$;

-- Updates a silo row's Status, SuspectTimes and IAmAliveTime and bumps the table version,
-- atomically, only when the stored version still equals p_version and the row exists.
CREATE OR REPLACE FUNCTION orleans_membership_update(
    p_deploymentid text, p_address text, p_port integer, p_generation integer,
    p_status integer, p_suspecttimes text, p_iamalivetime timestamptz, p_version integer)
    RETURNS boolean
    LANGUAGE plpgsql
AS
$$
BEGIN
    IF NOT orleans_membership_lock_version(p_deploymentid, p_version) THEN
        RETURN false;
    END IF;

    UPDATE orleansmembership
    SET status = p_status, suspecttimes = p_suspecttimes, iamalivetime = p_iamalivetime
    WHERE deploymentid = p_deploymentid
      AND address = p_address
      AND port = p_port
      AND generation = p_generation;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleansmembershipversion
    SET version = version + 1, updatedon = now()
    WHERE deploymentid = p_deploymentid;
    RETURN true;
END;
$$;

-- ---------------------------------------------------------------------------
-- Query texts
-- ---------------------------------------------------------------------------
INSERT INTO orleansquery (querykey, querytext)
VALUES
-- Grain storage. The extension predicate is written as "= or both NULL" rather than
-- IS NOT DISTINCT FROM, so the unique index serves both cases.
('ReadFromStorageKey', $q$
SELECT payloadbinary AS PayloadBinary, version AS Version
FROM orleansstorage
WHERE serviceid = @ServiceId
  AND graintypestring = @GrainTypeString
  AND grainidn0 = @GrainIdN0
  AND grainidn1 = @GrainIdN1
  AND (grainidextensionstring = @GrainIdExtensionString
       OR (@GrainIdExtensionString IS NULL AND grainidextensionstring IS NULL));
$q$),

-- First write (no ETag): insert version 1 unless any row exists. Later writes: replace the
-- payload where the version still matches. No row back = conflict for the provider.
('WriteToStorageKey', $q$
WITH inserted AS (
    INSERT INTO orleansstorage
        (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring,
         grainidhash, graintypehash, payloadbinary, version, modifiedon)
    SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString,
           @GrainIdHash, @GrainTypeHash, @PayloadBinary, 1, now()
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring) DO NOTHING
    RETURNING version
), updated AS (
    UPDATE orleansstorage
    SET payloadbinary = @PayloadBinary, version = version + 1, modifiedon = now()
    WHERE @GrainStateVersion IS NOT NULL
      AND serviceid = @ServiceId
      AND graintypestring = @GrainTypeString
      AND grainidn0 = @GrainIdN0
      AND grainidn1 = @GrainIdN1
      AND (grainidextensionstring = @GrainIdExtensionString
           OR (@GrainIdExtensionString IS NULL AND grainidextensionstring IS NULL))
      AND version = @GrainStateVersion
    RETURNING version
)
SELECT version AS NewGrainStateVersion FROM inserted
UNION ALL
SELECT version FROM updated;
$q$),

-- Clear keeps the row: NULL payload, version + 1.
('ClearStorageKey', $q$
UPDATE orleansstorage
SET payloadbinary = NULL, version = version + 1, modifiedon = now()
WHERE serviceid = @ServiceId
  AND graintypestring = @GrainTypeString
  AND grainidn0 = @GrainIdN0
  AND grainidn1 = @GrainIdN1
  AND (grainidextensionstring = @GrainIdExtensionString
       OR (@GrainIdExtensionString IS NULL AND grainidextensionstring IS NULL))
  AND version = @GrainStateVersion
RETURNING version AS NewGrainStateVersion;
$q$),

-- Used instead of clear when DeleteStateOnClear = true: removes the row and returns a
-- value different from the ETag sent (widened so it cannot overflow).
('DeleteStorageKey', $q$
DELETE FROM orleansstorage
WHERE serviceid = @ServiceId
  AND graintypestring = @GrainTypeString
  AND grainidn0 = @GrainIdN0
  AND grainidn1 = @GrainIdN1
  AND (grainidextensionstring = @GrainIdExtensionString
       OR (@GrainIdExtensionString IS NULL AND grainidextensionstring IS NULL))
  AND version = @GrainStateVersion
RETURNING CAST(version AS bigint) + 1 AS NewGrainStateVersion;
$q$),

-- Clustering. Every silo calls this at startup; exactly one row, true when created.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO orleansmembershipversion (deploymentid, version, updatedon)
    VALUES (@DeploymentId, 0, now())
    ON CONFLICT (deploymentid) DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM created);
$q$),

-- One snapshot: one row per silo, each with the table version; with no silos, a single
-- placeholder row whose starttime is NULL. No version row = no rows.
('MembershipReadAllKey', $q$
SELECT v.version AS Version,
       m.address AS Address, m.port AS Port, m.generation AS Generation,
       m.siloname AS SiloName, m.hostname AS HostName, m.status AS Status,
       m.proxyport AS ProxyPort, m.suspecttimes AS SuspectTimes,
       m.starttime AS StartTime, m.iamalivetime AS IAmAliveTime
FROM orleansmembershipversion v
LEFT JOIN orleansmembership m ON m.deploymentid = v.deploymentid
WHERE v.deploymentid = @DeploymentId;
$q$),

('MembershipReadRowKey', $q$
SELECT v.version AS Version,
       m.address AS Address, m.port AS Port, m.generation AS Generation,
       m.siloname AS SiloName, m.hostname AS HostName, m.status AS Status,
       m.proxyport AS ProxyPort, m.suspecttimes AS SuspectTimes,
       m.starttime AS StartTime, m.iamalivetime AS IAmAliveTime
FROM orleansmembershipversion v
LEFT JOIN orleansmembership m
       ON m.deploymentid = v.deploymentid
      AND m.address = @Address
      AND m.port = @Port
      AND m.generation = @Generation
WHERE v.deploymentid = @DeploymentId;
$q$),

('InsertMembershipKey', $q$
SELECT orleans_membership_insert(
    @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
    @StartTime, @IAmAliveTime, @Version);
$q$),

('UpdateMembershipKey', $q$
SELECT orleans_membership_update(
    @DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes, @IAmAliveTime, @Version);
$q$),

-- Heartbeat: no version check or bump; never moves the time backwards.
('UpdateIAmAlivetimeKey', $q$
UPDATE orleansmembership
SET iamalivetime = greatest(iamalivetime, @IAmAliveTime)
WHERE deploymentid = @DeploymentId
  AND address = @Address
  AND port = @Port
  AND generation = @Generation;
$q$),

('GatewaysQueryKey', $q$
SELECT address AS Address, proxyport AS ProxyPort, generation AS Generation
FROM orleansmembership
WHERE deploymentid = @DeploymentId
  AND status = @Status
  AND proxyport > 0;
$q$),

-- Tests and tools only: the silo rows go with the version row (ON DELETE CASCADE).
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleansmembershipversion
WHERE deploymentid = @DeploymentId;
$q$),

-- Only Dead rows whose start and last heartbeat both precede the cutoff; no version bump.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleansmembership
WHERE deploymentid = @DeploymentId
  AND status = 6
  AND iamalivetime < @IAmAliveTime
  AND starttime < @IAmAliveTime;
$q$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
