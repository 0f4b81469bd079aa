-- OrleansConnect: grain state for Orleans' ADO.NET grain storage (queries WriteToStorageKey,
-- ReadFromStorageKey, ClearStorageKey, DeleteStorageKey).
-- The state is kept as JSON text in Payload so it can be read with plain SQL; Orleans hands the
-- serialized state over as bytes (@PayloadBinary) and expects bytes back, so the statements convert.
-- Version is the etag: every write or clear adds one, and a statement whose @GrainStateVersion does
-- not match the stored one changes nothing, which Orleans turns into InconsistentStateException.
-- A missing key extension is stored as '' because NULLs never collide in a primary key.
BEGIN;
SELECT pg_advisory_xact_lock(727466010);

CREATE TABLE IF NOT EXISTS OrleansStorage
(
    ServiceId              varchar(150) NOT NULL,
    GrainTypeString        varchar(512) NOT NULL,
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainIdExtensionString varchar(512) NOT NULL,
    GrainIdHash            integer      NOT NULL,
    GrainTypeHash          integer      NOT NULL,
    Payload                text         NULL,
    Version                integer      NOT NULL,
    ModifiedOn             timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT PK_OrleansStorage PRIMARY KEY (ServiceId, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', $q$
SELECT convert_to(s.Payload, 'UTF8') AS PayloadBinary,
       s.Version AS Version
FROM OrleansStorage s
WHERE s.ServiceId = @ServiceId
  AND s.GrainTypeString = @GrainTypeString
  AND s.GrainIdN0 = @GrainIdN0
  AND s.GrainIdN1 = @GrainIdN1
  AND s.GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '')
$q$),
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE OrleansStorage s
    SET Payload = convert_from(@PayloadBinary, 'UTF8'),
        Version = s.Version + 1,
        ModifiedOn = now()
    WHERE s.ServiceId = @ServiceId
      AND s.GrainTypeString = @GrainTypeString
      AND s.GrainIdN0 = @GrainIdN0
      AND s.GrainIdN1 = @GrainIdN1
      AND s.GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '')
      AND @GrainStateVersion IS NOT NULL
      AND s.Version = @GrainStateVersion
    RETURNING s.Version
), inserted AS (
    INSERT INTO OrleansStorage (ServiceId, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString,
                                GrainIdHash, GrainTypeHash, Payload, Version)
    SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, COALESCE(@GrainIdExtensionString, ''),
           @GrainIdHash, @GrainTypeHash, convert_from(@PayloadBinary, 'UTF8'), 1
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT ON CONSTRAINT PK_OrleansStorage DO NOTHING
    RETURNING Version
)
SELECT Version AS NewGrainStateVersion FROM updated
UNION ALL
SELECT Version FROM inserted;
$q$),
('ClearStorageKey', $q$
UPDATE OrleansStorage s
SET Payload = NULL,
    Version = s.Version + 1,
    ModifiedOn = now()
WHERE s.ServiceId = @ServiceId
  AND s.GrainTypeString = @GrainTypeString
  AND s.GrainIdN0 = @GrainIdN0
  AND s.GrainIdN1 = @GrainIdN1
  AND s.GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '')
  AND s.Version = @GrainStateVersion
RETURNING s.Version AS NewGrainStateVersion;
$q$),
-- Used when DeleteStateOnClear is on: the row goes, and the answer is the version it would have had next.
('DeleteStorageKey', $q$
DELETE FROM OrleansStorage s
WHERE s.ServiceId = @ServiceId
  AND s.GrainTypeString = @GrainTypeString
  AND s.GrainIdN0 = @GrainIdN0
  AND s.GrainIdN1 = @GrainIdN1
  AND s.GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '')
  AND s.Version = @GrainStateVersion
RETURNING s.Version + 1 AS NewGrainStateVersion;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

COMMIT;
