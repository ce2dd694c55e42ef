// kyso admin dashboard: a small static page over the JSON API (same login, bearer token in sessionStorage).
const TEXT = {
  vi: {
    title: 'kyso – Bảng điều khiển chứng thư số', langHint: 'Đổi ngôn ngữ', logout: 'Đăng xuất', login: 'Đăng nhập',
    username: 'Tên đăng nhập', password: 'Mật khẩu', signIn: 'Đăng nhập', filters: 'Bộ lọc', from: 'Từ ngày', to: 'Đến ngày',
    stackBy: 'Phân theo', apply: 'Áp dụng', monthly: 'Chứng thư cấp theo tháng', bySector: 'Chứng thư cấp theo lĩnh vực',
    csv: 'Tải CSV', statusTable: 'Tình trạng chứng thư tại ngày', asOf: 'Tính đến ngày', groupBy: 'Nhóm theo', show: 'Xem',
    accounts: 'Tài khoản ký số tập trung theo lĩnh vực', queue: 'Yêu cầu chờ duyệt', search: 'Tra cứu chứng thư',
    searchLabel: 'Tên, UID hoặc số hiệu', find: 'Tìm', holder: 'Đối tượng', medium: 'Phương tiện', sector: 'Lĩnh vực',
    province: 'Tỉnh (khi cấp)', currentProvince: 'Tỉnh (hiện nay)', issuer: 'Tổ chức cấp', month: 'Tháng', count: 'Số lượng',
    issued: 'Đã cấp', active: 'Hoạt động', suspended: 'Tạm dừng', revoked: 'Thu hồi', expired: 'Hết hạn', total: 'Tổng',
    individual: 'Cá nhân', organization: 'Tổ chức', token: 'USB token', sim: 'SIM PKI', remote: 'Ký số từ xa', file: 'Tệp PKCS#12',
    approve: 'Duyệt', reject: 'Từ chối', rejectReason: 'Lý do từ chối', revoke: 'Thu hồi', suspend: 'Tạm dừng', reason: 'Lý do',
    subject: 'Chủ thể', kind: 'Loại', created: 'Ngày gửi', serial: 'Số hiệu', status: 'Trạng thái', validUntil: 'Hiệu lực đến',
    actions: 'Thao tác', noData: 'Không có số liệu.', noRequests: 'Không có yêu cầu nào chờ duyệt.', noCertificates: 'Không tìm thấy chứng thư.',
    data: 'Xem số liệu', approved: 'Đã duyệt yêu cầu', rejected: 'Đã từ chối yêu cầu', done: 'Đã cập nhật chứng thư',
    loginFailed: 'Đăng nhập không thành công', chartOf: 'Biểu đồ', signedInAs: 'Đăng nhập:',
  },
  en: {
    title: 'kyso – Certificate dashboard', langHint: 'Switch language', logout: 'Log out', login: 'Log in',
    username: 'Username', password: 'Password', signIn: 'Log in', filters: 'Filters', from: 'From', to: 'To',
    stackBy: 'Stack by', apply: 'Apply', monthly: 'Certificates issued per month', bySector: 'Certificates issued by sector',
    csv: 'Download CSV', statusTable: 'Certificate status at a date', asOf: 'As of', groupBy: 'Group by', show: 'Show',
    accounts: 'Centralized signing accounts by sector', queue: 'Requests awaiting review', search: 'Certificate search',
    searchLabel: 'Name, UID or serial', find: 'Search', holder: 'Holder', medium: 'Medium', sector: 'Sector',
    province: 'Province (at issuance)', currentProvince: 'Province (today)', issuer: 'Issuer', month: 'Month', count: 'Count',
    issued: 'Issued', active: 'Active', suspended: 'Suspended', revoked: 'Revoked', expired: 'Expired', total: 'Total',
    individual: 'Individual', organization: 'Organization', token: 'USB token', sim: 'SIM PKI', remote: 'Remote signing', file: 'PKCS#12 file',
    approve: 'Approve', reject: 'Reject', rejectReason: 'Reason for rejection', revoke: 'Revoke', suspend: 'Suspend', reason: 'Reason',
    subject: 'Subject', kind: 'Kind', created: 'Submitted', serial: 'Serial', status: 'Status', validUntil: 'Valid until',
    actions: 'Actions', noData: 'No data.', noRequests: 'No request is waiting for review.', noCertificates: 'No certificate found.',
    data: 'Show the figures', approved: 'Request approved', rejected: 'Request rejected', done: 'Certificate updated',
    loginFailed: 'Login failed', chartOf: 'Chart', signedInAs: 'Signed in:',
  },
};
const COLORS = ['#0b5cad', '#e07b00', '#2e8b57', '#9b3fb5', '#c0392b', '#6b7a8f', '#00838f', '#8d6e63'];
const REASONS = ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation'];

