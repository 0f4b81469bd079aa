-- OrleansConnect: the statement table Orleans' ADO.NET providers read at start (SQLite).
-- BEGIN IMMEDIATE takes the write lock up front, so installers in several processes queue up
-- (the connection's busy timeout makes them wait) instead of failing half way.
BEGIN IMMEDIATE;

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

COMMIT;
