import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's chromium (`apt-get install chromium`), driven headless by playwright-core. */
const CHROMIUM = process.env.KYSO_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/** The two sizes every journey runs at. */
export const VIEWPORTS = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;
export type Viewport = (typeof VIEWPORTS)[number];

/** Where screenshots go (outside the repository). */
export const SHOTS = process.env.KYSO_SCREENSHOTS ?? path.join(os.tmpdir(), 'kyso-screens');

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** One headless Chromium for a test file. */
export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/** A fresh context (own session storage) at a viewport; CSP bypassed only so axe-core can be injected. */
export async function open(browser: Browser, viewport: Viewport): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: viewport.width, height: viewport.height },
    locale: 'vi-VN',
    bypassCSP: true,
    acceptDownloads: true,
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on('pageerror', (err) => {
    throw new Error(`page error: ${err.message}`);
  });
  return { context, page };
}

/** Logs in through the form. */
export async function login(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel('Tên đăng nhập').fill(username);
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.locator('nav.main-nav').waitFor();
}

/**
 * Checks the current screen: axe-core finds no serious or critical violation, nothing scrolls
 * sideways, a screenshot is saved for a person to look at, and in English no Vietnamese is left.
 */
export async function checkScreen(page: Page, viewport: Viewport, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.waitForFunction("!document.querySelector('.loading')");
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}-${viewport.name}.png`), fullPage: true });
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  expect(overflow, `${name} at ${viewport.width}px scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
  if (!(await page.evaluate<boolean>("'axe' in window"))) await page.addScriptTag({ content: AXE });
  const result = await page.evaluate<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }>("axe.run(document, { resultTypes: ['violations'] })");
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  expect(serious, `${name} at ${viewport.name}`).toEqual([]);
  await checkEnglish(page, `${name} at ${viewport.name}`);
}

const VIETNAMESE = /[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]/i;

/**
 * Switches to English and asserts no Vietnamese text is left on the screen, apart from data (names,
 * marked translate="no") and the switch back to Vietnamese (lang="vi"); then switches back.
 */
async function checkEnglish(page: Page, name: string): Promise<void> {
  // Dispatched rather than clicked: an open modal dialog (whose text is checked too) makes the header inert.
  await page.getByRole('button', { name: 'English' }).dispatchEvent('click');
  await page.locator('html[lang="en"]').waitFor();
  // Runs in the page (a string, so the test's TypeScript needs no DOM types).
  const leftovers = await page.evaluate<string[]>(`(() => {
    const re = new RegExp(${JSON.stringify(VIETNAMESE.source)}, 'i');
    const out = [];
    const excluded = (el) => !!el?.closest('[translate="no"], [lang="vi"], script, style, noscript');
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || excluded(el)) continue;
      if (re.test(n.textContent ?? '')) out.push((n.textContent ?? '').trim());
    }
    for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
      if (excluded(el)) continue;
      for (const a of ['aria-label', 'placeholder', 'title']) {
        const v = el.getAttribute(a);
        if (v && re.test(v)) out.push(a + '=' + v);
      }
    }
    if (re.test(document.title.split(':')[0])) out.push('title=' + document.title);
    return out;
  })()`);
  expect(leftovers, `Vietnamese left in English mode on ${name}`).toEqual([]);
  await page.getByRole('button', { name: 'Tiếng Việt' }).dispatchEvent('click');
  await page.locator('html[lang="vi"]').waitFor();
}
