import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

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

/** A page in a fresh browser context that records Content-Security-Policy violations into `violations`. */
export async function pageWithCspWatch(browser: Browser, violations: string[]): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  return page;
}

/** Starts an example app (`node examples/<dir>/server.mjs`) and waits until it prints `ready`. */
export async function startExample(script: string, env: Record<string, string | undefined>, ready: string): Promise<ChildProcess> {
  const app = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    app.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes(ready) && resolve());
    app.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return app;
}
