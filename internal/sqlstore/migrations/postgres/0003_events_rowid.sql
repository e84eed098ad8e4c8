-- 0003_events_rowid: on SQLite, events lose the index on id (see
-- migrations/sqlite/0003_events_rowid.sql). PostgreSQL keeps its primary
-- key: there an index insert costs little beside the commit's round trip
-- to the server, and the table keeps the key that replication needs.
SELECT 1;
