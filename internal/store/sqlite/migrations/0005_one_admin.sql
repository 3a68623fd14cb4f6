-- At most one unrevoked admin credential. forge server bootstraps the admin
-- credential with a check-then-insert; this index makes the insert of a
-- second valid one fail (a conflict) when several servers start at once on
-- one database. Credentials such a race left valid before this migration
-- are revoked, keeping the newest (what --reset-admin would keep).
UPDATE admin_credentials
    SET revoked_at = (SELECT MAX(n.created_at) FROM admin_credentials n WHERE n.revoked_at IS NULL)
    WHERE revoked_at IS NULL
      AND id <> (SELECT k.id FROM admin_credentials k WHERE k.revoked_at IS NULL
                 ORDER BY k.created_at DESC, k.id DESC LIMIT 1);
CREATE UNIQUE INDEX admin_credentials_one_valid
    ON admin_credentials ((revoked_at IS NULL)) WHERE revoked_at IS NULL;