let lang = localStorage.getItem('kyso.lang') || 'vi';
let token = sessionStorage.getItem('kyso.token');
let sectors = {};
const $ = (id) => document.getElementById(id);
const t = (key) => TEXT[lang][key] ?? key;
const label = (key, value) => (key === 'sector' ? sectors[value] || value : TEXT[lang][value] ?? value);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function say(text, error = false) {
  $('message').textContent = text;
  $('message').className = error ? 'error' : '';
}

async function api(path, options = {}) {
  const res = await fetch(path, {
    ...options,
    headers: { ...(options.body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers },
  });
  if (res.status === 401 && token) {
    logout();
    throw new Error(t('loginFailed'));
  }
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.blob();
  if (!res.ok) throw new Error(body.detail || res.statusText);
  return body;
}

function applyLanguage() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  $('lang').textContent = lang === 'vi' ? 'English' : 'Tiếng Việt';
  document.title = t('title');
}

function range() {
  const q = new URLSearchParams();
  if ($('from').value) q.set('from', $('from').value);
  if ($('to').value) q.set('to', $('to').value);
  return q;
}

/**
 * A stacked bar chart as inline SVG (vertical for months, horizontal for long names such as
 * sectors), with its figures in a table for screen readers and keyboards.
 */
function stackedBars(figure, title, categories, series, horizontal = false) {
  figure.replaceChildren();
  if (!categories.length) {
    figure.append(el('p', { class: 'empty' }, t('noData')));
    return;
  }
  const totals = categories.map((_, i) => series.reduce((n, s) => n + s.values[i], 0));
  const max = Math.max(1, ...totals);
  const W = 640;
  const H = horizontal ? 30 + categories.length * 26 : 260;
  const [left, bottom, top] = horizontal ? [190, 22, 6] : [48, 58, 10];
  const length = horizontal ? W - left - 20 : H - top - bottom;
  const step = horizontal ? 26 : (W - left - 10) / categories.length;
  const bar = Math.min(horizontal ? 18 : 48, Math.max(2, step * 0.7));
  const scale = (v) => (length * v) / max;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${t('chartOf')}: ${title}`);
  const add = (name, attrs, text) => {
    const node = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  for (const f of [0, 0.5, 1]) {
    const value = Math.round(max * f).toLocaleString(lang);
    if (horizontal) {
      const x = left + scale(max * f);
      add('line', { x1: x, x2: x, y1: top, y2: H - bottom, stroke: '#d6dbe2' });
      add('text', { x, y: H - 6, 'text-anchor': 'middle', 'font-size': 11, fill: '#5b6675' }, value);
    } else {
      const y = top + length - scale(max * f);
      add('line', { x1: left, x2: W - 5, y1: y, y2: y, stroke: '#d6dbe2' });
      add('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5b6675' }, value);
    }
  }
  const every = horizontal ? 1 : Math.ceil(categories.length / 14);
  categories.forEach((category, i) => {
    let base = 0;
    const offset = (horizontal ? top : left) + i * step + (step - bar) / 2;
    series.forEach((s, k) => {
      const v = s.values[i];
      if (!v) return;
      const box = horizontal
        ? { x: left + scale(base), y: offset, width: scale(v), height: bar }
        : { x: offset, y: top + length - scale(base + v), width: bar, height: scale(v) };
      const rect = add('rect', { ...box, fill: COLORS[k % COLORS.length] });
      rect.append(Object.assign(document.createElementNS(ns, 'title'), { textContent: `${category} – ${s.name}: ${v.toLocaleString(lang)}` }));
      base += v;
    });
    if (i % every !== 0) return;
    const name = category.length > 30 ? `${category.slice(0, 29)}…` : category;
    if (horizontal) add('text', { x: left - 6, y: offset + bar / 2 + 4, 'font-size': 11, 'text-anchor': 'end', fill: '#1d2733' }, name);
    else {
      const x = offset + bar / 2;
      add('text', { x, y: H - bottom + 14, 'font-size': 10, 'text-anchor': 'end', transform: `rotate(-40 ${x} ${H - bottom + 14})`, fill: '#1d2733' }, name);
    }
  });
  const legend = el('div', { class: 'legend' }, series.map((s, k) => el('span', { style: `--swatch:${COLORS[k % COLORS.length]}` }, s.name)));
  const table = el('table', {},
    el('thead', {}, el('tr', {}, el('th', {}, ''), series.map((s) => el('th', { class: 'n' }, s.name)), el('th', { class: 'n' }, t('total')))),
    el('tbody', {}, categories.map((c, i) => el('tr', {}, el('th', {}, c), series.map((s) => el('td', { class: 'n' }, s.values[i].toLocaleString(lang))), el('td', { class: 'n' }, totals[i].toLocaleString(lang))))),
  );
  figure.append(svg, legend, el('details', {}, el('summary', {}, t('data')), table));
}

/** Rows of {category, series, count} pivoted into categories and series for stackedBars. */
function pivot(rows, categoryOf, seriesOf) {
  const categories = [...new Set(rows.map(categoryOf))];
  const names = [...new Set(rows.map(seriesOf))];
  const series = names.map((name) => ({ name, values: categories.map((c) => rows.filter((r) => categoryOf(r) === c && seriesOf(r) === name).reduce((n, r) => n + r.count, 0)) }));
  return { categories, series };
}

async function loadCharts() {
  const stackBy = $('stackBy').value;
  const q = range();
  const [monthly, bySector, accounts] = await Promise.all([
    api(`/api/v1/stats/issuance?${q}&groupBy=month,${stackBy}`),
    api(`/api/v1/stats/issuance?${q}&groupBy=sector,${stackBy}`),
    api(`/api/v1/stats/signing-accounts?${q}&groupBy=sector`),
  ]);
  const m = pivot(monthly.rows, (r) => r.month, (r) => label(stackBy, r[stackBy]));
  stackedBars($('monthly-chart'), t('monthly'), m.categories, m.series);
  const s = pivot(bySector.rows, (r) => label('sector', r.sector), (r) => label(stackBy, r[stackBy]));
  stackedBars($('sector-chart'), t('bySector'), s.categories, s.series, true);
  const a = pivot(accounts.rows, (r) => label('sector', r.sector), () => t('accounts'));
  stackedBars($('accounts-chart'), t('accounts'), a.categories, a.series, true);
}

async function loadStatus() {
  const group = $('statusGroup').value;
  const report = await api(`/api/v1/stats/status?asOf=${$('asOf').value}&groupBy=${group}`);
  const columns = ['issued', 'active', 'suspended', 'revoked', 'expired'];
  const row = (name, counts, header = false) =>
    el('tr', {}, el(header ? 'th' : 'td', {}, name), columns.map((c) => el('td', { class: 'n' }, counts[c].toLocaleString(lang))));
  $('status-table').replaceChildren(
    el('table', {},
      el('caption', { class: 'visually-hidden' }, `${t('statusTable')} ${report.asOf}`),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t(group)), columns.map((c) => el('th', { scope: 'col', class: 'n' }, t(c))))),
      el('tbody', {}, report.rows.map((r) => row(label(group, r[group]), r))),
      el('tfoot', {}, row(t('total'), report.total, true)),
    ),
  );
}

async function loadQueue() {
  const { items } = await api('/api/v1/certificate-requests?status=submitted&limit=50');
  if (!items.length) {
    $('queue').replaceChildren(el('p', { class: 'empty' }, t('noRequests')));
    return;
  }
  $('queue').replaceChildren(
    el('table', {},
      el('thead', {}, el('tr', {}, [t('subject'), t('kind'), t('holder'), t('medium'), t('created'), t('actions')].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, items.map((r) => {
        const reasonId = `reason-${r.id}`;
        const decide = async (action, body) => {
          try {
            await api(`/api/v1/certificate-requests/${r.id}/${action}`, { method: 'POST', body: JSON.stringify(body ?? {}) });
            say(`${t(action === 'approve' ? 'approved' : 'rejected')}: ${r.subject.commonName}`);
            await Promise.all([loadQueue(), loadCharts(), loadStatus()]);
          } catch (err) {
            say(err.message, true);
          }
        };
        return el('tr', {},
          el('td', {}, r.subject.commonName),
          el('td', {}, r.kind),
          el('td', {}, label('holder', r.holder)),
          el('td', {}, label('medium', r.medium)),
          el('td', {}, new Date(r.createdAt).toLocaleDateString(lang)),
          el('td', {},
            el('button', { type: 'button', onclick: () => decide('approve'), 'aria-label': `${t('approve')} ${r.subject.commonName}` }, t('approve')), ' ',
            el('label', { for: reasonId, class: 'visually-hidden' }, t('rejectReason')),
            el('input', { id: reasonId, size: 14, placeholder: t('rejectReason') }), ' ',
            el('button', { type: 'button', class: 'secondary', 'aria-label': `${t('reject')} ${r.subject.commonName}`,
              onclick: () => decide('reject', { reason: $(reasonId).value.trim() || '—' }) }, t('reject')),
          ),
        );
      })),
    ),
  );
}

async function search(q) {
  const { items } = await api(`/api/v1/certificates?q=${encodeURIComponent(q)}&limit=50`);
  if (!items.length) {
    $('certificates').replaceChildren(el('p', { class: 'empty' }, t('noCertificates')));
    return;
  }
  $('certificates').replaceChildren(
    el('table', {},
      el('thead', {}, el('tr', {}, [t('subject'), t('serial'), t('status'), t('validUntil'), t('actions')].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, items.map((c) => {
        const reasonId = `revoke-${c.serial}`;
        const change = async (action, body) => {
          try {
            await api(`/api/v1/certificates/${c.serial}/${action}`, { method: 'POST', body: JSON.stringify(body ?? {}) });
            say(`${t('done')}: ${c.commonName ?? c.serial}`);
            await search(q);
          } catch (err) {
            say(err.message, true);
          }
        };
        const live = c.status === 'active' || c.status === 'suspended';
        return el('tr', {},
          el('td', {}, c.commonName ?? c.subject),
          el('td', {}, el('code', {}, c.serial)),
          el('td', {}, t(c.status)),
          el('td', {}, new Date(c.notAfter).toLocaleDateString(lang)),
          el('td', {}, live ? [
            el('label', { for: reasonId, class: 'visually-hidden' }, t('reason')),
            el('select', { id: reasonId }, REASONS.map((r) => el('option', { value: r }, r))), ' ',
            el('button', { type: 'button', onclick: () => change('revoke', { reason: $(reasonId).value }) }, t('revoke')), ' ',
            c.status === 'active' ? el('button', { type: 'button', class: 'secondary', onclick: () => change('suspend') }, t('suspend')) : null,
          ] : ''),
        );
      })),
    ),
  );
}

async function downloadCsv(button) {
  const q = button.dataset.stat === 'status' ? new URLSearchParams({ asOf: $('asOf').value, groupBy: $('statusGroup').value }) : range();
  if (button.dataset.group) q.set('groupBy', button.dataset.group);
  q.set('format', 'csv');
  const blob = await api(`/api/v1/stats/${button.dataset.stat}?${q}`);
  const a = el('a', { href: URL.createObjectURL(blob), download: `kyso-${button.dataset.stat}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
}

