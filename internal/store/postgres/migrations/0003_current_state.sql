-- The state of an extension's current version, kept on the extension row
-- (in the same transaction as every version transition) so that listing
-- extensions reads one table. Backfilled from the versions.
ALTER TABLE extensions ADD COLUMN current_state TEXT NOT NULL DEFAULT '';
UPDATE extensions SET current_state = COALESCE((
    SELECT v.state FROM extension_versions v
    WHERE v.workspace_id = extensions.workspace_id
      AND v.extension_id = extensions.id
      AND v.version = extensions.current_version), '');
