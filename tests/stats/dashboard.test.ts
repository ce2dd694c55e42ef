import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr, tokenRequest } from '../requests/support.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { historicalCa, importHistory } from './fixture.js';

/** Debian's chromium (`apt-get install chromium`), driven headless by playwright-core. */
const CHROMIUM = process.env.KYSO_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let t: TestKyso;
let tenant: Awaited<ReturnType<typeof seedTenant>>;
let requestId: string;
let profileDir: string;
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  t = await startTestKyso();
  tenant = await seedTenant(t, 'dash', { name: 'Trường Tiểu học Hoa Sen', sector: 'education', province: 'Huế' });
  const year = new Date().getUTCFullYear();
  await importHistory(t, await historicalCa('Dashboard CA'), [
    { holder: 'individual', medium: 'token', organizationId: tenant.organizationId, notBefore: `${year - 1}-03-10T03:00:00Z` },
    { holder: 'individual', medium: 'sim', organizationId: tenant.organizationId, notBefore: `${year - 1}-03-20T03:00:00Z` },
    { holder: 'organization', medium: 'token', organizationId: tenant.organizationId, notBefore: `${year - 1}-07-01T03:00:00Z` },
    { holder: 'individual', medium: 'token', organizationId: tenant.organizationId, notBefore: `${year}-01-15T03:00:00Z` },
  ]);
  const { pem } = await makeCsr();
  const submitted = await t
    .http()
    .post('/api/v1/certificate-requests')
    .set('Authorization', `Bearer ${tenant.tokens.agency}`)
    .send(tokenRequest(tenant.organizationId, pem, { subject: { commonName: 'Lê Thị Chờ Duyệt', uid: ['CCCD:046190001234'] } }));
  expect(submitted.status).toBe(201);
  requestId = submitted.body.id;

  profileDir = mkdtempSync(path.join(os.tmpdir(), 'kyso-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: FLAGS, locale: 'vi-VN' });
  page = await browser.newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await t?.close();
});

describe('/admin in a real browser', () => {
  it('logs in, draws the charts and the status table, approves a request', async () => {
    await page.goto(`${t.url}/admin`);
    await page.getByLabel('Tên đăng nhập').fill('officer-dash');
    await page.getByLabel('Mật khẩu').fill('officer-password-dash');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();

    // Three issuance bars per holder/month segment at least, in an SVG chart with an accessible name.
    await page.locator('#monthly-chart svg rect').first().waitFor();
    expect(await page.locator('#monthly-chart svg rect').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#monthly-chart svg').getAttribute('aria-label')).toContain('Chứng thư cấp theo tháng');
    await page.locator('#status-table tfoot').waitFor();
    expect(await page.locator('#status-table tfoot td').first().textContent()).toBe('4');
    await page.locator('#sector-chart svg').waitFor();
    await page.getByRole('button', { name: 'Duyệt Lê Thị Chờ Duyệt' }).waitFor();
    await page.screenshot({ path: path.join(os.tmpdir(), 'kyso-dashboard.png'), fullPage: true });

    await page.getByRole('button', { name: 'Duyệt Lê Thị Chờ Duyệt' }).click();
    await page.getByText('Đã duyệt yêu cầu: Lê Thị Chờ Duyệt').waitFor();
    await page.getByText('Không có yêu cầu nào chờ duyệt.').waitFor();
    const after = await t.http().get(`/api/v1/certificate-requests/${requestId}`).set('Authorization', `Bearer ${tenant.tokens.officer}`);
    expect(after.body.status).toBe('issued');
    // The new certificate is counted at once: the status table now totals five.
    await page.locator('#status-table tfoot td', { hasText: '5' }).first().waitFor();
  });

  it('switches to English and back', async () => {
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Certificates issued per month' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await page.getByRole('heading', { name: 'Chứng thư cấp theo tháng' }).waitFor();
  });

  it('downloads the CSV with the same login', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.csv').first().click()]);
    const file = path.join(profileDir, 'issuance.csv');
    await download.saveAs(file);
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('\uFEFFmonth,holder,medium,count\r\n')).toBe(true);
  });
});
