import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFArray, PDFDict, PDFDocument, PDFName, type PDFNumber } from 'pdf-lib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr, tokenRequest } from '../requests/support.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { unsignedPdf } from '../verification/pdf-fixture.js';
import { VIEWPORTS, checkScreen, launch, login, open, type Viewport } from './browser.js';

/*
 * The roles' journeys of issue #10 in a real browser (Debian's chromium), each at 1440×900 and
 * 390×844: every screen passes axe-core (no serious or critical violation), scrolls no sideways,
 * is screenshotted, and leaves no Vietnamese in English mode.
 */

let t: TestKyso;
let tenant: Awaited<ReturnType<typeof seedTenant>>;
let browser: Browser;
let dir: string;
let routes: Set<string>;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  t = await startTestKyso();
  tenant = await seedTenant(t, 'web', { name: 'Trường Tiểu học Hoa Sen', sector: 'education', province: 'Huế' });
  browser = await launch();
  dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-web-'));
  routes = new Set(Object.keys((await t.http().get('/api/v1/openapi.json')).body.paths));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await t?.close();
});

/** Saves the download a click starts; returns its path. */
async function downloadOf(page: Page, click: () => Promise<void>, name: string): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const file = path.join(dir, name);
  await download.saveAs(file);
  return file;
}

/** Opens a signing account for the tenant's signer through the API (the officer's form has its own journey). */
async function openAccount(of: typeof tenant, commonName: string, uid: string, pin: string): Promise<{ body: { id: string } }> {
  const res = await t.http().post('/api/v1/signing-accounts').set(auth(of.tokens.officer)).send({ userId: of.userIds.signer, organizationId: of.organizationId, pin, commonName, uid });
  expect(res.status).toBe(201);
  return res;
}

/** The signature widgets of a PDF: the index of their page and their /Rect. */
async function signatureRects(file: string): Promise<Array<{ page: number; rect: number[] }>> {
  const doc = await PDFDocument.load(readFileSync(file));
  const pages = doc.getPages().map((p) => p.ref.toString());
  const out: Array<{ page: number; rect: number[] }> = [];
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFDict) || object.get(PDFName.of('FT'))?.toString() !== '/Sig') continue;
    const rect = object.lookup(PDFName.of('Rect'), PDFArray).asArray().map((n) => (n as PDFNumber).asNumber());
    out.push({ page: pages.indexOf(object.get(PDFName.of('P'))!.toString()), rect });
  }
  return out;
}

