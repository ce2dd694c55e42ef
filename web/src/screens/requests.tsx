import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, currentUser, isStaff, saveBlob } from '../api';
import { checkCsr, checkEmail, checkLength, checkMsisdn, checkUids, splitUids } from '../checks';
import { organizations, orgName, ownOrganizationId } from '../data';
import { formatDate, formatDateTime, label, t } from '../i18n';
import { msg, msgOf, type Msg } from '../i18n';
import { Link, navigate, useLocation } from '../router';
import { Button, DataTable, ErrorNotice, Facts, OrganizationField, FileField, Loaded, Notice, Page, ReasonText, SelectField, TextArea, TextField, errorText, fieldErrors, useConfirm, useLoad, valueOf , useAction, tData } from '../ui';

/** A certificate request as the API answers it. */
export interface CertificateRequest {
  id: string;
  kind: string;
  status: 'submitted' | 'approved' | 'issued' | 'rejected' | 'cancelled';
  holder: string;
  medium: string;
  organizationId: string;
  subject: { commonName: string; uid: string[] | string; title?: string; organizationalUnit?: string; locality?: string; email?: string };
  msisdn?: string;
  carrier?: string;
  targetSerial?: string;
  requestReason?: string;
  requestedBy: string;
  requestedByName?: string;
  createdAt: string;
  decidedBy?: string;
  decidedByName?: string;
  decidedAt?: string;
  reason?: string;
  certificateSerial?: string;
  publicKey?: string;
}

