// Debian's Chromium through playwright-core, and a page object for the chat
// box (the iframe #parley-frame and its data-testid elements, see
// docs/widget-contract.md).
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { outDir } from './server.mjs';
import { waitFor } from './wait.mjs';

export const chromiumPath = process.env.PARLEY_E2E_CHROMIUM || '/usr/bin/chromium';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Launches Chromium with a fresh temporary profile (Playwright's launch makes
 * one per browser and removes it on close). Fails clearly when Chromium is
 * missing: the suite is never skipped silently.
 */
export async function launchBrowser() {
  try {
    fs.accessSync(chromiumPath, fs.constants.X_OK);
  } catch {
    throw new Error(`e2e: Chromium not found at ${chromiumPath} (install Debian's chromium package, ` +
      'or set PARLEY_E2E_CHROMIUM to a Chromium binary). The browser tests cannot run without it.');
  }
  return chromium.launch({ executablePath: chromiumPath, args: ARGS, headless: true, timeout: 30000 });
}

/**
 * A fresh browser context (its own storage: a new visitor) with one page.
 * Console errors and uncaught exceptions of every page and frame are kept in
 * `problems` for the failure messages.
 */
export async function newVisitor(browser, { viewport = { width: 1280, height: 800 }, locale = 'en-US', ...rest } = {}) {
  const context = await browser.newContext({ viewport, locale, ...rest });
  context.setDefaultTimeout(10000);
  const problems = [];
  context.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') {
      const loc = msg.location();
      if (loc?.url?.endsWith('/favicon.ico')) return; // the demo shop has none
      problems.push(`console.${msg.type()}: ${msg.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    }
  });
  context.on('weberror', (err) => problems.push(`uncaught: ${err.error().message}`));
  const page = await context.newPage();
  return { context, page, problems };
}

/** Saves a PNG of the page (into the run's screenshot folder) and prints its path. */
export async function screenshot(page, name, t) {
  const file = path.join(outDir, 'screenshots', `${name}.png`);
  // Finished animations only: a panel fading in is not what a visitor looks at.
  await page.screenshot({ path: file, animations: 'disabled' });
  const line = `screenshot: ${file}`;
  if (t?.diagnostic) t.diagnostic(line);
  else console.log(line);
  return file;
}

export class Widget {
  /** @param {import('playwright-core').Page} page */
  constructor(page) {
    this.page = page;
    this.iframe = page.locator('#parley-frame');
    this.frame = page.frameLocator('#parley-frame');
  }

  /** A data-testid element inside the iframe. */
  t(id) { return this.frame.locator(`[data-testid="${id}"]`); }

  /** Opens a page of the demo shop and waits for the launcher. */
  static async open(page, server, p = '/demo', { timeout = 10000 } = {}) {
    const res = await page.goto(server.url(p), { waitUntil: 'domcontentloaded' });
    if (!res || res.status() !== 200) {
      throw new Error(`e2e: GET ${p} answered ${res && res.status()}`);
    }
    const w = new Widget(page);
    await w.ready({ timeout });
    return w;
  }

  async ready({ timeout = 10000 } = {}) {
    await this.iframe.waitFor({ state: 'attached', timeout });
    await this.t('launcher').waitFor({ state: 'visible', timeout });
  }

  /** The Frame object of the chat box (to evaluate in it). */
  async contentFrame() {
    const handle = await this.iframe.elementHandle();
    return handle.contentFrame();
  }

  async isOpen() { return this.t('panel').isVisible(); }

  /** Opens the panel with the launcher (unless it is already open). */
  async openPanel() {
    if (!(await this.isOpen())) await this.t('launcher').click();
    await this.t('panel').waitFor({ state: 'visible' });
  }

  /** Types a message in the composer and sends it with Enter (or the send button). */
  async send(text, { via = 'enter' } = {}) {
    const composer = this.t('composer');
    await composer.fill(text);
    if (via === 'enter') await composer.press('Enter');
    else await this.t('send').click();
  }

  /** The messages shown, in DOM order. */
  async messages() {
    return this.t('message').evaluateAll((els) => els.map((el) => ({
      sender: el.getAttribute('data-sender'),
      state: el.getAttribute('data-state'),
      clientId: el.getAttribute('data-client-id'),
      text: el.querySelector('[data-testid="message-text"]')?.textContent ?? null,
      author: el.querySelector('[data-testid="message-author"]')?.textContent ?? null,
    })));
  }

  /** Waits until a message matching pred is shown; returns it. */
  async waitMessage(pred, { timeout = 5000, interval = 25, message = 'message not shown' } = {}) {
    return waitFor(async () => (await this.messages()).find(pred), { timeout, interval, message });
  }

  /** Waits until the visitor's message with this text is acknowledged (sent or delivered). */
  async waitSent(text, { timeout = 5000 } = {}) {
    return this.waitMessage((m) => m.sender === 'visitor' && m.text === text && (m.state === 'sent' || m.state === 'delivered'),
      { timeout, message: `the visitor's message ${JSON.stringify(text)} was not shown as sent` });
  }

  /** Waits until an agent message with this text is shown. */
  async waitAgent(text, { timeout = 5000 } = {}) {
    return this.waitMessage((m) => m.sender === 'agent' && m.text === text,
      { timeout, message: `the agent message ${JSON.stringify(text)} was not shown` });
  }
}

/** A short unique marker for message texts. */
export function nonce() {
  return Math.random().toString(36).slice(2, 8);
}
