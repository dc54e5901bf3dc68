// Preloaded into the service (`node --import ./bench/query-log.mjs`) when the bench counts statements:
// every query the pg driver sends (BEGIN and COMMIT included, each one round trip) is appended as
// one line to $BENCH_QUERY_LOG. Synchronous file writes slow the service: never used while timing.
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const file = process.env.BENCH_QUERY_LOG;
if (file) {
  // The same module instance the service's ESM `import pg` gets (pg is CommonJS).
  const { Client } = createRequire(`${process.cwd()}/package.json`)('pg');
  const query = Client.prototype.query;
  Client.prototype.query = function (config, ...rest) {
    const text = typeof config === 'string' ? config : config?.text;
    if (typeof text === 'string') appendFileSync(file, `${text.replace(/\s+/g, ' ').trim().slice(0, 160)}\n`);
    return query.call(this, config, ...rest);
  };
}