async function showDashboard() {
  const me = await api('/api/v1/auth/me');
  $('who').textContent = `${t('signedInAs')} ${me.username} (${me.role})`;
  $('login').hidden = true;
  $('dashboard').hidden = false;
  $('logout').hidden = false;
  sectors = Object.fromEntries((await api('/api/v1/sectors')).map((s) => [s.code, s.name]));
  const tasks = [loadCharts(), loadStatus()];
  if (me.role === 'officer' || me.role === 'admin') tasks.push(loadQueue());
  else $('queue-title').parentElement.hidden = true;
  await Promise.all(tasks);
}

function logout() {
  token = null;
  sessionStorage.removeItem('kyso.token');
  $('dashboard').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('who').textContent = '';
}

const guard = (fn) => async (event) => {
  event?.preventDefault();
  try {
    await fn(event);
  } catch (err) {
    say(err.message, true);
  }
};

document.addEventListener('DOMContentLoaded', () => {
  const today = new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10);
  $('asOf').value = today;
  $('from').value = `${Number(today.slice(0, 4)) - 2}-01-01`;
  $('to').value = today;
  applyLanguage();
  $('lang').addEventListener('click', guard(async () => {
    lang = lang === 'vi' ? 'en' : 'vi';
    localStorage.setItem('kyso.lang', lang);
    applyLanguage();
    if (token) await showDashboard();
  }));
  $('login').addEventListener('submit', guard(async () => {
    try {
      const res = await api('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ username: $('username').value, password: $('password').value }) });
      token = res.token;
      sessionStorage.setItem('kyso.token', token);
    } catch {
      throw new Error(t('loginFailed'));
    }
    say('');
    await showDashboard();
  }));
  $('logout').addEventListener('click', guard(async () => {
    await api('/api/v1/auth/logout', { method: 'POST' }).catch(() => undefined);
    logout();
  }));
  $('filters').addEventListener('submit', guard(loadCharts));
  $('status-form').addEventListener('submit', guard(loadStatus));
  $('search-form').addEventListener('submit', guard(() => search($('q').value)));
  for (const button of document.querySelectorAll('.csv')) button.addEventListener('click', guard(() => downloadCsv(button)));
  if (token) showDashboard().catch((err) => say(err.message, true));
});
