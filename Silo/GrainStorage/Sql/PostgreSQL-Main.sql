-- OrleansConnect: the statement table Orleans' ADO.NET providers read at start.
-- Orleans asks for statements by name (QueryKey) and runs QueryText with its own parameters.
-- Safe to run any number of times, also from several silos at once: the advisory lock
-- serializes installers, and every object is created only when missing.
BEGIN;
SELECT pg_advisory_xact_lock(727466010);

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL,
    QueryText text        NOT NULL,
    CONSTRAINT PK_OrleansQuery PRIMARY KEY (QueryKey)
);

COMMIT;
