import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, currentUser, download, isStaff } from '../api';
import { checkPin, checkUids, splitUids } from '../checks';
import { allPages, organizations, orgName } from '../data';
import { formatDate, label, t } from '../i18n';
import { msg, type Msg } from '../i18n';
import { Link } from '../router';
import { Button, DataTable, ErrorNotice, ErrorWords, Facts, FileField, OrganizationField, Loaded, Notice, Page, Progress, SelectField, TextField, errorText, fieldErrors, useConfirm, useLoad , useAction, tData } from '../ui';
import type { SigningAccount } from './sign';

/** Signing accounts: staff open one or many and unlock them; a signer sees its own. */
export function AccountListScreen(): JSX.Element {
  const accounts = useLoad(() => allPages<SigningAccount>('/api/v1/signing-accounts'), []);
  const orgs = useLoad(() => organizations(), []);
  const [notice, setNotice] = useState<Msg | null>(null);
  const confirm = useConfirm();
  return (
    <Page title={t('accounts.title')}>
      {notice ? <Notice kind="ok">{notice.say()}</Notice> : null}
      <Loaded state={accounts}>
        {(list) => (
          <DataTable
            caption={t('accounts.title')}
            captionHidden
            rowKey={(a) => a.id}
            rows={list}
            columns={[
              { header: t('common.name'), data: true, render: (a) => <Link href={`/signing-accounts/${a.id}`}>{a.commonName ?? a.certificateSerial}</Link> },
              { header: t('field.holder'), render: (a) => label('holder', a.holder ?? 'individual') },
              { header: t('field.organization'), data: true, render: (a) => orgName(orgs.data, a.organizationId) ?? '' },
              { header: t('common.status'), render: (a) => <span class={`badge ${a.status}`}>{label('account', a.status)}</span> },
              { header: t('accounts.failed'), numeric: true, render: (a) => a.failedPinAttempts },
              { header: t('field.notAfter'), render: (a) => formatDate(a.notAfter) },
              ...(isStaff()
                ? [
                    {
                      header: t('common.actions'),
                      render: (a: SigningAccount) =>
                        a.status === 'locked' ? (
                          <Button
                            onClick={() =>
                              confirm.ask({
                                title: () => tData('accounts.unlockConfirm', { name: a.commonName ?? a.certificateSerial }),
                                body: null,
                                confirm: () => t('accounts.unlock'),
                                run: async () => {
                                  await api(`/api/v1/signing-accounts/${a.id}/unlock`, { method: 'POST' });
                                  setNotice(msg('accounts.unlocked'));
                                  accounts.reload();
                                },
                              })
                            }
                          >
                            {t('accounts.unlock')}
                          </Button>
                        ) : null,
                    },
                  ]
                : []),
            ]}
          />
        )}
      </Loaded>
      {isStaff() ? (
        <div class="grid2">
          <NewAccountForm onCreated={(serial) => (setNotice(msg('accounts.created', { serial })), accounts.reload())} />
          <BatchAccountsForm onDone={accounts.reload} />
        </div>
      ) : null}
      {confirm.dialog}
    </Page>
  );
}

interface SignerUser {
  id: string;
  username: string;
  fullName: string | null;
  organizationId: string | null;
}

const personName = (u: SignerUser) => `${u.fullName ?? u.username} (${u.username})`;

/**
 * Opens one account: a person's (its holder signs) or an organization's (its seal, used by the
 * signers of that organization chosen as delegates; api.md "Organization accounts").
 */
