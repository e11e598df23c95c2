import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium, headless, as this machine allows it: no sandbox (root), and none of the
 * background connections a closed network refuses. Never a downloaded browser.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}