const uids = (u: string[] | string) => (Array.isArray(u) ? u : [u]).join(', ');
const options = (group: 'holder' | 'medium' | 'reqStatus' | 'kind', codes: string[], all = true) => [
  ...(all ? [{ value: '', label: t('common.all') }] : []),
  ...codes.map((c) => ({ value: c, label: label(group, c) })),
];
/** The requests the user may see: the officer's review queue (selection, approve several), the clerk's own. */
export function RequestListScreen(): JSX.Element {
  const staff = isStaff();
  const { query } = useLocation();
  const [status, setStatus] = useState(query.get('status') ?? (staff ? 'submitted' : ''));
  const [holder, setHolder] = useState('');
  const [medium, setMedium] = useState('');
  const [pages, setPages] = useState<string[]>(['']);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [result, setResult] = useState<{ ok: number; failed: string[] } | null>(null);
  const { busy, error, run } = useAction();
  const filter = new URLSearchParams({ ...(status ? { status } : {}), ...(holder ? { holder } : {}), ...(medium ? { medium } : {}) });
  const orgs = useLoad(() => organizations(), []);
  const list = useLoad(async () => {
    const items: CertificateRequest[] = [];
    let next: string | null = null;
    for (const cursor of pages) {
      const page: { items: CertificateRequest[]; nextCursor: string | null } = await api(`/api/v1/certificate-requests?${filter}&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      items.push(...page.items);
      next = page.nextCursor;
    }
    return { items, next };
  }, [filter.toString(), pages.join(',')]);

  const approve = async () => {
    setResult(null);
    await run(async () => {
      const answer = await api<{ results: Array<{ id?: string; status: string; error?: { status: number; detail: string } }> }>('/api/v1/certificate-requests/approve-batch', {
        method: 'POST',
        body: { ids: [...selected] },
      });
      const failed = answer.results.filter((r) => r.error).map((r) => `${r.id ?? ''}`);
      setResult({ ok: answer.results.length - failed.length, failed });
      setSelected(new Set());
      list.reload();
    });
  };

  return (
    <Page title={staff && status === 'submitted' ? t('requests.queue') : t('requests.title')}>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setPages(['']);
        }}
      >
        <SelectField label={t('common.status')} value={status} onChange={(v) => (setStatus(v), setPages(['']))} options={options('reqStatus', ['submitted', 'approved', 'issued', 'rejected', 'cancelled'])} />
        <SelectField label={t('field.holder')} value={holder} onChange={(v) => (setHolder(v), setPages(['']))} options={options('holder', ['individual', 'organization'])} />
        <SelectField label={t('field.medium')} value={medium} onChange={(v) => (setMedium(v), setPages(['']))} options={options('medium', ['token', 'sim', 'file', 'remote'])} />
      </form>
      {!staff ? (
        <p class="actions">
          <Link class="btn primary" href="/requests/new">
            {t('nav.newRequest')}
          </Link>
          <Link class="btn plain" href="/requests/upload">
            {t('nav.upload')}
          </Link>
        </p>
      ) : null}
      {result ? (
        <Notice kind={result.failed.length ? 'error' : 'ok'}>
          {t('requests.approved', { n: result.ok })} {result.failed.length ? t('requests.approveFailed', { n: result.failed.length }) : ''}
        </Notice>
      ) : null}
      <ErrorNotice error={error} />
      <Loaded state={list}>
        {(data) => (
          <>
            {staff && data.items.some((r) => r.status === 'submitted') ? (
              <div class="actions">
                <Button kind="primary" busy={busy} disabled={selected.size === 0} onClick={approve}>
                  {t('requests.approveSelected', { n: selected.size })}
                </Button>
              </div>
            ) : null}
            <DataTable
              caption={t('requests.title')}
              captionHidden
              rowKey={(r) => r.id}
              rows={data.items}
              columns={[
                ...(staff
                  ? [
                      {
                        header: t('common.select', { name: '' }).trim(),
                        render: (r: CertificateRequest) =>
                          r.status === 'submitted' ? (
                            <input
                              type="checkbox"
                              aria-labelledby={`select-${r.id} name-${r.id}`}
                              checked={selected.has(r.id)}
                              onChange={(e) => {
                                const next = new Set(selected);
                                if ((e.target as HTMLInputElement).checked) next.add(r.id);
                                else next.delete(r.id);
                                setSelected(next);
                              }}
                            />
                          ) : null,
                      },
                    ]
                  : []),
                {
                  header: t('common.name'),
                  data: true,
                  render: (r) => (
                    <>
                      <span class="visually-hidden" id={`select-${r.id}`} translate={false}>
                        {t('common.select', { name: '' }).trim()}
                      </span>
                      <Link href={`/requests/${r.id}`} id={`name-${r.id}`}>
                        {r.subject.commonName}
                      </Link>
                    </>
                  ),
                },
                { header: t('field.kind'), render: (r) => label('kind', r.kind) },
                { header: t('field.holder'), render: (r) => label('holder', r.holder) },
                { header: t('field.medium'), render: (r) => label('medium', r.medium) },
                ...(staff ? [{ header: t('field.organization'), data: true, render: (r: CertificateRequest) => orgName(orgs.data, r.organizationId) ?? r.organizationId }] : []),
                { header: t('common.status'), render: (r) => <span class={`badge ${r.status}`}>{label('reqStatus', r.status)}</span> },
                { header: t('common.createdAt'), render: (r) => formatDate(r.createdAt) },
              ]}
            />
            {data.next ? (
              <Button onClick={() => setPages([...pages, data.next!])} busy={list.loading}>
                {t('common.more')}
              </Button>
            ) : null}
          </>
        )}
      </Loaded>
    </Page>
  );
}

/** The subject fields a form edits, as typed. */
export type SubjectValue = Record<'commonName' | 'uid' | 'title' | 'organizationalUnit' | 'locality' | 'email', string>;

/** The subject fields of a request form with their live checks; `errors` from the server win. */
export function SubjectFields(props: {
  holder: 'individual' | 'organization';
  value: SubjectValue;
  onChange: (v: SubjectValue) => void;
  tried: boolean;
  server: Record<string, string>;
}): JSX.Element {
  const v = props.value;
  const set = (k: keyof typeof v) => (x: string) => props.onChange({ ...v, [k]: x });
  const live = (text: string, check: string | undefined) => (props.tried || text !== '' ? check : undefined);
  return (
    <>
      <TextField label={t('field.commonName')} required value={v.commonName} onInput={set('commonName')} error={props.server['subject.commonName'] ?? live(v.commonName, checkLength(v.commonName, 64, true))} autoComplete="name" />
      <TextField label={t('field.uid')} required hint={t('field.uidHint')} value={v.uid} onInput={set('uid')} error={props.server['subject.uid'] ?? live(v.uid, checkUids(v.uid, props.holder))} />
      <TextField label={t('field.title')} value={v.title} onInput={set('title')} error={props.server['subject.title'] ?? checkLength(v.title, 64)} />
      <TextField label={t('field.unit')} value={v.organizationalUnit} onInput={set('organizationalUnit')} error={props.server['subject.organizationalUnit'] ?? checkLength(v.organizationalUnit, 64)} />
      <TextField label={t('field.locality')} value={v.locality} onInput={set('locality')} error={props.server['subject.locality'] ?? checkLength(v.locality, 128)} />
      <TextField label={t('field.email')} type="email" value={v.email} onInput={set('email')} error={props.server['subject.email'] ?? checkEmail(v.email)} autoComplete="email" />
    </>
  );
}

/** The subject as the API takes it (empty optional fields left out). */
export const subjectBody = (v: SubjectValue) => ({
  commonName: v.commonName.trim(),
  uid: splitUids(v.uid),
  ...(v.title.trim() ? { title: v.title.trim() } : {}),
  ...(v.organizationalUnit.trim() ? { organizationalUnit: v.organizationalUnit.trim() } : {}),
  ...(v.locality.trim() ? { locality: v.locality.trim() } : {}),
  ...(v.email.trim() ? { email: v.email.trim() } : {}),
});

export const emptySubject = (): SubjectValue => ({ commonName: '', uid: '', title: '', organizationalUnit: '', locality: '', email: '' });

/** A new certificate request, checked as it is typed. */
export function NewRequestScreen(): JSX.Element {
  const staff = isStaff();
  const orgs = useLoad(() => organizations(), []);
  const [holder, setHolder] = useState<'individual' | 'organization'>('individual');
  const [medium, setMedium] = useState<'token' | 'sim' | 'file'>('token');
  const [organizationId, setOrganizationId] = useState(ownOrganizationId() ?? '');
  const [subject, setSubject] = useState(emptySubject());
  const [csr, setCsr] = useState('');
  const [msisdn, setMsisdn] = useState('');
  const [carrier, setCarrier] = useState('');
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useAction();
  const server = fieldErrors(error);
  const needsCsr = medium !== 'file';
  const problems = [
    checkLength(subject.commonName, 64, true),
    checkUids(subject.uid, holder),
    checkLength(subject.title, 64),
    checkLength(subject.organizationalUnit, 64),
    checkLength(subject.locality, 128),
    checkEmail(subject.email),
    needsCsr ? checkCsr(csr) : undefined,
    medium === 'sim' ? checkMsisdn(msisdn) : undefined,
    medium === 'sim' && !carrier.trim() ? 'carrier' : undefined,
    !organizationId ? 'organization' : undefined,
  ].filter(Boolean);
  return (
    <Page title={t('requests.new')}>
      <form
        class="card"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTried(true);
          if (problems.length) {
            (e.currentTarget.querySelector('[aria-invalid="true"]') as HTMLElement | null)?.focus();
            return;
          }
          await run(async () => {
            const created = await api<{ id: string }>('/api/v1/certificate-requests', {
              method: 'POST',
              body: {
                kind: 'new',
                holder,
                medium,
                organizationId,
                subject: subjectBody(subject),
                ...(needsCsr ? { csr: csr.trim() } : {}),
                ...(medium === 'sim' ? { msisdn: msisdn.trim(), carrier: carrier.trim() } : {}),
              },
            });
            navigate(`/requests/${created.id}?submitted=1`);
          });
        }}
      >
        <ErrorNotice error={error} />
        <fieldset>
          <legend>{t('field.holder')}</legend>
          <SelectField label={t('field.holder')} value={holder} onChange={(v) => setHolder(v as typeof holder)} options={options('holder', ['individual', 'organization'], false)} />
          <SelectField label={t('field.medium')} value={medium} onChange={(v) => setMedium(v as typeof medium)} options={options('medium', ['token', 'sim', 'file'], false)} />
          {staff ? (
            <OrganizationField
              orgs={orgs}
              value={organizationId}
              onChange={setOrganizationId}
              error={tried && !organizationId ? t('check.required') : server.organizationId}
            />
          ) : null}
        </fieldset>
        <fieldset>
          <legend>{t('field.subject')}</legend>
          <SubjectFields holder={holder} value={subject} onChange={setSubject} tried={tried} server={server} />
        </fieldset>
        {needsCsr ? (
          <fieldset>
            <legend>{t('field.csr')}</legend>
            <TextArea label={t('field.csr')} required hint={t('field.csrHint')} rows={6} value={csr} onInput={setCsr} error={server.csr ?? (tried || csr ? checkCsr(csr) : undefined)} />
            <FileField label={t('field.csrFile')} accept=".csr,.pem,.req,.txt" onFiles={(files) => void files[0]?.text().then(setCsr, () => setCsr(''))} />
            {medium === 'sim' ? (
              <>
                <TextField label={t('field.msisdn')} required hint={t('field.msisdnHint')} inputMode="numeric" value={msisdn} onInput={setMsisdn} error={server.msisdn ?? (tried || msisdn ? checkMsisdn(msisdn) : undefined)} />
                <TextField label={t('field.carrier')} required value={carrier} onInput={setCarrier} error={server.carrier ?? (tried && !carrier.trim() ? t('check.required') : undefined)} />
              </>
            ) : null}
          </fieldset>
        ) : null}
        <Button kind="primary" type="submit" busy={busy}>
          {t('requests.submit')}
        </Button>
      </form>
    </Page>
  );
}

const TEMPLATE_COLUMNS = ['kind', 'holder', 'medium', 'organizationId', 'commonName', 'uid', 'title', 'organizationalUnit', 'locality', 'email', 'csr', 'msisdn', 'carrier'];

/** Many requests from one CSV file, with one result per row. */
export function UploadRequestsScreen(): JSX.Element {
  const [file, setFile] = useState<File | null>(null);
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useAction();
  type RowResult = {
    index: number;
    id?: string;
    status: string;
    error?: { status: number; detail: string; errors?: Array<{ path: string; message: string }> };
  };
  const [results, setResults] = useState<RowResult[] | null>(null);
  const template = () => {
    const org = ownOrganizationId() ?? '';
    const sample = ['new', 'individual', 'file', org, 'Nguyễn Văn An', 'CCCD:001203004567', 'Giáo viên', '', '', '', '', '', ''];
    const csv = `\uFEFF${TEMPLATE_COLUMNS.join(',')}\r\n${sample.map((c) => (/[",]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')}\r\n`;
    saveBlob(new Blob([csv], { type: 'text/csv;charset=utf-8' }), 'kyso-yeu-cau-mau.csv');
  };
  const ok = results?.filter((r) => !r.error).length ?? 0;
  return (
    <Page title={t('requests.upload')} lead={t('requests.uploadHint')}>
      <p>
        <Button onClick={template}>{t('requests.template')}</Button>
      </p>
      <form
        class="card"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTried(true);
          if (!file) return;
          setResults(null);
          await run(async () => {
            const text = (await file.text()).replace(/^\uFEFF/, '');
            const answer = await api<{ results: NonNullable<typeof results> }>('/api/v1/certificate-requests/batch', {
              method: 'POST',
              body: new Blob([text], { type: 'text/csv' }),
              headers: { 'Content-Type': 'text/csv' },
            });
            setResults(answer.results);
          });
        }}
      >
        <ErrorNotice error={error} />
        <FileField label={t('common.file')} accept=".csv,text/csv" required onFiles={(f) => setFile(f[0] ?? null)} error={tried && !file ? t('check.file') : undefined} />
        <Button kind="primary" type="submit" busy={busy}>
          {t('requests.uploadSubmit')}
        </Button>
      </form>
      {results ? (
        <>
          <Notice kind={ok === results.length ? 'ok' : 'error'}>{t('requests.uploadResult', { ok, bad: results.length - ok })}</Notice>
          <DataTable
            caption={t('common.result')}
            rowKey={(r) => String(r.index)}
            rows={results}
            columns={[
              { header: t('common.row'), numeric: true, render: (r) => r.index + 2 },
              { header: t('common.status'), render: (r) => (r.error ? t('common.failed') : label('reqStatus', r.status)) },
              { header: t('common.details'), render: (r) => (r.error ? rowError(r.error) : r.id ? <Link href={`/requests/${r.id}`}>{t('common.open')}</Link> : null) },
            ]}
          />
        </>
      ) : null}
    </Page>
  );
}

/** A batch row's error in words: each field problem translated where kyso knows it. */
function rowError(e: { status: number; detail: string; errors?: Array<{ path: string; message: string }> }): JSX.Element {
  const err = new ApiError(e.status, e.detail, e.errors ?? []);
  const perField = Object.entries(fieldErrors(err));
  return perField.length ? (
    <ul class="plain">
      {perField.map(([path, message]) => (
        <li key={path}>
          <span translate={false}>{path}</span>: {message}
        </li>
      ))}
    </ul>
  ) : (
    <span>{errorText(err)}</span>
  );
}

/** Who did a step of the history, by name (a person's name is data: not translated). */
function By(props: { name?: string }): JSX.Element | null {
  if (!props.name) return null;
  return (
    <>
      {' '}
      {t('requests.by')} <span translate={false}>{props.name}</span>
    </>
  );
}

/** One request: its subject, key, organization and history; the officer decides, the requester may cancel. */
export function RequestScreen(props: { params: Record<string, string> }): JSX.Element {
  const { query } = useLocation();
  const state = useLoad(() => api<CertificateRequest>(`/api/v1/certificate-requests/${encodeURIComponent(props.params.id!)}`), [props.params.id]);
  const orgs = useLoad(() => organizations(), []);
  const [notice, setNotice] = useState<Msg | null>(query.get('submitted') ? msg('requests.submitted') : null);
  const { busy, error, run } = useAction();
  const confirm = useConfirm();
  const user = currentUser();
  return (
    <Loaded state={state}>
      {(r) => (
        <Page title={t('requests.detail', { kind: label('kind', r.kind) })} name={r.subject.commonName}>
          {notice ? <Notice kind="ok">{notice.say()}</Notice> : null}
          <ErrorNotice error={error} />
          <div class="grid2">
            <div class="card">
              <Facts
                items={[
                  [t('common.status'), <span class={`badge ${r.status}`}>{label('reqStatus', r.status)}</span>],
                  [t('field.kind'), label('kind', r.kind)],
                  [t('field.holder'), label('holder', r.holder)],
                  [t('field.medium'), label('medium', r.medium)],
                  [t('field.organization'), orgs.data ? (orgName(orgs.data, r.organizationId) ?? r.organizationId) : '…', true],
                  [t('field.commonName'), r.subject.commonName, true],
                  [t('field.uid'), uids(r.subject.uid), true],
                  [t('field.title'), r.subject.title, true],
                  [t('field.unit'), r.subject.organizationalUnit, true],
                  [t('field.locality'), r.subject.locality, true],
                  [t('field.email'), r.subject.email, true],
                  ...(r.msisdn ? ([[t('field.msisdn'), r.msisdn, true], [t('field.carrier'), r.carrier, true]] as Array<[string, string | undefined, boolean]>) : []),
                  ...(r.publicKey ? ([[t('requests.csrInfo'), r.publicKey, true]] as Array<[string, string, boolean]>) : []),
                  ...(r.targetSerial ? ([[t('requests.target'), <Link href={`/certificates/${r.targetSerial}`}>{r.targetSerial}</Link>, true]] as Array<[string, JSX.Element, boolean]>) : []),
                  ...(r.requestReason ? ([[t('requests.noteOrReason'), r.kind === 'revoke' ? label('reason', r.requestReason) : r.requestReason]] as Array<[string, string]>) : []),
                  ...(r.certificateSerial && r.kind !== 'revoke' && r.kind !== 'suspend' && r.kind !== 'resume'
                    ? ([[t('requests.issuedCert'), <Link href={`/certificates/${r.certificateSerial}`}>{r.certificateSerial}</Link>, true]] as Array<[string, JSX.Element, boolean]>)
                    : []),
                ]}
              />
            </div>
            <div class="card">
              <h2>{t('requests.history')}</h2>
              <ol class="timeline">
                <li>
                  <strong>{t('requests.created')}</strong> — {formatDateTime(r.createdAt)}
                  <By name={r.requestedByName} />
                </li>
                {r.decidedAt ? (
                  <li>
                    <strong>{label('reqStatus', r.status)}</strong> — {formatDateTime(r.decidedAt)}
                    <By name={r.decidedByName} />
                    {r.reason ? (
                      <>
                        : <span translate={false}>{r.reason}</span>
                      </>
                    ) : null}
                  </li>
                ) : null}
              </ol>
              {r.status === 'submitted' && isStaff() ? (
                <div class="decide">
                  <Button
                    kind="primary"
                    busy={busy}
                    onClick={async () => {
                      await run(async () => {
                        await api(`/api/v1/certificate-requests/${r.id}/approve`, { method: 'POST' });
                        setNotice(msgOf(() => label('reqStatus', 'issued')));
                        state.reload();
                      });
                    }}
                  >
                    {t('requests.approve')}
                  </Button>
                  <Button
                    kind="danger"
                    onClick={() =>
                      confirm.ask({
                        title: () => tData('requests.rejectConfirm', { name: r.subject.commonName }),
                        body: (tried) => <ReasonText id="reject-reason" label={t('requests.rejectReason')} tried={tried} />,
                        confirm: () => t('requests.reject'),
                        canConfirm: () => valueOf('reject-reason') !== '',
                        run: async () => {
                          await api(`/api/v1/certificate-requests/${r.id}/reject`, { method: 'POST', body: { reason: valueOf('reject-reason') } });
                          setNotice(msg('requests.rejected'));
                          state.reload();
                        },
                      })
                    }
                  >
                    {t('requests.reject')}
                  </Button>
                </div>
              ) : null}
              {r.status === 'submitted' && r.requestedBy === user?.id ? (
                <Button
                  onClick={() =>
                    confirm.ask({
                      title: () => tData('requests.cancelConfirm', { name: r.subject.commonName }),
                      body: null,
                      confirm: () => t('requests.cancel'),
                      run: async () => {
                        await api(`/api/v1/certificate-requests/${r.id}/cancel`, { method: 'POST' });
                        setNotice(msg('requests.cancelled'));
                        state.reload();
                      },
                    })
                  }
                >
                  {t('requests.cancel')}
                </Button>
              ) : null}
            </div>
          </div>
          {confirm.dialog}
        </Page>
      )}
    </Loaded>
  );

}
