import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainException } from '../src/common/domain.exception.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { UsersModule } from '../src/users/users.module.js';
import { UsersService } from '../src/users/users.service.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

/** The last-admin rule on the real database, without HTTP: concurrent changes are where it can break. */
describe('UsersService: the last active admin under concurrent changes', () => {
  let db: TestDatabase;
  let moduleRef: INestApplicationContext;
  let users: UsersService;

  beforeAll(async () => {
    db = await createTestDatabase();
    @Module({ imports: [TypeOrmModule.forRoot(dataSourceOptions(db.url)), UsersModule] })
    class UsersOnDatabase {}
    moduleRef = await NestFactory.createApplicationContext(UsersOnDatabase, { logger: ['fatal', 'error'] });
    users = moduleRef.get(UsersService);
  });
  afterAll(async () => {
    await moduleRef?.close();
    await db?.drop();
  });

  it.each([
    ['deactivated', { active: false }],
    ['demoted', { roles: ['developer' as const] }],
  ])('lets all admins but one be %s when every one is changed at the same moment', async (label, change) => {
    const admins = await Promise.all(Array.from({ length: 6 }, (_, i) => users.create({ email: `${label}.admin.${i}@example.com`, roles: ['admin'] })));
    await db.query(`UPDATE users SET active = false WHERE NOT (id = ANY($1))`, [admins.map((admin) => admin.id)]);
    const results = await Promise.allSettled(admins.map((admin) => users.update(admin.id, change)));
    const refused = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(refused[0].reason).toBeInstanceOf(DomainException);
    expect((refused[0].reason as DomainException).code).toBe('last_admin');
    expect(await db.query(`SELECT id FROM users WHERE active AND 'admin' = ANY(roles)`)).toHaveLength(1);
  });
});
