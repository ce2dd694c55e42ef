import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, currentUser, download, isStaff, saveBlob, request } from '../api';
import { organizations, orgName, sectorName } from '../data';
import { formatDate, formatDateTime, label, t } from '../i18n';
import { msg, type Msg } from '../i18n';
import { Link, navigate, useLocation } from '../router';
import { Button, DataTable, ErrorNotice, Facts, OrganizationField, FileField, Loaded, Notice, Page, SelectField, TextField, errorText, fieldErrors, useConfirm, useLoad, valueOf , useAction, tData } from '../ui';
import { SubjectFields, emptySubject, subjectBody } from './requests';
import { checkCsr } from '../checks';

/** A certificate as the API answers it. */
export interface Certificate {
  serial: string;
  subject: string;
  commonName?: string;
  uid: string[];
  holder: string;
  medium: string;
  sector: string;
  province?: string;
  organizationId: string;
  issuer: string;
  source?: string;
  notBefore: string;
  notAfter: string;
  status: 'active' | 'suspended' | 'revoked' | 'expired';
  revokedAt?: string;
  suspendedAt?: string;
  revocationReason?: string;
  fingerprint: string;
  keyDelivered?: boolean;
  history?: Array<{ status: string; at: string; reason?: string }>;
  pem: string | null;
}

const REASONS = ['keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn', 'unspecified'];
const nameOf = (c: Certificate) => c.commonName ?? /CN=([^,]+)/.exec(c.subject)?.[1] ?? c.serial;

/** A list filter as query parameters, empty parts left out. */
const filterQuery = (filter: Record<string, string>): URLSearchParams => new URLSearchParams(Object.entries(filter).filter(([, v]) => v));

/** The list's address for a filter: a reload or a shared link shows the same list. */
const listUrl = (filter: Record<string, string>): string => `/certificates?${filterQuery(filter)}`;

/** Search certificates, of every organization the user may see or of the one in `?organizationId=`. */
export function CertificateListScreen(): JSX.Element {
  const { query } = useLocation();
  const organizationId = query.get('organizationId') ?? '';
  // A change of organization (its link, or clearing it) starts the list over: no cursor of another filter.
  return <CertificateList key={organizationId} organizationId={organizationId} />;
}

