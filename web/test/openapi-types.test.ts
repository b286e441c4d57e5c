import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderApiTypes } from '../scripts/openapi-render.ts';

describe('web/src/api/schema.ts', () => {
  it('matches the edge OpenAPI document (run `npm run openapi:types` after changing the API)', async () => {
    const committed = await readFile(new URL('../src/api/schema.ts', import.meta.url), 'utf8');
    const fresh = await renderApiTypes();
    // A stale file fails here, and code typed from it fails `tsc -p web/tsconfig.json`.
    expect(committed === fresh, 'web/src/api/schema.ts is stale: run `npm run openapi:types`').toBe(true);
  });
});