// A journey drives a real browser through several screens: 11–20 s each on a quiet 2-core machine,
// so the 60 s default leaves too little margin when the PostgreSQL pass runs files in parallel.
describe.each(VIEWPORTS)('at $width×$height', { timeout: 150_000 }, (vp: Viewport) => {
  const desktop = vp.name === 'desktop';
  const suffix = vp.name;
  const holderName = `Trần Thị Hương ${desktop ? 'Một' : 'Hai'}`;
  let issuedSerial = '';

  it('the agency requests a certificate, the officer approves it, the agency downloads it', async () => {
    const { context, page } = await open(browser, vp);
    const officer = await open(browser, vp);
    try {
      await login(page, t.url, 'agency-web', 'agency-password-web');
      await page.getByRole('heading', { name: 'Yêu cầu chứng thư' }).waitFor();
      await checkScreen(page, vp, 'agency-requests');

      if (!desktop) await page.getByRole('button', { name: 'Danh mục' }).click();
      await page.getByRole('navigation').getByRole('link', { name: 'Tạo yêu cầu' }).click();
      await page.getByRole('heading', { name: 'Tạo yêu cầu cấp chứng thư' }).waitFor();
      // Focus moved to the new screen's heading.
      expect(await page.evaluate<string>('document.activeElement?.id')).toBe('page-title');
      await page.getByLabel('Phương tiện lưu khóa').selectOption('file');
      await page.getByLabel('Họ và tên (hoặc tên tổ chức)').fill(holderName);
      // A live check beside the field, in the page's language.
      await page.getByLabel('Số định danh').fill('CCCD:12345');
      await page.getByText('“CCCD:12345”: CCCD gồm đúng 12 chữ số.').waitFor();
      await page.getByLabel('Số định danh').fill(`CCCD:0012030045${desktop ? '11' : '22'}`);
      await page.getByLabel('Chức danh').fill('Giáo viên');
      await checkScreen(page, vp, 'request-new');
      await page.getByRole('button', { name: 'Gửi yêu cầu' }).click();
      await page.getByText('Đã gửi yêu cầu.').waitFor();
      await page.getByText('Chờ duyệt').first().waitFor();
      const requestId = page.url().split('/requests/')[1]!.split('?')[0]!;
      await checkScreen(page, vp, 'request-detail');

      await login(officer.page, t.url, 'officer-web', 'officer-password-web');
      await officer.page.getByRole('heading', { name: 'Yêu cầu chờ duyệt' }).waitFor();
      await officer.page.getByRole('checkbox', { name: `Chọn ${holderName}` }).check();
      await checkScreen(officer.page, vp, 'officer-queue');
      await officer.page.getByRole('button', { name: 'Duyệt 1 yêu cầu đã chọn' }).click();
      await officer.page.getByText('Đã duyệt 1 yêu cầu.').waitFor();
      const decided = await t.http().get(`/api/v1/certificate-requests/${requestId}`).set(auth(tenant.tokens.officer));
      expect(decided.body.status).toBe('issued');
      issuedSerial = decided.body.certificateSerial;

      await page.reload();
      await page.getByText('Đã cấp').first().waitFor();
      // The history names who did each step.
      await page.getByText('bởi Nguyễn Văn agency').waitFor();
      await page.getByText('bởi Nguyễn Văn officer').waitFor();
      await page.getByRole('link', { name: issuedSerial }).click();
      await page.getByRole('heading', { name: `Chứng thư số: ${holderName}` }).waitFor();
      const pem = readFileSync(await downloadOf(page, () => page.getByRole('button', { name: 'Tải PEM' }).click(), `${suffix}.pem`), 'utf8');
      expect(pem).toContain('-----BEGIN CERTIFICATE-----');
      await checkScreen(page, vp, 'certificate-agency');
      // The one-time key file, protected by a password the clerk chooses.
      await page.getByLabel('Đặt mật khẩu bảo vệ tệp khóa').fill('short');
      await page.getByRole('button', { name: 'Tải tệp khóa' }).click();
      await page.getByText('Mật khẩu gồm 8–64 ký tự ASCII in được.').waitFor();
      await page.getByLabel('Đặt mật khẩu bảo vệ tệp khóa').fill('mat-khau-tep-khoa');
      const p12 = await downloadOf(page, () => page.getByRole('button', { name: 'Tải tệp khóa' }).click(), `${suffix}.p12`);
      const subject = execFileSync('openssl', ['pkcs12', '-in', p12, '-passin', 'pass:mat-khau-tep-khoa', '-nokeys', '-clcerts'], { encoding: 'utf8' });
      expect(subject).toContain('BEGIN CERTIFICATE');
      await page.getByText('Đã tải tệp khóa.').waitFor();
    } finally {
      await context.close();
      await officer.context.close();
    }
  });

  it('the officer rejects a request with a reason and revokes a certificate after confirming', async () => {
    const { pem } = await makeCsr();
    const submitted = await t
      .http()
      .post('/api/v1/certificate-requests')
      .set(auth(tenant.tokens.agency))
      .send(tokenRequest(tenant.organizationId, pem, { subject: { commonName: `Lê Văn Bị Từ Chối ${suffix}`, uid: ['CCCD:001203004999'] } }));
    expect(submitted.status).toBe(201);
    const { context, page } = await open(browser, vp);
    try {
      await login(page, t.url, 'officer-web', 'officer-password-web');
      await page.goto(`${t.url}/requests/${submitted.body.id}`);
      await page.getByRole('heading', { name: `Yêu cầu (Cấp mới): Lê Văn Bị Từ Chối ${suffix}` }).waitFor();
      await checkScreen(page, vp, 'officer-request');
      await page.getByRole('button', { name: 'Từ chối' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('heading', { name: `Từ chối yêu cầu của Lê Văn Bị Từ Chối ${suffix}?` }).waitFor();
      // The reason is required.
      await dialog.getByRole('button', { name: 'Từ chối' }).click();
      await dialog.getByText('Hãy nhập trường này.').waitFor();
      await checkScreen(page, vp, 'officer-reject-dialog');
      await dialog.getByLabel('Lý do từ chối (người gửi sẽ thấy)').fill('Số CCCD không khớp hồ sơ');
      await dialog.getByRole('button', { name: 'Từ chối' }).click();
      await page.getByText('Đã từ chối yêu cầu.').waitFor();
      // The focus moves to the result.
      await page.waitForFunction("document.activeElement?.textContent?.includes('Đã từ chối yêu cầu.')");
      const rejected = await t.http().get(`/api/v1/certificate-requests/${submitted.body.id}`).set(auth(tenant.tokens.officer));
      expect(rejected.body).toMatchObject({ status: 'rejected', reason: 'Số CCCD không khớp hồ sơ' });

      // Search without diacritics, open, revoke with a reason in words, after a confirmation naming the certificate.
      if (!desktop) await page.getByRole('button', { name: 'Danh mục' }).click();
      await page.getByRole('navigation').getByRole('link', { name: 'Chứng thư số' }).click();
      await page.getByLabel('Tìm theo tên, số định danh, số hiệu hoặc dấu vân tay').fill(`tran thi huong ${desktop ? 'mot' : 'hai'}`);
      await page.getByRole('button', { name: 'Tìm', exact: true }).click();
      await page.getByRole('link', { name: holderName }).waitFor();
      await checkScreen(page, vp, 'certificates-search');
      await page.getByRole('link', { name: holderName }).click();
      await page.getByRole('button', { name: 'Thu hồi' }).click();
      await page.getByRole('dialog').getByRole('heading', { name: `Thu hồi chứng thư của ${holderName}` }).waitFor();
      await page.getByRole('dialog').getByText(issuedSerial).waitFor();
      await page.getByRole('dialog').getByLabel('Lý do').selectOption('affiliationChanged');
      await checkScreen(page, vp, 'officer-revoke-dialog');
      await page.getByRole('dialog').getByRole('button', { name: 'Thu hồi' }).click();
      await page.getByText('Đã thu hồi chứng thư.').waitFor();
      await page.getByText('Chuyển công tác, đổi đơn vị').first().waitFor();
      await page.getByRole('heading', { name: 'Lịch sử trạng thái' }).waitFor();
      const revoked = await t.http().get(`/api/v1/certificates/${issuedSerial}`).set(auth(tenant.tokens.officer));
      expect(revoked.body).toMatchObject({ status: 'revoked', revocationReason: 'affiliationChanged' });
      await checkScreen(page, vp, 'certificate-officer');
    } finally {
      await context.close();
    }
  });

  it('the admin creates an organization and a user, resets the password, the user must change it', async () => {
    const { context, page } = await open(browser, vp);
    const user = await open(browser, vp);
    try {
      await login(page, t.url, 'admin', 'admin-password-for-tests');
      await page.goto(`${t.url}/organizations`);
      await page.getByRole('heading', { name: 'Tổ chức', exact: true }).waitFor();
      const orgName = `Trạm Y tế Phường ${suffix}`;
      await page.getByLabel('Tên', { exact: true }).fill(orgName);
      await page.getByLabel('Mã', { exact: true }).fill(`TYT-${suffix}`);
      await page.getByLabel('Lĩnh vực').selectOption('health');
      await page.getByLabel('Tỉnh, thành phố').selectOption('Bình Dương');
      await checkScreen(page, vp, 'admin-organizations');
      await page.getByRole('button', { name: 'Tạo', exact: true }).click();
      await page.getByText('Đã tạo tổ chức.').waitFor();
      await page.getByRole('heading', { name: `Tổ chức: ${orgName}` }).waitFor();
      // Edit: the province moves to today's name.
      await page.getByLabel('Tỉnh, thành phố').selectOption('Hồ Chí Minh');
      await page.getByRole('button', { name: 'Lưu' }).click();
      await page.getByText('Đã lưu thay đổi.').waitFor();
      await checkScreen(page, vp, 'admin-organization');
      // Its certificates: the list keeps the organization in its address, names it, and can drop it.
      const organizationId = new URL(page.url()).pathname.split('/').pop();
      await page.getByRole('main').getByRole('link', { name: 'Chứng thư số' }).click();
      await page.getByText(`Chỉ hiện chứng thư của ${orgName}.`).waitFor();
      await page.getByText('Không tìm thấy chứng thư nào.').waitFor();
      await page.getByRole('button', { name: 'Tìm', exact: true }).click();
      expect(new URL(page.url()).searchParams.get('organizationId')).toBe(organizationId);
      await checkScreen(page, vp, 'certificates-organization');
      await page.getByRole('button', { name: 'Bỏ lọc theo tổ chức' }).click();
      await page.getByRole('link', { name: holderName }).waitFor();
      expect(new URL(page.url()).searchParams.has('organizationId')).toBe(false);

      await page.goto(`${t.url}/users`);
      const username = `ketoan-${suffix}`;
      // A username the API would refuse is named as such, with what it may contain.
      await page.getByLabel('Tên đăng nhập').fill('kế toán');
      await page.getByLabel('Họ và tên').fill('Phạm Thu Hà');
      await page.getByLabel('Vai trò').selectOption('agency');
      await page.getByLabel('Tổ chức').selectOption({ label: orgName });
      await page.getByLabel('Mật khẩu').fill('mat-khau-ban-dau-dai');
      await page.getByRole('button', { name: 'Tạo', exact: true }).click();
      await page.getByText('Tên đăng nhập gồm 3–64 ký tự').waitFor();
      await checkScreen(page, vp, 'admin-users');
      await page.getByLabel('Tên đăng nhập').fill(username);
      await page.getByRole('button', { name: 'Tạo', exact: true }).click();
      await page.getByText('Đã tạo người dùng.').waitFor();
      await checkScreen(page, vp, 'admin-user');

      if (!routes.has('/api/v1/users/{id}/reset-password')) return; // lands with the account-management API (#13)
      await page.getByRole('button', { name: 'Đặt lại mật khẩu' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Đặt lại mật khẩu' }).click();
      const notice = await page.getByText(/Mật khẩu tạm thời của/).textContent();
      const temporary = /: (\S+) —/.exec(notice ?? '')![1]!;
      await user.page.goto(`${t.url}/login`);
      await user.page.getByLabel('Tên đăng nhập').fill(username);
      await user.page.getByLabel('Mật khẩu').fill(temporary);
      await user.page.getByRole('button', { name: 'Đăng nhập' }).click();
      await user.page.getByText('Mật khẩu của bạn vừa được đặt lại.').waitFor();
      await checkScreen(user.page, vp, 'password-forced');
      await user.page.getByLabel('Mật khẩu hiện tại').fill(temporary);
      await user.page.getByLabel('Mật khẩu mới', { exact: true }).fill('mat-khau-moi-cua-ha');
      await user.page.getByLabel('Nhập lại mật khẩu mới').fill('mat-khau-moi-cua-ha');
      await user.page.getByRole('button', { name: 'Đổi mật khẩu' }).click();
      await user.page.getByRole('heading', { name: 'Yêu cầu chứng thư' }).waitFor();
      expect((await t.http().post('/api/v1/auth/login').send({ username, password: 'mat-khau-moi-cua-ha' })).status).toBe(200);
    } finally {
      await context.close();
      await user.context.close();
    }
  });

  it('the teacher changes the first PIN, signs a PDF that pdfsig accepts; the public page verifies it', async () => {
    const firstPin = '246813';
    const account = await openAccount(tenant, `Nguyễn Văn Giáo ${suffix}`, `CCCD:0012030047${desktop ? '01' : '02'}`, firstPin);
    const pdf = path.join(dir, `hoc-ba-${suffix}.pdf`);
    writeFileSync(pdf, unsignedPdf());
    const { context, page } = await open(browser, vp);
    const visitor = await open(browser, vp);
    try {
      await login(page, t.url, 'signer-web', 'signer-password-web');
      await page.getByRole('heading', { name: 'Ký tài liệu PDF' }).waitFor();
      if ((await page.getByLabel('Tài khoản ký').count()) > 0) await page.getByLabel('Tài khoản ký').selectOption(account.body.id);
      await checkScreen(page, vp, 'signer');
      await page.getByLabel('Mã PIN', { exact: true }).last().fill(firstPin);
      await page.getByLabel('Mã PIN mới', { exact: true }).fill('123456');
      await page.getByText('Mã PIN quá dễ đoán').waitFor();
      await page.getByLabel('Mã PIN mới', { exact: true }).fill('802461');
      await page.getByLabel('Nhập lại mã PIN mới').fill('802461');
      await page.getByRole('button', { name: 'Đổi mã PIN' }).click();
      await page.getByText('Đã đổi mã PIN.').waitFor();

      // The visible signature placed on the page preview: drawn with the pointer, moved with the keyboard.
      await page.getByLabel('Tài liệu PDF (có thể chọn nhiều)').setInputFiles(pdf);
      await page.getByLabel('Hiện chữ ký trên trang').check();
      const surface = page.locator('.page-surface');
      await page.getByRole('button', { name: /^Vùng chữ ký/ }).waitFor();
      const box = (await surface.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.1);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.15, { steps: 4 });
      await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.22, { steps: 4 });
      await page.mouse.up();
      await page.getByRole('button', { name: /^Vùng chữ ký/ }).focus();
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('Shift+ArrowDown');
      await checkScreen(page, vp, 'signer-placement');
      const shown = (await page.locator('#placement-at').textContent())!;
      const [x, y, w, h] = /x (\d+), y (\d+), rộng (\d+), cao (\d+)/.exec(shown)!.slice(1).map(Number) as [number, number, number, number];
      // The A4 page is 595 × 842 points: the area drawn from 10 % to 45 % across and 10 % to 22 % down, moved 10 points right, 5 points taller.
      const placed = [x, y, x + w, y + h];
      [0.1 * 595 + 10, (1 - 0.22) * 842 - 5, 0.45 * 595 + 10, (1 - 0.1) * 842].forEach((v, i) => expect(Math.abs(placed[i]! - v), `rect[${i}] ${placed.join(' ')}`).toBeLessThan(4));
      await page.getByLabel('Mã PIN', { exact: true }).first().fill('802461');
      await page.getByRole('button', { name: 'Ký tài liệu' }).click();
      await page.getByText('Đã ký 1 tài liệu.').waitFor();
      const signed = await downloadOf(page, () => page.getByRole('button', { name: /^Tải hoc-ba/ }).click(), `signed-${suffix}.pdf`);
      const report = execFileSync('pdfsig', [signed], { encoding: 'utf8' });
      expect(report).toContain('Signature Validation: Signature is Valid.');
      expect(await signatureRects(signed)).toEqual([{ page: 0, rect: placed }]);
      await checkScreen(page, vp, 'signer-signed');

      // Several PDFs at once: one sign job under one PIN, with its progress and a zip of the signed files.
      const second = path.join(dir, `bien-ban-${suffix}.pdf`);
      writeFileSync(second, unsignedPdf());
      await page.getByLabel('Tài liệu PDF (có thể chọn nhiều)').setInputFiles([pdf, second]);
      await page.getByLabel('Hiện chữ ký trên trang').check();
      await page.getByText('Đang xem tệp đầu tiên').waitFor();
      await page.getByRole('button', { name: /^Vùng chữ ký/ }).waitFor();
      await page.getByLabel('Lý do ký (không bắt buộc)').fill('Phê duyệt học bạ');
      await page.getByLabel('Mã PIN', { exact: true }).first().fill('802461');
      await page.getByRole('button', { name: 'Ký tài liệu' }).click();
      await page.getByRole('heading', { name: 'Ký hàng loạt' }).waitFor();
      await page.getByText('Đã ký xong: 2 tệp thành công, 0 tệp lỗi.').waitFor({ timeout: 30_000 });
      await checkScreen(page, vp, 'sign-job');
      const zip = readFileSync(await downloadOf(page, () => page.getByRole('button', { name: 'Tải các tệp đã ký (ZIP)' }).click(), `signed-${suffix}.zip`));
      expect(zip.subarray(0, 2).toString('latin1')).toBe('PK');
      expect(zip.includes(Buffer.from(`bien-ban-${suffix}.pdf`))).toBe(true);

      await visitor.page.goto(`${t.url}/verify`);
      await visitor.page.getByRole('heading', { name: 'Kiểm tra chữ ký số' }).waitFor();
      await checkScreen(visitor.page, vp, 'verify');
      await visitor.page.getByLabel('Tài liệu (PDF hoặc tài liệu gốc)').setInputFiles(signed);
      await visitor.page.getByRole('button', { name: 'Kiểm tra', exact: true }).click();
      await visitor.page.getByRole('heading', { name: /Kết quả kiểm tra/ }).waitFor();
      expect(await visitor.page.evaluate<string>('document.activeElement?.id')).toBe('verify-result');
      await visitor.page.getByText(`Nguyễn Văn Giáo ${suffix}`).first().waitFor();
      await visitor.page.getByText('Trường Tiểu học Hoa Sen').first().waitFor();
      await checkScreen(visitor.page, vp, 'verify-result');
    } finally {
      await context.close();
      await visitor.context.close();
    }
  });

  it('the auditor reads the statistics and the audit trail, checks the chain, downloads the yearly table', async () => {
    const { context, page } = await open(browser, vp);
    try {
      await login(page, t.url, 'auditor-web', 'auditor-password-web');
      await page.goto(`${t.url}/stats`);
      await page.getByRole('heading', { name: 'Chứng thư cấp theo tháng' }).waitFor();
      await page.locator('canvas').first().waitFor();
      await checkScreen(page, vp, 'stats');
      await page.getByLabel('Tính đến ngày').fill(new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10).split('-').reverse().join('/'));
      await page.getByRole('button', { name: 'Xem' }).last().click();
      await page.getByRole('button', { name: 'Tải Excel (XLSX)' }).waitFor();
      const xlsx = readFileSync(await downloadOf(page, () => page.getByRole('button', { name: 'Tải Excel (XLSX)' }).click(), `report-${suffix}.xlsx`));
      expect(xlsx.subarray(0, 2).toString('latin1')).toBe('PK');
      const csv = readFileSync(await downloadOf(page, () => page.getByRole('button', { name: 'Tải CSV' }).click(), `report-${suffix}.csv`), 'utf8');
      expect(csv.startsWith('\uFEFFChủ thể,Lĩnh vực,Tỉnh, thành phố'.replace('Tỉnh, thành phố', '"Tỉnh, thành phố"'))).toBe(true);
      expect(csv).toContain('Giáo dục và Đào tạo');
      await checkScreen(page, vp, 'stats-yearly');

      await page.goto(`${t.url}/audit`);
      await page.getByRole('heading', { name: 'Nhật ký kiểm tra' }).waitFor();
      await page.getByRole('button', { name: 'Kiểm tra chuỗi' }).click();
      await page.getByText(/Chuỗi nhật ký nguyên vẹn/).waitFor();
      await checkScreen(page, vp, 'audit');
    } finally {
      await context.close();
    }
  });

  it("the officer opens an organization's signing account for its signers", async () => {
    const { context, page } = await open(browser, vp);
    const seal = `Con dấu Trường Hoa Sen ${suffix}`;
    try {
      await login(page, t.url, 'officer-web', 'officer-password-web');
      await page.goto(`${t.url}/signing-accounts`);
      await page.getByRole('heading', { name: 'Tài khoản ký tập trung', exact: true }).waitFor();
      await page.getByLabel('Chủ thể').selectOption('organization');
      await page.getByLabel('Tổ chức', { exact: true }).selectOption(tenant.organizationId);
      await page.getByLabel('Tên trên chứng thư (tên tổ chức)').fill(seal);
      await page.getByLabel('Số định danh').fill('CCCD:001203004701');
      await page.getByText('Chứng thư tổ chức chỉ mang MST hoặc MNS.').waitFor();
      await page.getByLabel('Số định danh').fill(`MST:0100686209-00${desktop ? '1' : '2'}`);
      await page.getByLabel('Mã PIN ban đầu (người ký phải đổi)').fill('739164');
      await page.getByRole('button', { name: 'Mở tài khoản ký' }).click();
      await page.getByText('Chọn ít nhất một người ký của tổ chức.').waitFor();
      await page.getByLabel('Nguyễn Văn signer (signer-web)').check();
      await checkScreen(page, vp, 'accounts-organization-form');
      await page.getByRole('button', { name: 'Mở tài khoản ký' }).click();
      await page.getByText(/Đã mở tài khoản ký, số hiệu chứng thư/).waitFor();
      await page.getByRole('link', { name: seal }).click();
      await page.getByRole('heading', { name: new RegExp(seal) }).waitFor();
      await page.getByText('Nguyễn Văn signer (signer-web)').waitFor();
      await checkScreen(page, vp, 'account-organization');
    } finally {
      await context.close();
    }
  });

  it('every other screen of the admin passes the same checks', async () => {
    const { context, page } = await open(browser, vp);
    try {
      await login(page, t.url, 'admin', 'admin-password-for-tests');
      for (const [url, heading] of [
        ['/requests/upload', 'Gửi nhiều yêu cầu bằng bảng tính'],
        ['/certificates/import', 'Nhập chứng thư do nơi khác cấp'],
        ['/signing-accounts', 'Tài khoản ký tập trung'],
        ['/sectors', 'Lĩnh vực'],
        ['/trust-anchors', 'CA tin cậy (của hệ thống khác)'],
        ['/cas', 'Hệ thống CA'],
        ['/account/password', 'Đổi mật khẩu'],
        ['/no-such-screen', 'Không tìm thấy trang'],
      ]) {
        await page.goto(`${t.url}${url}`);
        await page.getByRole('heading', { name: heading, exact: true }).waitFor();
        await checkScreen(page, vp, `admin${url.replace(/\//g, '-')}`);
      }
    } finally {
      await context.close();
    }
  });

  it('an expired session comes back to the login saying so', async () => {
    const { context, page } = await open(browser, vp);
    try {
      await login(page, t.url, 'agency-web', 'agency-password-web');
      // The server forgets the session (as at expiry); the next request answers 401.
      await t.http().post('/api/v1/auth/logout').set(auth(await page.evaluate<string>("JSON.parse(sessionStorage.getItem('kyso.session')).token")));
      await page.goto(`${t.url}/certificates`);
      await page.getByText('Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại.').waitFor();
      expect(page.url()).toContain('/login?next=%2Fcertificates');
      await checkScreen(page, vp, 'login-expired');
    } finally {
      await context.close();
    }
  });
});

it('the page preview runs under the strict Content-Security-Policy, its worker started from our origin', async () => {
  // The journeys bypass the CSP so axe-core can be injected; this one keeps it.
  const csp = await seedTenant(t, 'csp', { name: 'Trường Tiểu học Sen Hồng', province: 'Huế' });
  const account = await openAccount(csp, 'Phạm Thị Sen', 'CCCD:001203004799', '246813');
  expect((await t.http().post(`/api/v1/signing-accounts/${account.body.id}/pin`).set(auth(csp.tokens.signer)).send({ pin: '246813', newPin: '802461' })).status).toBe(204);
  const pdf = path.join(dir, 'csp.pdf');
  writeFileSync(pdf, unsignedPdf());
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'vi-VN' });
  const page = await context.newPage();
  const refused: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
  });
  page.on('pageerror', (err) => refused.push(err.message));
  try {
    await login(page, t.url, 'signer-csp', 'signer-password-csp');
    await page.getByLabel('Tài liệu PDF (có thể chọn nhiều)').setInputFiles(pdf);
    await page.getByLabel('Hiện chữ ký trên trang').check();
    await page.getByRole('button', { name: /^Vùng chữ ký/ }).waitFor();
    // The page was drawn: the canvas holds dark pixels (the fixture's line of text).
    await page.waitForFunction(`(() => {
      const c = document.querySelector('.page-surface canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 128 && d[i + 3] > 0) return true;
      return false;
    })()`);
    expect(page.workers().map((w) => new URL(w.url()).origin)).toContain(new URL(t.url).origin);
    expect(refused).toEqual([]);
  } finally {
    await context.close();
  }
});

it("another user logging in on the same tab gets their own organizations, not the last user's cached list", async () => {
  const { context, page } = await open(browser, VIEWPORTS[0]);
  const fetched: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/v1/organizations') fetched.push(r.url());
  });
  try {
    await login(page, t.url, 'admin', 'admin-password-for-tests');
    await page.getByRole('navigation').getByRole('link', { name: 'Người dùng' }).click();
    await page.getByRole('heading', { name: 'Người dùng', exact: true }).waitFor();
    await page.waitForLoadState('networkidle');
    const before = fetched.length;
    expect(before).toBeGreaterThan(0);
    // Logout and login inside the application: no reload clears the module's cache.
    await page.getByRole('button', { name: 'Đăng xuất' }).click();
    await page.getByLabel('Tên đăng nhập').fill('officer-web');
    await page.getByLabel('Mật khẩu').fill('officer-password-web');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('navigation').getByRole('link', { name: 'Chứng thư số' }).click();
    await page.getByRole('heading', { name: 'Chứng thư số', exact: true }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(fetched.length).toBeGreaterThan(before);
  } finally {
    await context.close();
  }
});
