import 'reflect-metadata';
import { isUserError, runCli } from './admin/admin-cli.js';

runCli(process.argv.slice(2), process.env, { out: (line) => console.log(line), err: (line) => console.error(line) }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(isUserError(error) ? `Error: ${(error as Error).message}` : error);
    process.exit(1);
  },
);
