// Test helper: Debian's Chromium driven by playwright-core (browsers cannot be downloaded here), and what a page reported.

import { existsSync } from 'node:fs';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Launches Chromium; a missing browser fails the test that asked (in CI and outside it alike), it never skips. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    const where = process.env.CI === undefined ? 'on this machine' : 'on the CI runner (.ci/run must install it)';
    throw new Error(`Chromium is missing ${where}: ${CHROMIUM_PATH} does not exist. Install it with \`apt-get install -y chromium\` (Debian), then run the test again.`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** Something a page said that a test should look at: an uncaught error or a console error. */
export interface PageProblem {
  readonly kind: 'pageerror' | 'console';
  readonly text: string;
  /** The URL the console message points at (e.g. the resource that failed to load), if any. */
  readonly url: string;
  /** The test phase in which it happened (see `PageWatch.phase`). */
  readonly phase: string;
}

export interface PageWatch {
  /** Names the step now running; problems are tagged with it. */
  phase: string;
  readonly problems: PageProblem[];
}

/** Records every uncaught page error and every console error of the page. */
export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { phase: 'start', problems: [] };
  page.on('pageerror', (error: Error) => {
    watch.problems.push({ kind: 'pageerror', text: error.stack ?? error.message, url: page.url(), phase: watch.phase });
  });
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() !== 'error') return;
    watch.problems.push({ kind: 'console', text: message.text(), url: message.location().url, phase: watch.phase });
  });
  return watch;
}
