import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Page tests run in Debian's Chromium. On a developer machine without it they are skipped with a notice;
 * in CI (CI=true) a missing browser is a failure, since .ci/run installs it.
 */
export const chromiumAvailable = existsSync(chromiumPath) || process.env.CI === 'true';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

export function screenshotDir(name: string): string {
  const dir = join(process.cwd(), 'test-output', 'screenshots', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
