-- OrleansConnect: cluster membership for Orleans' ADO.NET clustering (queries
-- InsertMembershipVersionKey, InsertMembershipKey, UpdateMembershipKey, UpdateIAmAlivetimeKey,
-- MembershipReadRowKey, MembershipReadAllKey, GatewaysQueryKey, DeleteMembershipTableEntriesKey,
-- CleanupDefunctSiloEntriesKey).
-- Orleans' membership protocol needs one version counter per cluster (DeploymentId = ClusterId):
-- an insert or update of a silo row succeeds only when the caller saw the current version, and it
-- then raises the version, all or nothing. The two functions below lock the version row first, so
-- concurrent writers queue up and at most one of them wins per version.
BEGIN;
SELECT pg_advisory_xact_lock(727466010);

CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId varchar(150) NOT NULL,
    Timestamp    timestamptz  NOT NULL DEFAULT now(),
    Version      integer      NOT NULL DEFAULT 0,
    CONSTRAINT PK_OrleansMembershipVersionTable PRIMARY KEY (DeploymentId)
);

CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId varchar(150)  NOT NULL,
    Address      varchar(45)   NOT NULL,
    Port         integer       NOT NULL,
    Generation   integer       NOT NULL,
    SiloName     varchar(150)  NOT NULL,
    HostName     varchar(150)  NOT NULL,
    Status       integer       NOT NULL,
    ProxyPort    integer       NOT NULL,
    SuspectTimes text          NULL,
    StartTime    timestamptz   NOT NULL,
    IAmAliveTime timestamptz   NOT NULL,
    CONSTRAINT PK_OrleansMembershipTable PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT FK_OrleansMembershipTable_Version FOREIGN KEY (DeploymentId)
        REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

-- Returns 1 when the silo row was added and the version raised, 0 when the caller's version was stale
-- or the silo row already existed (then nothing changed).
CREATE OR REPLACE FUNCTION orleansconnect_membership_insert(
    p_deployment text, p_address text, p_port integer, p_generation integer,
    p_silo_name text, p_host_name text, p_status integer, p_proxy_port integer,
    p_start_time timestamptz, p_i_am_alive timestamptz, p_version integer)
RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
    seen integer;
BEGIN
    SELECT v.Version INTO seen FROM OrleansMembershipVersionTable v
    WHERE v.DeploymentId = p_deployment FOR UPDATE;
    IF seen IS NULL OR p_version IS NULL OR seen <> p_version THEN
        RETURN 0;
    END IF;
    INSERT INTO OrleansMembershipTable (DeploymentId, Address, Port, Generation, SiloName, HostName,
                                        Status, ProxyPort, StartTime, IAmAliveTime)
    VALUES (p_deployment, p_address, p_port, p_generation, p_silo_name, p_host_name,
            p_status, COALESCE(p_proxy_port, 0), p_start_time, p_i_am_alive)
    ON CONFLICT ON CONSTRAINT PK_OrleansMembershipTable DO NOTHING;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    UPDATE OrleansMembershipVersionTable SET Version = Version + 1, Timestamp = now()
    WHERE DeploymentId = p_deployment;
    RETURN 1;
END
$fn$;

-- Returns 1 when the silo row was changed and the version raised, 0 otherwise (nothing changed).
CREATE OR REPLACE FUNCTION orleansconnect_membership_update(
    p_deployment text, p_address text, p_port integer, p_generation integer,
    p_status integer, p_suspect_times text, p_i_am_alive timestamptz, p_version integer)
RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
    seen integer;
BEGIN
    SELECT v.Version INTO seen FROM OrleansMembershipVersionTable v
    WHERE v.DeploymentId = p_deployment FOR UPDATE;
    IF seen IS NULL OR p_version IS NULL OR seen <> p_version THEN
        RETURN 0;
    END IF;
    UPDATE OrleansMembershipTable
    SET Status = p_status, SuspectTimes = p_suspect_times, IAmAliveTime = p_i_am_alive
    WHERE DeploymentId = p_deployment AND Address = p_address AND Port = p_port AND Generation = p_generation;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    UPDATE OrleansMembershipVersionTable SET Version = Version + 1, Timestamp = now()
    WHERE DeploymentId = p_deployment;
    RETURN 1;
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('InsertMembershipVersionKey', $q$
WITH added AS (
    INSERT INTO OrleansMembershipVersionTable (DeploymentId) VALUES (@DeploymentId)
    ON CONFLICT ON CONSTRAINT PK_OrleansMembershipVersionTable DO NOTHING
    RETURNING 1
)
SELECT count(*)::integer AS Added FROM added;
$q$),
('InsertMembershipKey', $q$
SELECT orleansconnect_membership_insert(@DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
                                        @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS Done;
$q$),
('UpdateMembershipKey', $q$
SELECT orleansconnect_membership_update(@DeploymentId, @Address, @Port, @Generation, @Status,
                                        @SuspectTimes, @IAmAliveTime, @Version) AS Done;
$q$),
('UpdateIAmAlivetimeKey', $q$
UPDATE OrleansMembershipTable
SET IAmAliveTime = @IAmAliveTime
WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;
$q$),
('MembershipReadRowKey', $q$
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT JOIN OrleansMembershipTable m
       ON m.DeploymentId = v.DeploymentId
      AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
WHERE v.DeploymentId = @DeploymentId;
$q$),
('MembershipReadAllKey', $q$
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
WHERE v.DeploymentId = @DeploymentId;
$q$),
('GatewaysQueryKey', $q$
SELECT m.Address, m.ProxyPort, m.Generation
FROM OrleansMembershipTable m
WHERE m.DeploymentId = @DeploymentId AND m.Status = @Status AND m.ProxyPort > 0;
$q$),
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
$q$),
-- Status 6 is SiloStatus.Dead: only dead silos that stopped reporting before the cut-off go.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND IAmAliveTime < @IAmAliveTime AND Status = 6;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

COMMIT;