/** The list and its search: diacritics and case do not matter, serial and fingerprint prefixes work. */
function CertificateList(props: { organizationId: string }): JSX.Element {
  const { query } = useLocation();
  const { organizationId } = props;
  const [q, setQ] = useState(query.get('q') ?? '');
  const [status, setStatus] = useState(query.get('status') ?? '');
  const [applied, setApplied] = useState({ q: query.get('q') ?? '', status: query.get('status') ?? '' });
  const [pages, setPages] = useState<string[]>(['']);
  const orgs = useLoad(() => organizations(), []);
  const list = useLoad(async () => {
    const filter = filterQuery({ ...applied, organizationId });
    const items: Certificate[] = [];
    let next: string | null = null;
    for (const cursor of pages) {
      const page: { items: Certificate[]; nextCursor: string | null } = await api(`/api/v1/certificates?${filter}&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      items.push(...page.items);
      next = page.nextCursor;
    }
    return { items, next };
  }, [applied.q, applied.status, pages.join(',')]);
  return (
    <Page title={t('certs.title')}>
      {organizationId ? (
        <Notice kind="info" focus={false}>
          <div class="active-filter">
            <span>{tData('certs.ofOrganization', { name: orgName(orgs.data, organizationId) ?? (orgs.data ? organizationId : '…') })}</span>
            <Button onClick={() => navigate(listUrl(applied), { replace: true })}>{t('certs.allOrganizations')}</Button>
          </div>
        </Notice>
      ) : null}
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ q: q.trim(), status });
          setPages(['']);
          history.replaceState(null, '', listUrl({ q: q.trim(), status, organizationId }));
        }}
      >
        <TextField label={t('certs.search')} hint={t('certs.searchHint')} type="search" value={q} onInput={setQ} maxLength={200} />
        <SelectField
          label={t('common.status')}
          value={status}
          onChange={setStatus}
          options={[{ value: '', label: t('common.all') }, ...['active', 'suspended', 'revoked', 'expired'].map((s) => ({ value: s, label: label('certStatus', s) }))]}
        />
        <Button kind="primary" type="submit">
          {t('common.search')}
        </Button>
      </form>
      <Loaded state={list}>
        {(data) =>
          data.items.length === 0 ? (
            <p class="empty" role="status">
              {t('certs.empty')}
            </p>
          ) : (
            <>
              <DataTable
                caption={t('certs.title')}
                captionHidden
                rowKey={(c) => c.serial}
                rows={data.items}
                columns={[
                  { header: t('common.name'), data: true, render: (c) => <Link href={`/certificates/${c.serial}`}>{nameOf(c)}</Link> },
                  { header: t('field.uid'), data: true, render: (c) => c.uid.join(', ') },
                  { header: t('field.serial'), data: true, render: (c) => <code class="serial">{c.serial}</code> },
                  { header: t('field.organization'), data: true, render: (c) => orgName(orgs.data, c.organizationId) ?? '' },
                  { header: t('field.medium'), render: (c) => label('medium', c.medium) },
                  { header: t('common.status'), render: (c) => <span class={`badge ${c.status}`}>{label('certStatus', c.status)}</span> },
                  { header: t('field.notAfter'), render: (c) => formatDate(c.notAfter) },
                ]}
              />
              {data.next ? <Button onClick={() => setPages([...pages, data.next!])}>{t('common.more')}</Button> : null}
            </>
          )
        }
      </Loaded>
    </Page>
  );
}

/** One certificate: details, downloads, status changes (staff, confirmed) or change requests (clerk). */
export function CertificateScreen(props: { params: Record<string, string> }): JSX.Element {
  const serial = props.params.serial!;
  const state = useLoad(() => api<Certificate>(`/api/v1/certificates/${encodeURIComponent(serial)}`), [serial]);
  const orgs = useLoad(() => organizations(), []);
  const [notice, setNotice] = useState<Msg | null>(null);
  const [error, setError] = useState<unknown>(null);
  const confirm = useConfirm();
  const user = currentUser();
  const change = (c: Certificate, action: 'revoke' | 'suspend' | 'resume') =>
    confirm.ask({
      title: () => tData(`certs.${action}Title`, { name: nameOf(c) }),
      body: () => (
        <>
          <p class="warn">{t(`certs.${action}Warn`, { serial: c.serial })}</p>
          {action === 'revoke' ? <ReasonChooser id="revoke-reason" /> : null}
        </>
      ),
      confirm: () => t(`certs.${action}`),
      run: async () => {
        await api(`/api/v1/certificates/${c.serial}/${action}`, { method: 'POST', body: action === 'revoke' ? { reason: valueOf('revoke-reason') } : {} });
        setNotice(msg(action === 'revoke' ? 'certs.revoked' : action === 'suspend' ? 'certs.suspended' : 'certs.resumed'));
        state.reload();
      },
    });
  return (
    <Loaded state={state}>
      {(c) => (
        <Page title={t('certs.detail')} name={nameOf(c)}>
          {notice ? <Notice kind="ok">{notice.say()}</Notice> : null}
          <ErrorNotice error={error} />
          <div class="grid2">
            <div class="card">
              <Facts
                items={[
                  [t('common.status'), <span class={`badge ${c.status}`}>{label('certStatus', c.status)}</span>],
                  ...(c.revocationReason ? ([[t('field.reason'), label('reason', c.revocationReason)]] as Array<[string, string]>) : []),
                  ...(c.revokedAt ? ([[t('field.revokedAt'), formatDateTime(c.revokedAt)]] as Array<[string, string]>) : []),
                  [t('field.commonName'), nameOf(c), true],
                  [t('field.uid'), c.uid.join(', '), true],
                  [t('field.subject'), <code class="wrap">{c.subject}</code>, true],
                  [t('field.holder'), label('holder', c.holder)],
                  [t('field.medium'), label('medium', c.medium)],
                  [t('field.organization'), orgName(orgs.data, c.organizationId) ?? '…', true],
                  [t('field.sector'), sectorName(c.sector)],
                  [t('field.issuer'), <code class="wrap">{c.issuer}</code>, true],
                  [t('field.notBefore'), formatDate(c.notBefore)],
                  [t('field.notAfter'), formatDate(c.notAfter)],
                  [t('field.serial'), <code class="wrap">{c.serial}</code>, true],
                  [t('field.fingerprint'), <code class="wrap">{c.fingerprint}</code>, true],
                ]}
              />
            </div>
            <div class="card">
              <h2>{t('common.download')}</h2>
              <div class="actions">
                <Button onClick={() => download(`/api/v1/certificates/${c.serial}/pem`, `${c.serial}.pem`).catch(setError)}>{t('certs.downloadPem')}</Button>
                <Button onClick={() => download(`/api/v1/certificates/${c.serial}/der`, `${c.serial}.cer`).catch(setError)}>{t('certs.downloadDer')}</Button>
                <Button onClick={() => download(`/api/v1/certificates/${c.serial}/chain`, `${c.serial}-chain.pem`).catch(setError)}>{t('certs.downloadChain')}</Button>
              </div>
              {c.medium === 'file' && c.keyDelivered === false && user?.role === 'agency' ? <Pkcs12Form serial={c.serial} onDone={() => (setNotice(msg('certs.pkcs12Done')), state.reload())} /> : null}
              {isStaff() && c.status !== 'revoked' && c.status !== 'expired' ? (
                <>
                  <h2>{t('common.actions')}</h2>
                  <div class="actions">
                    {c.status === 'active' ? <Button onClick={() => change(c, 'suspend')}>{t('certs.suspend')}</Button> : null}
                    {c.status === 'suspended' ? <Button onClick={() => change(c, 'resume')}>{t('certs.resume')}</Button> : null}
                    <Button kind="danger" onClick={() => change(c, 'revoke')}>
                      {t('certs.revoke')}
                    </Button>
                  </div>
                </>
              ) : null}
              {user?.role === 'agency' && c.status !== 'revoked' ? <ChangeRequestForm cert={c} onDone={(id) => navigate(`/requests/${id}?submitted=1`)} /> : null}
              {c.history?.length ? (
                <>
                  <h2>{t('certs.history')}</h2>
                  <ol class="timeline">
                    {c.history.map((h, i) => (
                      <li key={i}>
                        <strong>{label('certStatus', h.status)}</strong> — {formatDateTime(h.at)}
                        {h.reason ? ` (${label('reason', h.reason)})` : ''}
                      </li>
                    ))}
                  </ol>
                </>
              ) : null}
            </div>
          </div>
          {confirm.dialog}
        </Page>
      )}
    </Loaded>
  );
}

/** The RFC 5280 reasons in plain words. */
function ReasonChooser(props: { id: string }): JSX.Element {
  const [value, setValue] = useState('keyCompromise');
  return <SelectField label={t('field.reason')} value={value} onChange={setValue} options={REASONS.map((r) => ({ value: r, label: label('reason', r) }))} id={props.id} />;
}

/** The one-time PKCS#12 download of a `file` certificate, with the password that protects it. */
function Pkcs12Form(props: { serial: string; onDone: () => void }): JSX.Element {
  const [password, setPassword] = useState('');
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useAction();
  const bad = !/^[\x20-\x7e]{8,64}$/.test(password);
  return (
    <form
      class="sub"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setTried(true);
        if (bad) return;
        await run(async () => {
          const res = await request(`/api/v1/certificates/${props.serial}/pkcs12`, { method: 'POST', body: { password }, headers: { Accept: 'application/x-pkcs12' } });
          saveBlob(await res.blob(), `${props.serial}.p12`);
          props.onDone();
        });
      }}
    >
      <h2>{t('certs.pkcs12')}</h2>
      <ErrorNotice error={error} />
      <TextField label={t('certs.pkcs12Password')} hint={t('certs.pkcs12Hint')} type="password" autoComplete="new-password" value={password} onInput={setPassword} error={tried && bad ? t('check.pkcs12') : undefined} required />
      <Button kind="primary" type="submit" busy={busy}>
        {t('certs.pkcs12Submit')}
      </Button>
    </form>
  );
}

/** The clerk's requests about an issued certificate: renew, change details, suspend, resume, revoke. */
function ChangeRequestForm(props: { cert: Certificate; onDone: (id: string) => void }): JSX.Element {
  const c = props.cert;
  const kinds = c.status === 'suspended' ? ['resume', 'revoke'] : ['renew', 'change-info', 'suspend', 'revoke'];
  const [kind, setKind] = useState(kinds[0]!);
  const [reason, setReason] = useState('keyCompromise');
  const [note, setNote] = useState('');
  const [subject, setSubject] = useState(emptySubject());
  const [csr, setCsr] = useState('');
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useAction();
  const server = fieldErrors(error);
  const needsKey = (kind === 'renew' || kind === 'change-info') && (c.medium === 'token' || c.medium === 'sim');
  return (
    <form
      class="sub"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setTried(true);
        if (kind === 'change-info' && (!subject.commonName.trim() || !subject.uid.trim())) return;
        if (needsKey && csr.trim() && checkCsr(csr)) return;
        await run(async () => {
          const created = await api<{ id: string }>('/api/v1/certificate-requests', {
            method: 'POST',
            body: {
              kind,
              certificateSerial: c.serial,
              ...(kind === 'revoke' ? { reason } : note.trim() ? { reason: note.trim() } : {}),
              ...(kind === 'change-info' ? { subject: subjectBody(subject) } : {}),
              ...(needsKey && csr.trim() ? { csr: csr.trim() } : {}),
            },
          });
          props.onDone(created.id);
        });
      }}
    >
      <h2>{t('certs.askTitle')}</h2>
      <ErrorNotice error={error} />
      <SelectField label={t('field.kind')} value={kind} onChange={setKind} options={kinds.map((k) => ({ value: k, label: label('kind', k) }))} />
      {kind === 'revoke' ? (
        <SelectField label={t('field.reason')} value={reason} onChange={setReason} options={REASONS.map((r) => ({ value: r, label: label('reason', r) }))} />
      ) : (
        <TextField label={`${t('field.reason')} (${t('common.optional')})`} value={note} onInput={setNote} maxLength={1000} />
      )}
      {kind === 'change-info' ? (
        <fieldset>
          <legend>{t('certs.newSubject')}</legend>
          <SubjectFields holder={c.holder as 'individual' | 'organization'} value={subject} onChange={setSubject} tried={tried} server={server} />
        </fieldset>
      ) : null}
      {needsKey ? (
        <TextField label={`${t('field.csr')} (${t('common.optional')})`} hint={t('field.csrHint')} value={csr} onInput={setCsr} error={server.csr ?? (csr ? checkCsr(csr) : undefined)} />
      ) : null}
      <Button kind={kind === 'revoke' ? 'danger' : 'primary'} type="submit" busy={busy}>
        {t('certs.ask')}
      </Button>
    </form>
  );
}

/** Import certificates issued elsewhere: several files, one result each. */
export function ImportScreen(): JSX.Element {
  const orgs = useLoad(() => organizations(), []);
  const [files, setFiles] = useState<File[]>([]);
  const [holder, setHolder] = useState('individual');
  const [medium, setMedium] = useState('token');
  const [organizationId, setOrganizationId] = useState('');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [results, setResults] = useState<Array<{ name: string; serial?: string; error?: unknown }> | null>(null);
  return (
    <Page title={t('certs.import')} lead={t('certs.importHint')}>
      <form
        class="card"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTried(true);
          if (!files.length || !organizationId) return;
          setBusy(true);
          const out: NonNullable<typeof results> = [];
          for (const file of files) {
            try {
              const pem = await fileAsPem(file);
              const created = await api<{ serial: string }>('/api/v1/certificates/import', { method: 'POST', body: { pem, holder, medium, organizationId } });
              out.push({ name: file.name, serial: created.serial });
            } catch (err) {
              out.push({ name: file.name, error: err });
            }
            setResults([...out]);
          }
          setBusy(false);
        }}
      >
        <FileField label={t('common.files')} multiple accept=".pem,.cer,.crt,.der" required onFiles={setFiles} error={tried && !files.length ? t('check.file') : undefined} />
        <SelectField label={t('field.holder')} value={holder} onChange={setHolder} options={['individual', 'organization'].map((h) => ({ value: h, label: label('holder', h) }))} />
        <SelectField label={t('field.medium')} value={medium} onChange={setMedium} options={['token', 'sim', 'file', 'remote'].map((m) => ({ value: m, label: label('medium', m) }))} />
        <OrganizationField orgs={orgs} value={organizationId} onChange={setOrganizationId} error={tried && !organizationId ? t('check.required') : undefined} />
        <Button kind="primary" type="submit" busy={busy}>
          {t('certs.importSubmit')}
        </Button>
      </form>
      {results ? (
        <>
          <Notice kind={results.every((r) => !r.error) ? 'ok' : 'error'}>{t('common.progress', { done: results.length, total: files.length })}</Notice>
          <DataTable
            caption={t('common.result')}
            rowKey={(r) => r.name}
            rows={results}
            columns={[
              { header: t('common.file'), data: true, render: (r) => r.name },
              { header: t('common.status'), render: (r) => (r.error ? t('common.failed') : t('certs.imported')) },
              { header: t('common.details'), render: (r) => (r.error ? errorText(r.error) : <Link href={`/certificates/${r.serial}`}>{r.serial}</Link>) },
            ]}
          />
        </>
      ) : null}
    </Page>
  );
}

/** A certificate file as PEM: PEM files as they are, DER wrapped. */
async function fileAsPem(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const text = new TextDecoder('latin1').decode(bytes);
  if (text.includes('-----BEGIN CERTIFICATE-----')) return text;
  if (bytes[0] !== 0x30) throw new ApiError(400, 'not a certificate');
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `-----BEGIN CERTIFICATE-----\n${btoa(binary).replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
}
