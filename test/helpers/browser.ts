import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (.ci/run installs it); `npx playwright install` cannot work offline. */
export const CHROMIUM = '/usr/bin/chromium';

/** In a before hook: skips the suite when Chromium is missing, except under CI, where that is a failure. */
export function skipWithoutChromium(ctx: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} missing: .ci/run installs it`);
  console.warn(`\n  NOTICE: ${CHROMIUM} not installed (apt-get install chromium); skipping the browser run\n`);
  ctx.skip();
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * Collects what must not happen on a page: console errors, uncaught errors, CSP violations and,
 * with `responses`, any 4xx/5xx answer. Call before the first goto.
 */
export async function watchProblems(page: Page, opts: { responses?: boolean } = {}): Promise<string[]> {
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  if (opts.responses) page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  // Playwright's init script is not page script: CSP does not apply to it, and it reports every violation.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  return problems;
}
