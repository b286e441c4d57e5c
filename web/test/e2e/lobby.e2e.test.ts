// Join by link in the browser, against the real stack on LiveKit: A signs up, creates a
// meeting, lets guests in with the link and joins the call; B opens A's link without an
// account, gives a name and waits in the lobby; A sees the knock and admits B; B passes
// the device check, joins as a guest and sees A's video, and A sees B marked as a guest.
// A second guest is denied and told why. Chromium runs inside the test's network
// namespace; axe-core finds no serious or critical violations on the new pages.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshots, seriousAxeViolations, signUp, waitForPlayingVideo } from './browser-helpers.ts';
import { startWebStack, webE2eSkipReason, type WebStack } from './web-stack.ts';

const skip = webE2eSkipReason('livekit');
if (skip) console.warn(`skipping the join-by-link browser suite: ${skip}`);

describe.skipIf(skip)('join by link, end to end in Chromium (LiveKit)', { timeout: 120_000 }, () => {
  let stack: WebStack;
  let a: Page;
  let b: Page;
  let joinLink = '';
  let idA = '';
  let step = 0;
  const suffix = Math.random().toString(36).slice(2, 8);
  const userA = { username: `ada_${suffix}`, fullName: 'Ada Host', password: `pw-${suffix}-correct-horse` };
  const shot = (name: string, pages: Record<string, Page> = { a, b }) => screenshots('lobby', `${String(++step).padStart(2, '0')}-${name}`, pages);
  const axeClean = async (page: Page) => {
    const violations = await seriousAxeViolations(page);
    expect(violations, JSON.stringify(violations, null, 1)).toEqual([]);
  };

  beforeAll(async () => {
    stack = await startWebStack('livekit');
    const [browserA, browserB] = await Promise.all([stack.browser(), stack.browser()]);
    a = await (await browserA.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    b = await (await browserB.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  }, 180_000);
  afterAll(async () => {
    await stack?.teardown();
  });

  it('A creates a meeting, lets guests in with the link and joins it', async () => {
    await signUp(a, stack.webUrl, userA);
    idA = await a.evaluate(() => (JSON.parse(localStorage.getItem('huddle.session') ?? '{}') as { user?: { id?: string } }).user?.id ?? '');
    await a.getByRole('link', { name: 'New meeting' }).click();
    await a.getByLabel('Title').fill('Open office hours');
    await a.getByRole('button', { name: 'Create meeting' }).click();
    const code = (await a.getByTestId('meeting-code').textContent()) ?? '';
    joinLink = await a.getByLabel('Join link').inputValue();
    expect(joinLink).toBe(`${stack.webUrl}/j/${code}`);
    await a.getByLabel('Who can join with the link').selectOption('guests');
    await expect.poll(() => a.getByLabel('Who can join with the link').inputValue()).toBe('guests');
    await expect.poll(() => a.getByLabel('Let people in from a lobby (guests always wait there)').isEnabled()).toBe(true);
    await axeClean(a);
    await shot('link-settings', { a });
    await a.getByRole('link', { name: 'Join meeting' }).click();
    await a.getByLabel('Your camera preview').waitFor();
    await a.getByRole('button', { name: 'Join now' }).click();
    await a.getByTestId('toggle-lobby').waitFor({ timeout: 30_000 });
  });

  it('B opens the link without an account, gives a name and waits in the lobby', async () => {
    await b.goto(joinLink);
    const preview = b.getByTestId('link-preview');
    await preview.getByRole('heading', { name: 'Open office hours' }).waitFor();
    expect(await preview.textContent()).toContain('Ada Host');
    await axeClean(b);
    await b.getByLabel('Your name').fill('Gina Guest');
    await b.getByRole('button', { name: 'Ask to join' }).click();
    await b.getByTestId('lobby-waiting').waitFor();
    await axeClean(b);
    await shot('waiting');
  });

  it('A sees the knock and admits B; B joins as a guest and sees A’s video; A sees B marked as a guest', async () => {
    await expect.poll(() => a.getByTestId('toggle-lobby').getAttribute('aria-label'), { timeout: 15_000 }).toBe('Lobby (1 waiting)');
    await a.getByTestId('toggle-lobby').click();
    await a.getByTestId('lobby-entrant').filter({ hasText: 'Gina Guest' }).waitFor();
    expect(await a.getByTestId('lobby-entrant').textContent()).toContain('guest, no account');
    await axeClean(a);
    await shot('knock', { a });
    await a.getByRole('button', { name: 'Admit Gina Guest' }).click();
    await expect.poll(() => a.getByTestId('toggle-lobby').getAttribute('aria-label'), { timeout: 15_000 }).toBe('Lobby (0 waiting)');

    // B leaves the lobby for the device check on its own, then joins.
    await b.getByLabel('Your camera preview').waitFor({ timeout: 30_000 });
    await b.getByRole('button', { name: 'Join now' }).click();
    const seen = await waitForPlayingVideo(b, `[data-testid="video-tile"][data-user-id="${idA}"] video`);
    expect(seen.videoWidth).toBeGreaterThan(0);
    const idB = await b.evaluate(() => {
      const key = Object.keys(sessionStorage).find((k) => k.startsWith('huddle.guest.') && /[0-9a-f-]{36}$/.test(k));
      return key ? (JSON.parse(sessionStorage.getItem(key) ?? '{}') as { userId?: string }).userId ?? '' : '';
    });
    expect(idB).toMatch(/^[0-9a-f-]{36}$/);
    const tileOfB = a.locator(`[data-testid="video-tile"][data-user-id="${idB}"]`);
    await waitForPlayingVideo(a, `[data-testid="video-tile"][data-user-id="${idB}"] video`);
    expect(await tileOfB.locator('.badge').textContent()).toBe('guest');
    // A guest holds no host controls.
    expect(await b.getByTestId('toggle-lobby').count()).toBe(0);
    expect(await b.getByTestId('end-for-all').count()).toBe(0);
    await shot('admitted');
  });

  it('a second guest is turned away and told so', async () => {
    const c = await b.context().newPage();
    await c.goto(joinLink);
    await c.getByLabel('Your name').fill('Eve Raider');
    await c.getByRole('button', { name: 'Ask to join' }).click();
    await c.getByTestId('lobby-waiting').waitFor();
    await a.getByTestId('lobby-entrant').filter({ hasText: 'Eve Raider' }).waitFor({ timeout: 15_000 });
    await a.getByRole('button', { name: 'Deny Eve Raider' }).click();
    await c.getByTestId('lobby-denied').waitFor({ timeout: 30_000 });
    expect(await c.getByTestId('lobby-denied').textContent()).toContain('did not let you in');
    await shot('denied', { a, c });
    await c.close();
  });
});
