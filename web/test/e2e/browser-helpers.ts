// Page-level helpers of the browser tests: sign-up, screenshots, video checks, axe.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

/** Screenshots of every step (git-ignored). */
export const artifactsDir = fileURLToPath(new URL('./artifacts', import.meta.url));

/** Saves a screenshot of each page as artifacts/{run}/{nn}-{step}-{who}.png. */
export async function screenshots(run: string, step: string, pages: Record<string, Page>): Promise<void> {
  const dir = join(artifactsDir, run);
  mkdirSync(dir, { recursive: true });
  await Promise.all(
    Object.entries(pages).map(([who, page]) => page.screenshot({ path: join(dir, `${step}-${who}.png`), fullPage: false }).catch(() => undefined)),
  );
}

/** Registers through the sign-up page; ends on the meetings list. */
export async function signUp(page: Page, webUrl: string, user: { username: string; fullName: string; password: string }): Promise<void> {
  await page.goto(`${webUrl}/signup`);
  await page.getByLabel('Full name (optional)').fill(user.fullName);
  await page.getByLabel('Username', { exact: true }).fill(user.username);
  await page.getByLabel('Email').fill(`${user.username}@example.test`);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Your meetings' }).waitFor({ timeout: 30_000 });
}

/**
 * Waits until the <video> matched by `selector` plays: frames have a size and its
 * currentTime advances. Resolves with what it measured.
 */
export async function waitForPlayingVideo(page: Page, selector: string, timeoutMs = 30_000): Promise<{ videoWidth: number; advancedBy: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = { videoWidth: 0, advancedBy: 0 };
  while (Date.now() < deadline) {
    const first = await page.evaluate((s) => {
      const v = document.querySelector<HTMLVideoElement>(s);
      return v ? { w: v.videoWidth, t: v.currentTime } : null;
    }, selector);
    if (first && first.w > 0) {
      await page.waitForTimeout(700);
      const second = await page.evaluate((s) => document.querySelector<HTMLVideoElement>(s)?.currentTime ?? 0, selector);
      last = { videoWidth: first.w, advancedBy: second - first.t };
      if (last.advancedBy > 0) return last;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`video ${selector} did not play within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Violations of impact serious or critical on the current page (axe-core, WCAG 2 A/AA rules). */
export async function seriousAxeViolations(page: Page): Promise<{ id: string; impact: string; help: string; targets: string[] }[]> {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? 'minor', help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A WAV of `text` spoken by espeak-ng, with a pause after it (the microphone file loops). */
export function spokenWav(dir: string, text: string): string {
  const raw = join(dir, 'speech-raw.wav');
  const wav = join(dir, 'speech.wav');
  execFileSync('espeak-ng', ['-v', 'en-us', '-s', '140', '-w', raw, text]);
  execFileSync('sox', [raw, '-r', '48000', '-c', '1', '-b', '16', wav, 'pad', '0.5', '2']);
  return wav;
}
