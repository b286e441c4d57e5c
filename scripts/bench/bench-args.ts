/**
 * A bench's command-line options: `--name=value` → `name` ↦ `value`; a bare `--flag` ↦
 * `'true'`. Unknown names are kept (each bench reads what it knows, with its own bounds).
 */
export function benchArgs(argv: readonly string[] = process.argv.slice(2)): Map<string, string> {
  return new Map(
    argv.map((arg) => {
      const [name, value] = arg.replace(/^--/, '').split('=');
      return [name ?? '', value ?? 'true'] as const;
    }),
  );
}
