import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change that can end or alter a signed-in principal is announced on one channel, from the
 * database itself: whichever code path (or script) deletes a session, changes a user or revokes a
 * desktop token, every instance's short-lived caches hear of it at commit. Payloads carry digests
 * and ids only, never a session id or token: `s:<sha-256 of the session id>`, `u:<user id>`, `t:<token sha-256>`.
 * Bookkeeping writes announce nothing: a session's expiry moving forward and its last-seen time, a
 * desktop token's last_used_at.
 */
export class RevocationNotify1765000100000 implements MigrationInterface {
  name = 'RevocationNotify1765000100000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE FUNCTION frontdoor_notify_session() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          PERFORM pg_notify('frontdoor_revocations', 's:' || encode(sha256(convert_to(OLD.sid, 'UTF8')), 'hex'));
          RETURN OLD;
        END IF;
        -- A touch or the once-a-minute rewrite of an active session only moves its expiry forward and
        -- notes when it was last seen (the cookie's own expiry is in data too): not news. A shortened
        -- expiry, another user or any other data is.
        IF (OLD.data - 'cookie' - 'lastSeenAt') IS DISTINCT FROM (NEW.data - 'cookie' - 'lastSeenAt')
           OR OLD.user_id IS DISTINCT FROM NEW.user_id OR NEW.expires_at < OLD.expires_at THEN
          PERFORM pg_notify('frontdoor_revocations', 's:' || encode(sha256(convert_to(OLD.sid, 'UTF8')), 'hex'));
        END IF;
        RETURN NEW;
      END $$`);
    await runner.query(`
      CREATE TRIGGER sessions_notify AFTER UPDATE OR DELETE ON sessions
      FOR EACH ROW EXECUTE FUNCTION frontdoor_notify_session()`);
    await runner.query(`
      CREATE FUNCTION frontdoor_notify_user() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('frontdoor_revocations', 'u:' || OLD.id);
        RETURN NULL;
      END $$`);
    await runner.query(`
      CREATE TRIGGER users_notify AFTER UPDATE OR DELETE ON users
      FOR EACH ROW EXECUTE FUNCTION frontdoor_notify_user()`);
    await runner.query(`
      CREATE FUNCTION frontdoor_notify_desktop_token() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('frontdoor_revocations', 't:' || OLD.token_hash);
        RETURN NULL;
      END $$`);
    // Writing last_used_at (once a minute per token in use) is bookkeeping, not news.
    await runner.query(`
      CREATE TRIGGER desktop_tokens_notify_delete AFTER DELETE ON desktop_tokens
      FOR EACH ROW EXECUTE FUNCTION frontdoor_notify_desktop_token()`);
    await runner.query(`
      CREATE TRIGGER desktop_tokens_notify_update AFTER UPDATE ON desktop_tokens
      FOR EACH ROW WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
      EXECUTE FUNCTION frontdoor_notify_desktop_token()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TRIGGER desktop_tokens_notify_update ON desktop_tokens`);
    await runner.query(`DROP TRIGGER desktop_tokens_notify_delete ON desktop_tokens`);
    await runner.query(`DROP FUNCTION frontdoor_notify_desktop_token()`);
    await runner.query(`DROP TRIGGER users_notify ON users`);
    await runner.query(`DROP FUNCTION frontdoor_notify_user()`);
    await runner.query(`DROP TRIGGER sessions_notify ON sessions`);
    await runner.query(`DROP FUNCTION frontdoor_notify_session()`);
  }
}
