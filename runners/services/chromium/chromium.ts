/**
 * Chromium for the web UI's browser tests: Debian's `chromium` package, installed with apt-get when
 * `/usr/bin/chromium` is missing (bounded in time), and driven headless by playwright-core.
 */
import * as fs from "node:fs";
import type { Browser } from "playwright-core";
import { aptInstall } from "../apt/apt";

/** Where Debian's package puts the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** How long installing Chromium may take (ms); it is ~1 minute on a fresh machine. */
const INSTALL_TIMEOUT_MS = 5 * 60_000;

/** Makes sure Chromium is installed (Debian's package, with apt-get when missing); returns its path. */
export function ensureChromium(): string {
  if (fs.existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  aptInstall("chromium", "Chromium", `install Chromium so that ${CHROMIUM_PATH} exists (Debian: apt-get install chromium)`, INSTALL_TIMEOUT_MS);
  return CHROMIUM_PATH;
}

/** A headless Chromium started by playwright-core; `stop` closes it. */
export interface ChromiumBrowser {
  readonly browser: Browser;
  stop(): Promise<void>;
}

/** Installs Chromium when missing and launches it headless (no sandbox, no GPU: we may run as root in a container). */
export async function startChromium(): Promise<ChromiumBrowser> {
  const executablePath = ensureChromium();
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox", "--disable-gpu"], timeout: 60_000 });
  return { browser, stop: () => browser.close() };
}