function NewAccountForm(props: { onCreated: (serial: string) => void }): JSX.Element {
  const orgs = useLoad(() => organizations(), []);
  const signers = useLoad(() => allPages<SignerUser>('/api/v1/users?role=signer').catch(() => []), []);
  const [holder, setHolder] = useState<'individual' | 'organization'>('individual');
  const [userId, setUserId] = useState('');
  const [organizationId, setOrganizationId] = useState('');
  const [delegates, setDelegates] = useState<string[]>([]);
  const [commonName, setCommonName] = useState('');
  const [uid, setUid] = useState('');
  const [pin, setPin] = useState('');
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useAction();
  const server = fieldErrors(error);
  const user = signers.data?.find((u) => u.id === userId);
  const clerks = (signers.data ?? []).filter((u) => u.organizationId === organizationId);
  const organizational = holder === 'organization';
  const holderBad = organizational ? !organizationId || !delegates.length : !user?.organizationId;
  return (
    <form
      class="card"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setTried(true);
        if (holderBad || !commonName.trim() || checkUids(uid, holder) || checkPin(pin)) return;
        await run(async () => {
          const owner = organizational ? { holder, organizationId, delegateUserIds: delegates } : { userId, organizationId: user!.organizationId };
          const created = await api<{ certificateSerial: string }>('/api/v1/signing-accounts', {
            method: 'POST',
            body: { ...owner, pin, commonName: commonName.trim(), uid: splitUids(uid) },
          });
          props.onCreated(created.certificateSerial);
          setUserId('');
          setOrganizationId('');
          setDelegates([]);
          setCommonName('');
          setUid('');
          setPin('');
          setTried(false);
        });
      }}
    >
      <h2>{t('accounts.new')}</h2>
      <ErrorNotice error={error} />
      <SelectField
        label={t('field.holder')}
        value={holder}
        onChange={(v) => {
          setHolder(v as typeof holder);
          setCommonName('');
          setUid('');
        }}
        options={(['individual', 'organization'] as const).map((h) => ({ value: h, label: label('holder', h) }))}
      />
      <Loaded state={signers}>
        {(list) =>
          organizational ? (
            <>
              <OrganizationField
                orgs={orgs}
                value={organizationId}
                onChange={(v) => {
                  setOrganizationId(v);
                  setDelegates([]);
                  const name = orgName(orgs.data, v);
                  if (name && !commonName) setCommonName(name);
                }}
                error={tried && !organizationId ? t('check.required') : server.organizationId}
              />
              <fieldset class="field" aria-describedby="delegates-hint">
                <legend>
                  {t('accounts.delegates')} <span class="req" aria-hidden="true">*</span>
                </legend>
                <p class="hint" id="delegates-hint">
                  {t('accounts.delegatesHint')}
                </p>
                {organizationId && !clerks.length ? <p>{t('accounts.noSigners')}</p> : null}
                {clerks.map((u) => (
                  <label key={u.id} class="check">
                    <input
                      type="checkbox"
                      checked={delegates.includes(u.id)}
                      onChange={(e) => setDelegates((d) => ((e.target as HTMLInputElement).checked ? [...d, u.id] : d.filter((x) => x !== u.id)))}
                    />{' '}
                    <span translate={false}>{personName(u)}</span>
                  </label>
                ))}
                {(tried && organizationId && !delegates.length) || server.delegateUserIds ? (
                  <p class="error-text">{server.delegateUserIds ?? t('accounts.delegatesMissing')}</p>
                ) : null}
              </fieldset>
            </>
          ) : (
            <SelectField
              label={t('accounts.signerUser')}
              required
              value={userId}
              onChange={(v) => {
                setUserId(v);
                const u = list.find((x) => x.id === v);
                if (u?.fullName && !commonName) setCommonName(u.fullName);
              }}
              error={tried && !userId ? t('check.required') : server.userId}
              options={[{ value: '', label: '—' }, ...list.map((u) => ({ value: u.id, data: true, label: `${personName(u)} — ${orgName(orgs.data, u.organizationId) ?? ''}` }))]}
            />
          )
        }
      </Loaded>
      <TextField label={organizational ? t('accounts.sealName') : t('field.commonName')} required value={commonName} onInput={setCommonName} error={server.commonName ?? (tried && !commonName.trim() ? t('check.required') : undefined)} />
      <TextField label={t('field.uid')} required hint={organizational ? t('accounts.orgUidHint') : t('field.uidHint')} value={uid} onInput={setUid} error={server.uid ?? (tried || uid ? checkUids(uid, holder) : undefined)} />
      <TextField label={t('accounts.firstPin')} hint={t('field.pinHint')} type="password" inputMode="numeric" autoComplete="off" required value={pin} onInput={setPin} error={server.pin ?? (tried || pin ? checkPin(pin) : undefined)} />
      <Button kind="primary" type="submit" busy={busy}>
        {t('accounts.new')}
      </Button>
    </form>
  );
}

