// `npm run openapi:types`: regenerates web/src/api/schema.ts from the edge's OpenAPI
// document. The document comes from the edge app itself, run in-process (no server,
// no network); `--check` exits 1 when the committed file is stale instead of writing.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderApiTypes } from './openapi-render.ts';

const target = fileURLToPath(new URL('../src/api/schema.ts', import.meta.url));
const fresh = await renderApiTypes();
if (process.argv.includes('--check')) {
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed !== fresh) {
    console.error('web/src/api/schema.ts is stale: run `npm run openapi:types`');
    process.exit(1);
  }
  console.info('web/src/api/schema.ts matches the edge document');
} else {
  await writeFile(target, fresh);
  console.info(`wrote ${target}`);
}
