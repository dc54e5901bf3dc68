import 'reflect-metadata';
import { isUserError, runCli } from './admin/admin-cli.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) console.error('Type the password, then press Enter and Ctrl-D (or pipe it in: printf %s "$PASSWORD" | npm run cli -- ...)');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

runCli(process.argv.slice(2), process.env, { out: (line) => console.log(line), err: (line) => console.error(line), readInput: readStdin }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(isUserError(error) ? `Error: ${(error as Error).message}` : error);
    process.exit(1);
  },
);
