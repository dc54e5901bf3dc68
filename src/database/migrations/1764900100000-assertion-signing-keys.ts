import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Forward auth's assertion keys, shared by every instance so each signs only with published keys. */
export class AssertionSigningKeys1764900100000 implements MigrationInterface {
  name = 'AssertionSigningKeys1764900100000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE assertion_signing_keys (
        kid varchar(64) PRIMARY KEY,
        private_jwk jsonb NOT NULL,
        public_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        active_from timestamptz NOT NULL,
        published_until timestamptz NOT NULL
      )`);
    await runner.query(`CREATE INDEX assertion_signing_keys_published_until_idx ON assertion_signing_keys (published_until)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE assertion_signing_keys`);
  }
}
