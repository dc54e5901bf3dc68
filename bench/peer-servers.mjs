// The two routes our guarded console page is compared with, each in its own process so that it
// gets a core of its own like the service does:
//   node bench/peer-servers.mjs peer   express-openid-connect 3.4 (encrypted-cookie sessions) protecting the page
//   node bench/peer-servers.mjs bare   a bare NestJS route serving the same page, no authentication at all
//                                      (and bare twins of /healthz and /api/desktop/me's JSON)
//   node bench/peer-servers.mjs rows   a bare NestJS app whose routes insert (POST /rows) or read
//                                      (GET /rows/:name) one row through TypeORM, on DATABASE_URL:
//                                      the floor for a request that writes or reads one row
// Both render the page with the service's own HTML helpers, so every server sends the same bytes of work.
// Prints "listening <port>" on stdout once it answers.
import 'reflect-metadata';
import { page, html } from '../dist/common/html.js';

const [mode] = process.argv.slice(2);
// A normal exit on SIGTERM, so that a --cpu-prof profile gets written.
process.on('SIGTERM', () => process.exit(0));
const port = Number(process.env.PORT);

/** The Service Center page as the service renders it for a signed-in developer. */
function consolePage(user, originalUrl) {
  return page({
    title: 'Service Center',
    header: html`<span>${user.displayName} &lt;${user.email}&gt;
    <form class="inline" method="post" action="/auth/logout"><button type="submit" class="secondary">Log out</button></form></span>`,
    body: html`<h1>Service Center</h1>
        <p>Manage and monitor this environment.</p>
        <dl>
          <dt>Signed in as</dt><dd id="signed-in-user">${user.displayName}</dd>
          <dt>Email</dt><dd>${user.email}</dd>
          <dt>Roles</dt><dd>${user.roles.join(', ')}</dd>
          <dt>Page</dt><dd><code>${originalUrl}</code></dd>
        </dl>`,
  });
}

if (mode === 'peer') {
  const { default: express } = await import('express');
  const { auth } = await import('express-openid-connect');
  const app = express();
  app.disable('x-powered-by');
  app.use(
    auth({
      issuerBaseURL: process.env.ISSUER,
      baseURL: process.env.PUBLIC_URL,
      clientID: process.env.CLIENT_ID,
      clientSecret: process.env.CLIENT_SECRET,
      clientAuthMethod: 'client_secret_post',
      secret: process.env.COOKIE_SECRET,
      authRequired: true,
      idpLogout: false,
      authorizationParams: { response_type: 'code', response_mode: 'query', scope: 'openid profile email' },
      httpTimeout: 5000,
    }),
  );
  app.get('/servicecenter', (req, res) => {
    const claims = req.oidc.user;
    res.type('html').send(consolePage({ displayName: claims.name ?? claims.email, email: claims.email, roles: ['developer'] }, req.originalUrl));
  });
  app.listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
} else if (mode === 'bare') {
  const { Controller, Get, Module, Req } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const user = { displayName: 'Dev Eloper', email: 'dev@example.com', roles: ['developer'] };
  const me = { id: '00000000-0000-4000-8000-000000000000', email: user.email, displayName: user.displayName };
  class PageController {
    show(req) {
      return consolePage(user, req.originalUrl);
    }
    health() {
      return { status: 'ok' };
    }
    me() {
      return me;
    }
  }
  // Decorators applied by hand: this file is plain JavaScript.
  const route = (path, method) => Reflect.decorate([Get(path)], PageController.prototype, method, Object.getOwnPropertyDescriptor(PageController.prototype, method));
  route('servicecenter', 'show');
  route('healthz', 'health');
  route('me', 'me');
  Req()(PageController.prototype, 'show', 0);
  const BarePageController = Reflect.decorate([Controller()], PageController);
  class BareModule {}
  const App = Reflect.decorate([Module({ controllers: [BarePageController] })], BareModule);
  const app = await NestFactory.create(App, { logger: ['error'] });
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  await app.listen(port, '127.0.0.1');
  console.log(`listening ${port}`);
} else if (mode === 'rows') {
  const { Body, Controller, Get, HttpCode, Module, NotFoundException, Param, Post } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { DataSource, EntitySchema } = await import('typeorm');
  const Row = new EntitySchema({
    name: 'BenchRow',
    tableName: 'bench_rows',
    columns: {
      id: { type: 'uuid', primary: true, generated: 'uuid' },
      name: { type: 'varchar', length: 320, unique: true },
      createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
    },
  });
  // The service's own pool size, so both sides may keep as many statements in flight.
  const dataSource = new DataSource({ type: 'postgres', url: process.env.DATABASE_URL, entities: [Row], synchronize: true, extra: { max: 20 } });
  await dataSource.initialize();
  const rows = dataSource.getRepository(Row);
  class RowsController {
    async create(body) {
      return rows.save(rows.create({ name: String(body.name) }));
    }
    async read(name) {
      const row = await rows.findOneBy({ name });
      if (!row) throw new NotFoundException();
      return row;
    }
  }
  const decorate = (decorators, method) => Reflect.decorate(decorators, RowsController.prototype, method, Object.getOwnPropertyDescriptor(RowsController.prototype, method));
  decorate([Post('rows'), HttpCode(201)], 'create');
  decorate([Get('rows/:name')], 'read');
  Body()(RowsController.prototype, 'create', 0);
  Param('name')(RowsController.prototype, 'read', 0);
  const BareRowsController = Reflect.decorate([Controller()], RowsController);
  class RowsModule {}
  const App = Reflect.decorate([Module({ controllers: [BareRowsController] })], RowsModule);
  const app = await NestFactory.create(App, { logger: ['error'] });
  await app.listen(port, '127.0.0.1');
  console.log(`listening ${port}`);
} else {
  console.error('usage: node bench/peer-servers.mjs peer|bare|rows');
  process.exit(2);
}
