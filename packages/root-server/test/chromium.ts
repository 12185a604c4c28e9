import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

/** The one command that gives this machine a Chromium the dashboard test finds. */
export const INSTALL_CHROMIUM = 'npx playwright-core install chromium';

/**
 * Where the dashboard's browser test looks for a Chromium, in order: `CHROME_PATH`, the
 * Debian/Ubuntu packages, Google Chrome, then playwright's own browser cache (what
 * {@link INSTALL_CHROMIUM} fills).
 */
export function chromiumCandidates(): string[] {
  const fromEnv = process.env.CHROME_PATH;
  return [
    ...(fromEnv === undefined || fromEnv === '' ? [] : [fromEnv]),
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/opt/google/chrome/chrome',
    chromium.executablePath(),
  ];
}

/** The first Chromium found, or undefined. */
export function findChromium(): string | undefined {
  return chromiumCandidates().find((path) => existsSync(path));
}

/** Why there is no browser, and what to do about it. */
export function missingChromium(): string {
  return `no Chromium found (looked at ${chromiumCandidates().join(', ')}); install one with \`${INSTALL_CHROMIUM}\`, or set CHROME_PATH`;
}
