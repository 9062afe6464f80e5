-- A sync's records mostly come back as they were: the everyday sync read, mapped and prepared every record only to
-- find each occurrence unchanged (two thirds of the worker's time in an unchanged re-sync; ADR 0014). Each source
-- record now keeps a digest of what it was mapped from (its text, scope and the mapping's version: see
-- apps/server/src/sync/prepare.ts) and how many occurrences it gave. A record read again with the same digest is not
-- mapped: its present occurrences are marked seen, and that is confirmed only when they are as many as it gave
-- (otherwise it is mapped as before). NULL: not known, or the record had findings vulnsync could not use.
ALTER TABLE source_records ADD COLUMN digest text, ADD COLUMN record_rows smallint;
CREATE INDEX source_records_digest ON source_records (connection_id, digest) WHERE digest IS NOT NULL;
