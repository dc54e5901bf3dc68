import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change that can end or alter a signed-in principal is announced on one channel, from the
 * database itself: whichever code path (or script) deletes a session, changes a user or revokes a
 * desktop token, every instance's short-lived caches hear of it at commit. Payloads carry digests
 * and ids only, never a session id or token: `s:<sha-256 of the session id>`, `u:<user id>`, `t:<token sha-256>`.
 * A touch that only moves a session's expiry forward announces nothing.
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
        -- A touch only moves the expiry forward; a shortened expiry or other data is news.
        IF OLD.data IS DISTINCT FROM NEW.data OR OLD.user_id IS DISTINCT FROM NEW.user_id OR NEW.expires_at < OLD.expires_at THEN
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
    await runner.query(`
      CREATE TRIGGER desktop_tokens_notify AFTER UPDATE OR DELETE ON desktop_tokens
      FOR EACH ROW EXECUTE FUNCTION frontdoor_notify_desktop_token()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TRIGGER desktop_tokens_notify ON desktop_tokens`);
    await runner.query(`DROP FUNCTION frontdoor_notify_desktop_token()`);
    await runner.query(`DROP TRIGGER users_notify ON users`);
    await runner.query(`DROP FUNCTION frontdoor_notify_user()`);
    await runner.query(`DROP TRIGGER sessions_notify ON sessions`);
    await runner.query(`DROP FUNCTION frontdoor_notify_session()`);
  }
}