const ACCOUNT_COLUMNS = 'userId, organizationId, pin, commonName, uid, keyAlgorithm';

/** Many accounts from a CSV, in chunks so the progress bar moves. */
function BatchAccountsForm(props: { onDone: () => void }): JSX.Element {
  const [file, setFile] = useState<File | null>(null);
  const [tried, setTried] = useState(false);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [failures, setFailures] = useState<Array<{ row: number; error: string }> | null>(null);
  return (
    <form
      class="card"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setTried(true);
        if (!file) return;
        setError(null);
        setFailures(null);
        try {
          // Inside the try: a file that can no longer be read (moved, revoked permission) is an error shown on the form.
          const lines = (await file.text()).replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim());
          const [header, ...rows] = lines;
          const CHUNK = 50;
          const bad: Array<{ row: number; error: string }> = [];
          setProgress({ done: 0, total: rows.length });
          for (let i = 0; i < rows.length; i += CHUNK) {
            const part = [header, ...rows.slice(i, i + CHUNK)].join('\r\n');
            const answer = await api<{ results: Array<{ index: number; error?: { status: number; detail: string } }> }>('/api/v1/signing-accounts/batch', {
              method: 'POST',
              body: new Blob([part], { type: 'text/csv' }),
              headers: { 'Content-Type': 'text/csv' },
            });
            for (const r of answer.results) if (r.error) bad.push({ row: i + r.index + 2, error: errorText(new ApiError(r.error.status, r.error.detail)) });
            setProgress({ done: Math.min(rows.length, i + CHUNK), total: rows.length });
          }
          setFailures(bad);
          props.onDone();
        } catch (err) {
          setError(err);
        }
      }}
    >
      <h2>{t('accounts.batch')}</h2>
      <ErrorNotice error={error} />
      <FileField label={t('common.file')} hint={t('accounts.batchHint', { columns: ACCOUNT_COLUMNS })} accept=".csv,text/csv" required onFiles={(f) => setFile(f[0] ?? null)} error={tried && !file ? t('check.file') : undefined} />
      <Button kind="primary" type="submit" busy={progress !== null && failures === null && !error}>
        {t('accounts.batchSubmit')}
      </Button>
      {progress ? <Progress done={progress.done} total={progress.total} label={t('accounts.batch')} /> : null}
      {failures ? (
        <Notice kind={failures.length ? 'error' : 'ok'}>
          {t('requests.uploadResult', { ok: (progress?.total ?? 0) - failures.length, bad: failures.length })}
          {failures.length ? (
            <ul class="plain">
              {failures.map((f) => (
                <li key={f.row}>
                  {t('common.row')} {f.row}: {f.error}
                </li>
              ))}
            </ul>
          ) : null}
        </Notice>
      ) : null}
    </form>
  );
}

