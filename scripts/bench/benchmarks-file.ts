import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const HEADER = '# Benchmarks\n\nFigures measured on development machines; each section says how to reproduce it.\n\n';

/**
 * Replaces the section that starts with `heading` (e.g. `## Edge`) in BENCHMARKS.md, or
 * appends it. The file is read right before writing: other benchmarks own other sections.
 */
export function writeBenchmarkSection(file: string, heading: string, section: string): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  const start = current.search(new RegExp(`^${heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm'));
  let next: string;
  if (start === -1) {
    next = `${current.trimEnd()}\n\n${section}`;
  } else {
    const rest = current.slice(start + 1);
    const end = rest.search(/^## /m);
    next = current.slice(0, start) + section + (end === -1 ? '' : `\n${rest.slice(end)}`);
  }
  writeFileSync(file, next);
}
