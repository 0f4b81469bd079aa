-- OrleansConnect: reminders for Orleans' ADO.NET reminder table (queries ReadReminderRowsKey,
-- ReadReminderRowKey, ReadRangeRows1Key, ReadRangeRows2Key, UpsertReminderRowKey,
-- DeleteReminderRowKey, DeleteReminderRowsKey).
-- GrainHash holds Orleans' uniform hash as a signed integer; Orleans picks the range statement
-- itself (Rows1 when the range does not wrap around, Rows2 when it does).
-- Version is the reminder's etag; Period is in milliseconds.
BEGIN;
SELECT pg_advisory_xact_lock(727466010);

CREATE TABLE IF NOT EXISTS OrleansRemindersTable
(
    ServiceId    varchar(150) NOT NULL,
    GrainId      varchar(512) NOT NULL,
    ReminderName varchar(150) NOT NULL,
    StartTime    timestamptz  NOT NULL,
    Period       bigint       NOT NULL,
    GrainHash    integer      NOT NULL,
    Version      integer      NOT NULL,
    CONSTRAINT PK_OrleansRemindersTable PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

CREATE INDEX IF NOT EXISTS IX_OrleansRemindersTable_GrainHash ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadReminderRowsKey', $q$
SELECT r.GrainId, r.ReminderName, r.StartTime, r.Period, r.Version
FROM OrleansRemindersTable r
WHERE r.ServiceId = @ServiceId AND r.GrainId = @GrainId;
$q$),
('ReadReminderRowKey', $q$
SELECT r.GrainId, r.ReminderName, r.StartTime, r.Period, r.Version
FROM OrleansRemindersTable r
WHERE r.ServiceId = @ServiceId AND r.GrainId = @GrainId AND r.ReminderName = @ReminderName;
$q$),
('ReadRangeRows1Key', $q$
SELECT r.GrainId, r.ReminderName, r.StartTime, r.Period, r.Version
FROM OrleansRemindersTable r
WHERE r.ServiceId = @ServiceId AND r.GrainHash > @BeginHash AND r.GrainHash <= @EndHash;
$q$),
('ReadRangeRows2Key', $q$
SELECT r.GrainId, r.ReminderName, r.StartTime, r.Period, r.Version
FROM OrleansRemindersTable r
WHERE r.ServiceId = @ServiceId AND (r.GrainHash > @BeginHash OR r.GrainHash <= @EndHash);
$q$),
('UpsertReminderRowKey', $q$
INSERT INTO OrleansRemindersTable AS r (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT ON CONSTRAINT PK_OrleansRemindersTable DO UPDATE
SET StartTime = excluded.StartTime,
    Period = excluded.Period,
    GrainHash = excluded.GrainHash,
    Version = r.Version + 1
RETURNING r.Version AS Version;
$q$),
('DeleteReminderRowKey', $q$
WITH removed AS (
    DELETE FROM OrleansRemindersTable r
    WHERE r.ServiceId = @ServiceId AND r.GrainId = @GrainId AND r.ReminderName = @ReminderName
      AND r.Version = @Version
    RETURNING 1
)
SELECT count(*) > 0 AS Removed FROM removed;
$q$),
('DeleteReminderRowsKey', $q$
DELETE FROM OrleansRemindersTable WHERE ServiceId = @ServiceId;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

COMMIT;