/** One signing account. */
export function AccountScreen(props: { params: Record<string, string> }): JSX.Element {
  const state = useLoad(() => api<SigningAccount>(`/api/v1/signing-accounts/${encodeURIComponent(props.params.id!)}`), [props.params.id]);
  const orgs = useLoad(() => organizations(), []);
  const signers = useLoad(() => (isStaff() ? allPages<SignerUser>('/api/v1/users?role=signer') : Promise.resolve([])), []);
  const delegateName = (id: string) => {
    const u = signers.data?.find((x) => x.id === id);
    return u ? personName(u) : '…';
  };
  return (
    <Loaded state={state}>
      {(a) => (
        <Page title={t('sign.account')} name={a.commonName ?? a.certificateSerial}>
          <div class="card">
            <Facts
              items={[
                [t('common.status'), label('account', a.status)],
                [t('field.holder'), label('holder', a.holder ?? 'individual')],
                ...(a.delegateUserIds && isStaff()
                  ? ([[t('accounts.delegates'), a.delegateUserIds.map(delegateName).join(', '), true]] as Array<[string, string, boolean]>)
                  : []),
                [t('field.commonName'), a.commonName, true],
                [t('field.organization'), orgName(orgs.data, a.organizationId) ?? '…', true],
                [t('field.serial'), <Link href={`/certificates/${a.certificateSerial}`}>{a.certificateSerial}</Link>, true],
                [t('field.key'), a.keyAlgorithm, true],
                [t('accounts.failed'), String(a.failedPinAttempts)],
                [t('field.notAfter'), formatDate(a.notAfter)],
              ]}
            />
            {currentUser()?.role === 'signer' ? (
              <p>
                <Link class="btn primary" href="/sign">
                  {t('nav.sign')}
                </Link>
              </p>
            ) : null}
          </div>
        </Page>
      )}
    </Loaded>
  );
}

interface SignJob {
  id: string;
  status: 'running' | 'done' | 'failed';
  total: number;
  done: number;
  failed: number;
  results: Array<{ index: number; name: string; status: string; error?: string }>;
  /** Why the job stopped (status "failed": an internal error, or kyso restarted while it ran). */
  error?: string;
}

/** A batch signing job: its progress until done, then the signed files as one zip. */
export function SignJobScreen(props: { params: Record<string, string> }): JSX.Element {
  const id = props.params.id!;
  const state = useLoad(() => api<SignJob>(`/api/v1/sign-jobs/${encodeURIComponent(id)}`), [id]);
  const { error, setError } = useAction();
  useEffect(() => {
    if (state.data?.status !== 'running') return;
    const timer = setTimeout(state.reload, 1000);
    return () => clearTimeout(timer);
  }, [state.data]);
  return (
    <Page title={t('sign.job')}>
      <ErrorNotice error={error} />
      <Loaded state={state}>
        {(job) => (
          <>
            <Progress done={Math.min(job.total, job.done + job.failed)} total={job.total} label={job.status === 'running' ? t('sign.jobRunning') : t('sign.job')} />
            {job.status === 'failed' ? <ErrorNotice error={new ApiError(500, job.error ?? '')} /> : null}
            {job.status !== 'running' ? (
              <>
                <Notice kind={job.failed || job.status === 'failed' ? 'error' : 'ok'} focus={job.status !== 'failed'}>
                  {t('sign.jobDone', { done: job.done, failed: job.failed })}
                </Notice>
                <p>
                  <Button kind="primary" onClick={() => download(`/api/v1/sign-jobs/${job.id}/result.zip`, `kyso-${job.id}.zip`).catch(setError)}>
                    {t('sign.zip')}
                  </Button>
                </p>
              </>
            ) : null}
            <DataTable
              caption={t('common.result')}
              captionHidden
              rowKey={(r) => String(r.index)}
              rows={job.results}
              columns={[
                { header: t('common.file'), data: true, render: (r) => r.name },
                { header: t('common.status'), render: (r) => (r.status === 'signed' ? t('common.ok') : t('common.failed')) },
                // The server's reason is English: in words here, itself folded away for support staff.
                { header: t('common.details'), render: (r) => (r.error ? <div class="cell-error"><ErrorWords error={new ApiError(422, r.error)} /></div> : null) },
              ]}
            />
          </>
        )}
      </Loaded>
    </Page>
  );
}
