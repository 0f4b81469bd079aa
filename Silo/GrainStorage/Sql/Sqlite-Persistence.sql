-- OrleansConnect: grain state for Orleans' ADO.NET grain storage on SQLite (queries
-- WriteToStorageKey, ReadFromStorageKey, ClearStorageKey, DeleteStorageKey).
-- Same contract as the PostgreSQL script: JSON text in Payload (Orleans gives and takes bytes, so
-- the statements cast), Version as the etag, '' for a missing key extension.
-- A write is two statements of which at most one can match: the update needs the caller's version,
-- the insert needs the caller to have none. Each is atomic on its own.
BEGIN IMMEDIATE;

CREATE TABLE IF NOT EXISTS OrleansStorage
(
    ServiceId              TEXT    NOT NULL,
    GrainTypeString        TEXT    NOT NULL,
    GrainIdN0              INTEGER NOT NULL,
    GrainIdN1              INTEGER NOT NULL,
    GrainIdExtensionString TEXT    NOT NULL,
    GrainIdHash            INTEGER NOT NULL,
    GrainTypeHash          INTEGER NOT NULL,
    Payload                TEXT    NULL,
    Version                INTEGER NOT NULL,
    ModifiedOn             TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (ServiceId, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', '
SELECT CAST(s.Payload AS BLOB) AS PayloadBinary,
       s.Version AS Version
FROM OrleansStorage s
WHERE s.ServiceId = @ServiceId
  AND s.GrainTypeString = @GrainTypeString
  AND s.GrainIdN0 = @GrainIdN0
  AND s.GrainIdN1 = @GrainIdN1
  AND s.GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '''');
'),
('WriteToStorageKey', '
UPDATE OrleansStorage
SET Payload = CAST(@PayloadBinary AS TEXT),
    Version = Version + 1,
    ModifiedOn = strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now'')
WHERE ServiceId = @ServiceId
  AND GrainTypeString = @GrainTypeString
  AND GrainIdN0 = @GrainIdN0
  AND GrainIdN1 = @GrainIdN1
  AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '''')
  AND @GrainStateVersion IS NOT NULL
  AND Version = @GrainStateVersion
RETURNING Version AS NewGrainStateVersion;
INSERT INTO OrleansStorage (ServiceId, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString,
                            GrainIdHash, GrainTypeHash, Payload, Version)
SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, COALESCE(@GrainIdExtensionString, ''''),
       @GrainIdHash, @GrainTypeHash, CAST(@PayloadBinary AS TEXT), 1
WHERE @GrainStateVersion IS NULL
ON CONFLICT DO NOTHING
RETURNING Version AS NewGrainStateVersion;
'),
('ClearStorageKey', '
UPDATE OrleansStorage
SET Payload = NULL,
    Version = Version + 1,
    ModifiedOn = strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now'')
WHERE ServiceId = @ServiceId
  AND GrainTypeString = @GrainTypeString
  AND GrainIdN0 = @GrainIdN0
  AND GrainIdN1 = @GrainIdN1
  AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '''')
  AND Version = @GrainStateVersion
RETURNING Version AS NewGrainStateVersion;
'),
('DeleteStorageKey', '
DELETE FROM OrleansStorage
WHERE ServiceId = @ServiceId
  AND GrainTypeString = @GrainTypeString
  AND GrainIdN0 = @GrainIdN0
  AND GrainIdN1 = @GrainIdN1
  AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '''')
  AND Version = @GrainStateVersion
RETURNING Version + 1 AS NewGrainStateVersion;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

COMMIT;
