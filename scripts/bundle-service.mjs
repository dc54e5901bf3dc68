// Bundles the compiled service (dist/service.js, from tsc) into dist/main.js, the file `npm start`
// runs. Node 20 loads each ES module file on its own (resolve, read, compile, link): the service's
// ~1,200 ES modules (ours, NestJS's, @nestjs/swagger's and the es-toolkit helpers it imports one file
// each) made up most of its start-up. In one file they load in about two thirds of the CPU time
// (README, "Start-up and memory"). CommonJS packages (TypeORM, pg, rxjs, class-validator, …) stay
// in node_modules and load as before; so do native ones and anything loaded by name at run time.
// Source maps are chained through tsc's, so stack traces under --enable-source-maps name src/*.ts.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** The ES-module packages worth bundling: each is many small files. */
const BUNDLED_PACKAGES = new Set(['@nestjs/common', '@nestjs/core', '@nestjs/platform-express', '@nestjs/swagger', '@nestjs/typeorm', '@nestjs/passport', '@nestjs/mapped-types', 'es-toolkit', 'jose']);

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const bundle = await rolldown({
  input: join(dist, 'service.js'),
  platform: 'node',
  logLevel: 'warn',
  external: (specifier) => {
    if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('\0')) return false;
    return specifier.startsWith('node:') || !BUNDLED_PACKAGES.has(packageName(specifier));
  },
  plugins: [
    {
      // tsc's source maps, so the bundle's map leads back to src/*.ts.
      name: 'tsc-source-maps',
      async load(id) {
        if (!id.startsWith(dist + '/') || !id.endsWith('.js') || !existsSync(`${id}.map`)) return null;
        const [code, map] = await Promise.all([readFile(id, 'utf8'), readFile(`${id}.map`, 'utf8')]);
        return { code: code.replace(/\n\/\/# sourceMappingURL=.*$/, ''), map };
      },
    },
  ],
});
await bundle.write({
  dir: dist,
  entryFileNames: 'main.js',
  // Modules loaded on demand (the development provider, Nest's HTTP adapter) stay separate files.
  chunkFileNames: 'bundle/[name].js',
  format: 'esm',
  sourcemap: true,
});
await bundle.close();
