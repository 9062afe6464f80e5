-- Images and artifacts are assets in their own right: their issues are in the queue whether or not a source
-- repository is known (the repository, when matched, is context). An image's tag or an artifact's version is not part
-- of the issue's key; the issue lists the versions that still contain the vulnerability.

-- the artifact version or image tag the occurrence was found in (null for repositories)
ALTER TABLE occurrences ADD COLUMN target_version text;
-- the target versions whose occurrences are present (all of them once none is), sorted
ALTER TABLE issues ADD COLUMN target_versions jsonb NOT NULL DEFAULT '[]';

-- the findings that wait for a repository match (no issue yet), counted per connection for the Hub and the queue
CREATE INDEX occurrences_waiting ON occurrences (connection_id) WHERE issue_id IS NULL AND state = 'present';
