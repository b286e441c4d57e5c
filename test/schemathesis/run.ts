// Runs Schemathesis (the pinned venv from scripts/schemathesis.sh) against a server the
// test started, with the project's hooks, and reports what it found.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Path of the venv's `st`, installing the venv first when needed (idempotent; minutes the first time). */
export function ensureSchemathesis(): string {
  const out = execFileSync('bash', [`${root}scripts/schemathesis.sh`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1)!;
}

/** What one `st run` did. */
export interface SchemathesisResult {
  exitCode: number | null;
  /** stdout and stderr, interleaved. */
  output: string;
  seconds: number;
  /** "N generated" from the summary, when printed. */
  testCases: number | undefined;
  /** "M found" from the summary (0 when the run passed). */
  failures: number;
  /** Where the whole output was written. */
  logFile: string;
}

/** Options of one run; `args` are passed to `st run` after the schema URL. */
export interface SchemathesisRun {
  /** Names the log file: `{tmpdir}/huddle-schemathesis-{name}.log`. */
  name: string;
  st: string;
  schemaUrl: string;
  args: string[];
  /** Data for the hooks (scripts/schemathesis/hooks.py). */
  userIds?: string[];
  meetingIds?: string[];
  /** A real account the hooks log in with, half of the time. */
  credentials?: { login: string; password: string };
  /** Hard stop, well above the run's own --max-time. */
  killAfterMs: number;
}

/** The seed of every run: fixed, so that a failure replays; HUDDLE_ST_SEED overrides (`random` for a new one). */
export function seedArgs(): string[] {
  const seed = process.env.HUDDLE_ST_SEED ?? '20261130';
  return seed === 'random' ? [] : ['--seed', seed];
}

/** Seconds for `--max-time`: `fallback`, or HUDDLE_ST_SECONDS. */
export function maxTimeSeconds(fallback: number): number {
  const seconds = Number(process.env.HUDDLE_ST_SECONDS ?? fallback);
  return Number.isInteger(seconds) && seconds > 0 ? seconds : fallback;
}

/** Spawns `st run`; resolves when it exits (or is killed after `killAfterMs`). */
export function runSchemathesis(run: SchemathesisRun): Promise<SchemathesisResult> {
  const started = performance.now();
  const child = spawn(
    run.st,
    [
      '--config-file',
      `${root}scripts/schemathesis/schemathesis.toml`,
      'run',
      run.schemaUrl,
      '--no-color',
      '--generation-database',
      'none',
      ...run.args,
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        PYTHONPATH: `${root}scripts/schemathesis`,
        PYTHONDONTWRITEBYTECODE: '1',
        SCHEMATHESIS_HOOKS: 'hooks',
        HUDDLE_ST_USER_IDS: (run.userIds ?? []).join(','),
        HUDDLE_ST_MEETING_IDS: (run.meetingIds ?? []).join(','),
        HUDDLE_ST_LOGIN: run.credentials?.login ?? '',
        HUDDLE_ST_PASSWORD: run.credentials?.password ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), run.killAfterMs);
  return new Promise((resolve) => {
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      const logFile = join(tmpdir(), `huddle-schemathesis-${run.name}.log`);
      writeFileSync(logFile, output);
      const generated = /(\d+) generated/.exec(output);
      const found = /found (\d+) unique failures?/.exec(output);
      resolve({
        exitCode,
        output,
        seconds: Math.round((performance.now() - started) / 1000),
        testCases: generated ? Number(generated[1]) : undefined,
        failures: found ? Number(found[1]) : 0,
        logFile,
      });
    });
  });
}

/** One line for the test log: what ran, how long, where the report is. */
export function summary(name: string, result: SchemathesisResult): string {
  const phases = [...result.output.matchAll(/^ (?:✅|❌|⏭)\s+(\w+) \(in ([\d.]+)s\)/gmu)].map((m) => `${m[1]} ${m[2]} s`);
  return (
    `schemathesis ${name}: ${result.testCases ?? '?'} test cases, ${result.failures} failures, ${result.seconds} s ` +
    `(${phases.join(', ')}); report: ${result.logFile}`
  );
}

/** The part of the output worth showing when a run fails: from the failures section on. */
export function failureReport(result: SchemathesisResult): string {
  const start = result.output.search(/={3,} FAILURES|={3,} ERRORS/);
  const text = start === -1 ? result.output : result.output.slice(start);
  return text.length > 20_000 ? `${text.slice(0, 20_000)}\n… (${text.length - 20_000} more characters)` : text;
}
