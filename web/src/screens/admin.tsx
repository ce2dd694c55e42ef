import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { checkCertificatePem, checkUsername } from '../checks';
import { allPages, organizations, orgName, provinceList, sectorList, sectorName, type Organization, type Province } from '../data';
import { formatDate, label, t } from '../i18n';
import { msg, type Msg } from '../i18n';
import { Link, navigate, useLocation } from '../router';
import { Button, DataTable, ErrorNotice, Facts, OrganizationField, Loaded, Notice, Page, SelectField, TextArea, TextField, fieldErrors, useConfirm, useLoad , useAction, tData } from '../ui';

interface UserView {
  id: string;
  username: string;
  role: 'admin' | 'officer' | 'agency' | 'signer' | 'auditor';
  organizationId: string | null;
  fullName: string | null;
  disabled?: boolean;
  createdAt: string;
}

const ROLES = ['admin', 'officer', 'agency', 'signer', 'auditor'] as const;

/** Province options: today's 34 first, then the 63 before the 2025 mergers (marked with what they became). */
function provinceOptions(list: Province[]): Array<{ value: string; label: string; group: string }> {
  return [
    ...list.filter((p) => p.current).map((p) => ({ value: p.name, label: p.name, group: t('orgs.provinceCurrent'), data: true })),
    ...list.filter((p) => !p.current).map((p) => ({ value: p.name, label: t('orgs.mergedInto', { name: p.name, into: p.mergedInto ?? '' }), group: t('orgs.provinceOld'), data: true })),
  ];
}

/** The organization form (create and edit share it). */
function OrganizationForm(props: { initial?: Organization; onSaved: (o: Organization) => void }): JSX.Element {
  const data = useLoad(() => Promise.all([sectorList(), provinceList(), organizations()]), []);
  const o = props.initial;
  const [name, setName] = useState(o?.name ?? '');
  const [code, setCode] = useState(o?.code ?? '');
  const [sector, setSector] = useState(o?.sector ?? '');
  const [province, setProvince] = useState(o?.province ?? '');
  const [parentId, setParentId] = useState(o?.parentId ?? '');
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useAction();
  const server = fieldErrors(error);
  const req = (v: string) => (tried && !v.trim() ? t('check.required') : undefined);
  return (
    <Loaded state={data}>
      {([sectors, provinces, orgs]) => (
        <form
          class="card"
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            setTried(true);
            if (!name.trim() || (!o && !code.trim()) || !sector || !province) return;
            await run(async () => {
              const saved = o
                ? await api<Organization>(`/api/v1/organizations/${o.id}`, { method: 'PATCH', body: { name: name.trim(), sector, province, parentId: parentId || null } })
                : await api<Organization>('/api/v1/organizations', { method: 'POST', body: { name: name.trim(), code: code.trim(), sector, province, ...(parentId ? { parentId } : {}) } });
              await organizations(true);
              props.onSaved(saved);
            });
          }}
        >
          <h2>{o ? t('common.edit') : t('orgs.new')}</h2>
          <ErrorNotice error={error} />
          <TextField label={t('common.name')} required value={name} onInput={setName} maxLength={200} error={server.name ?? req(name)} />
          {o ? null : <TextField label={t('common.code')} hint={t('orgs.codeHint')} required value={code} onInput={setCode} maxLength={64} error={server.code ?? req(code)} />}
          <SelectField
            label={t('field.sector')}
            required
            value={sector}
            onChange={setSector}
            error={server.sector ?? req(sector)}
            options={[{ value: '', label: '—' }, ...sectors.map((s) => ({ value: s.code, label: sectorName(s.code, sectors) }))]}
          />
          <SelectField label={t('field.province')} required value={province} onChange={setProvince} error={server.province ?? req(province)} options={[{ value: '', label: '—', group: t('orgs.provinceCurrent') }, ...provinceOptions(provinces)]} />
          <SelectField
            label={t('field.parent')}
            value={parentId}
            onChange={setParentId}
            error={server.parentId}
            options={[{ value: '', label: t('orgs.noParent') }, ...orgs.filter((x) => x.id !== o?.id).map((x) => ({ value: x.id, label: x.name, data: true }))]}
          />
          <Button kind="primary" type="submit" busy={busy}>
            {o ? t('common.save') : t('common.create')}
          </Button>
        </form>
      )}
    </Loaded>
  );
}

/** Organizations: the list and the form to add one. */
export function OrganizationListScreen(): JSX.Element {
  const orgs = useLoad(() => organizations(true), []);
  const sectors = useLoad(() => sectorList(), []);
  return (
    <Page title={t('orgs.title')}>
      <Loaded state={orgs}>
        {(list) => (
          <DataTable
            caption={t('orgs.title')}
            captionHidden
            rowKey={(o) => o.id}
            rows={list}
            columns={[
              { header: t('common.name'), data: true, render: (o) => <Link href={`/organizations/${o.id}`}>{o.name}</Link> },
              { header: t('common.code'), data: true, render: (o) => o.code },
              { header: t('field.sector'), render: (o) => sectorName(o.sector, sectors.data) },
              { header: t('field.province'), data: true, render: (o) => o.province },
            ]}
          />
        )}
      </Loaded>
      <OrganizationForm onSaved={(o) => navigate(`/organizations/${o.id}?created=1`)} />
    </Page>
  );
}

/** One organization, editable by the admin. */
export function OrganizationScreen(props: { params: Record<string, string> }): JSX.Element {
  const { query } = useLocation();
  const state = useLoad(() => api<Organization>(`/api/v1/organizations/${encodeURIComponent(props.params.id!)}`), [props.params.id]);
  const [notice, setNotice] = useState<Msg | null>(query.get('created') ? msg('orgs.created') : null);
  return (
    <Loaded state={state}>
      {(o) => (
        <Page title={t('field.organization')} name={o.name}>
          {notice ? <Notice kind="ok">{notice.say()}</Notice> : null}
          <div class="grid2">
            <div class="card">
              <Facts
                items={[
                  [t('common.code'), o.code, true],
                  [t('field.sector'), sectorName(o.sector)],
                  [t('field.province'), o.province, true],
                  [t('common.createdAt'), formatDate(o.createdAt)],
                ]}
              />
              <p>
                <Link href={`/certificates?organizationId=${o.id}`}>{t('nav.certificates')}</Link>
              </p>
            </div>
            <OrganizationForm key={o.id + o.name + o.province + o.sector} initial={o} onSaved={() => (setNotice(msg('orgs.saved')), state.reload())} />
          </div>
        </Page>
      )}
    </Loaded>
  );
}

/** Users: the list and the form to add one. */
export function UserListScreen(): JSX.Element {
  const users = useLoad(() => allPages<UserView>('/api/v1/users'), []);
  const orgs = useLoad(() => organizations(), []);
  const [username, setUsername] = useState('');
  const [fullName, setFullName] = useState('');
  const [role, setRole] = useState<string>('agency');
  const [organizationId, setOrganizationId] = useState('');
  const [password, setPassword] = useState('');
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useAction();
  const server = fieldErrors(error);
  const needsOrg = role === 'agency' || role === 'signer';
  return (
    <Page title={t('users.title')}>
      <Loaded state={users}>
        {(list) => (
          <DataTable
            caption={t('users.title')}
            captionHidden
            rowKey={(u) => u.id}
            rows={list}
            columns={[
              { header: t('field.username'), data: true, render: (u) => <Link href={`/users/${u.id}`}>{u.username}</Link> },
              { header: t('field.fullName'), data: true, render: (u) => u.fullName ?? '' },
              { header: t('field.role'), render: (u) => label('role', u.role) },
              { header: t('field.organization'), data: true, render: (u) => orgName(orgs.data, u.organizationId) ?? '' },
              { header: t('common.status'), render: (u) => (u.disabled ? t('field.disabled') : label('account', 'active')) },
            ]}
          />
        )}
      </Loaded>
      <form
        class="card"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTried(true);
          if (checkUsername(username) || password.length < 12 || (needsOrg && !organizationId)) return;
          await run(async () => {
            const created = await api<UserView>('/api/v1/users', {
              method: 'POST',
              body: {
                username,
                password,
                role,
                ...(organizationId && needsOrg ? { organizationId } : {}),
                ...(fullName.trim() ? { fullName: fullName.trim() } : {}),
              },
            });
            navigate(`/users/${created.id}?created=1`);
          });
        }}
      >
        <h2>{t('users.new')}</h2>
        <ErrorNotice error={error} />
        <TextField label={t('field.username')} required value={username} onInput={setUsername} autoComplete="off" error={server.username ?? (tried ? checkUsername(username) : undefined)} />
        <TextField label={t('field.fullName')} value={fullName} onInput={setFullName} maxLength={200} />
        <SelectField label={t('field.role')} value={role} onChange={setRole} options={ROLES.map((r) => ({ value: r, label: label('role', r) }))} />
        {needsOrg ? (
          <OrganizationField
            orgs={orgs}
            value={organizationId}
            onChange={setOrganizationId}
            error={server.organizationId ?? (tried && !organizationId ? t('check.required') : undefined)}
          />
        ) : null}
        <TextField label={t('field.password')} hint={t('password.rules')} type="password" autoComplete="new-password" required value={password} onInput={setPassword} error={server.password ?? (tried && password.length < 12 ? t('password.tooShort') : undefined)} />
        <Button kind="primary" type="submit" busy={busy}>
          {t('common.create')}
        </Button>
      </form>
    </Page>
  );
}

/** One user: role and organization, disable/enable, reset the password, clear a lockout. */
export function UserScreen(props: { params: Record<string, string> }): JSX.Element {
  const { query } = useLocation();
  const state = useLoad(() => api<UserView>(`/api/v1/users/${encodeURIComponent(props.params.id!)}`), [props.params.id]);
  const orgs = useLoad(() => organizations(), []);
  const [notice, setNotice] = useState<Msg | null>(query.get('created') ? msg('users.created') : null);
  const { busy, error, setError, run } = useAction();
  const confirm = useConfirm();
  return (
    <Loaded state={state}>
      {(u) => (
        <Page title={t('field.user')} name={u.username}>
          {notice ? (
            <Notice kind="ok">
              <span>{notice.say()}</span>
            </Notice>
          ) : null}
          <ErrorNotice error={error} />
          <div class="card">
            <Facts
              items={[
                [t('field.username'), u.username, true],
                [t('field.fullName'), u.fullName, true],
                [t('field.role'), label('role', u.role)],
                [t('field.organization'), orgName(orgs.data, u.organizationId), true],
                [t('common.status'), u.disabled ? t('field.disabled') : label('account', 'active')],
                [t('common.createdAt'), formatDate(u.createdAt)],
              ]}
            />
            <div class="actions">
              <Button
                onClick={() =>
                  confirm.ask({
                    title: () => t('users.reset'),
                    body: () => <p>{tData('users.resetConfirm', { name: u.username })}</p>,
                    confirm: () => t('users.reset'),
                    run: async () => {
                      const answer = await api<{ temporaryPassword: string }>(`/api/v1/users/${u.id}/reset-password`, { method: 'POST' });
                      setNotice(msg('users.temporary', { name: u.username, password: answer.temporaryPassword }));
                    },
                  })
                }
              >
                {t('users.reset')}
              </Button>
              <Button
                busy={busy}
                onClick={async () => {
                  await run(async () => {
                    await api(`/api/v1/users/${u.id}/unlock`, { method: 'POST' });
                    setNotice(msg('users.unlocked'));
                  });
                }}
              >
                {t('users.unlock')}
              </Button>
              {u.disabled ? (
                <Button
                  onClick={async () => {
                    setError(null);
                    try {
                      await api(`/api/v1/users/${u.id}`, { method: 'PATCH', body: { disabled: false } });
                      setNotice(msg('users.enabled'));
                      state.reload();
                    } catch (err) {
                      setError(err);
                    }
                  }}
                >
                  {t('users.enable')}
                </Button>
              ) : (
                <Button
                  kind="danger"
                  onClick={() =>
                    confirm.ask({
                      title: () => t('users.disable'),
                      body: () => <p>{tData('users.disableConfirm', { name: u.username })}</p>,
                      confirm: () => t('users.disable'),
                      run: async () => {
                        await api(`/api/v1/users/${u.id}`, { method: 'PATCH', body: { disabled: true } });
                        setNotice(msg('users.disabled'));
                        state.reload();
                      },
                    })
                  }
                >
                  {t('users.disable')}
                </Button>
              )}
            </div>
          </div>
          {confirm.dialog}
        </Page>
      )}
    </Loaded>
  );
}

/** Sectors: the list (in the page language) and the form to add one. */
export function SectorScreen(): JSX.Element {
  const sectors = useLoad(() => sectorList(true), []);
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useAction();
  const [notice, setNotice] = useState<Msg | null>(null);
  const server = fieldErrors(error);
  const codeBad = !/^[a-z0-9][a-z0-9-]{1,39}$/.test(code);
  return (
    <Page title={t('sectors.title')}>
      {notice ? <Notice kind="ok">{notice.say()}</Notice> : null}
      <Loaded state={sectors}>
        {(list) => (
          <DataTable
            caption={t('sectors.title')}
            captionHidden
            rowKey={(s) => s.code}
            rows={list}
            columns={[
              { header: t('common.code'), data: true, render: (s) => <code>{s.code}</code> },
              { header: t('common.name'), render: (s) => sectorName(s.code, list) },
            ]}
          />
        )}
      </Loaded>
      <form
        class="card"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTried(true);
          if (codeBad || !name.trim()) return;
          await run(async () => {
            await api('/api/v1/sectors', { method: 'POST', body: { code, name: name.trim() } });
            setNotice(msg('sectors.created'));
            setCode('');
            setName('');
            setTried(false);
            sectors.reload();
          });
        }}
      >
        <h2>{t('sectors.new')}</h2>
        <ErrorNotice error={error} />
        <TextField label={t('common.code')} hint={t('sectors.codeHint')} required value={code} onInput={setCode} error={server.code ?? (tried && codeBad ? t('sectors.codeHint') : undefined)} />
        <TextField label={t('common.name')} required value={name} onInput={setName} maxLength={200} error={server.name ?? (tried && !name.trim() ? t('check.required') : undefined)} />
        <Button kind="primary" type="submit" busy={busy}>
          {t('common.create')}
        </Button>
      </form>
    </Page>
  );
}

interface Anchor {
  id: string;
  name: string;
  subject: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  fingerprint: string;
}

/** Trust anchors: other PKIs' CAs kyso trusts for verification and import. */
export function TrustAnchorScreen(): JSX.Element {
  const anchors = useLoad(() => api<Anchor[]>('/api/v1/trust-anchors'), []);
  const [name, setName] = useState('');
  const [pem, setPem] = useState('');
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useAction();
  const [notice, setNotice] = useState<Msg | null>(null);
  const confirm = useConfirm();
  const pemError = checkCertificatePem(pem);
  return (
    <Page title={t('anchors.title')}>
      {notice ? <Notice kind="ok">{notice.say()}</Notice> : null}
      <Loaded state={anchors}>
        {(list) => (
          <DataTable
            caption={t('anchors.title')}
            captionHidden
            rowKey={(a) => a.id}
            rows={list}
            columns={[
              { header: t('common.name'), data: true, render: (a) => a.name },
              { header: t('field.subject'), data: true, render: (a) => <code class="wrap">{a.subject}</code> },
              { header: t('field.notAfter'), render: (a) => formatDate(a.notAfter) },
              {
                header: t('common.actions'),
                render: (a) => (
                  <Button
                    kind="danger"
                    onClick={() =>
                      confirm.ask({
                        title: () => t('common.delete'),
                        body: () => <p>{tData('anchors.removeConfirm', { name: a.name })}</p>,
                        confirm: () => t('common.delete'),
                        run: async () => {
                          await api(`/api/v1/trust-anchors/${a.id}`, { method: 'DELETE' });
                          setNotice(msg('anchors.removed'));
                          anchors.reload();
                        },
                      })
                    }
                  >
                    {t('common.delete')}
                  </Button>
                ),
              },
            ]}
          />
        )}
      </Loaded>
      <form
        class="card"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTried(true);
          if (!name.trim() || pemError) return;
          await run(async () => {
            await api('/api/v1/trust-anchors', { method: 'POST', body: { name: name.trim(), pem } });
            setNotice(msg('anchors.added'));
            setName('');
            setPem('');
            setTried(false);
            anchors.reload();
          });
        }}
      >
        <h2>{t('anchors.new')}</h2>
        <ErrorNotice error={error} />
        <TextField label={t('common.name')} required value={name} onInput={setName} maxLength={200} error={tried && !name.trim() ? t('check.required') : undefined} />
        <TextArea label={t('anchors.pem')} required rows={6} value={pem} onInput={setPem} error={tried ? pemError : undefined} />
        <Button kind="primary" type="submit" busy={busy}>
          {t('anchors.new')}
        </Button>
      </form>
      {confirm.dialog}
    </Page>
  );
}

/** The built-in CAs and the public services they run. */
export function CaScreen(): JSX.Element {
  const cas = useLoad(() => api<Array<{ name: string; kind: string; subject: string; serial: string; pemUrl: string; derUrl: string }>>('/pki/ca'), []);
  return (
    <Page title={t('cas.title')}>
      <Loaded state={cas}>
        {(list) => (
          <>
            {list.map((ca) => (
              <article class="card" key={ca.name}>
                <h2 translate={false}>{ca.name}</h2>
                <Facts
                  items={[
                    [t('field.subject'), <code class="wrap">{ca.subject}</code>, true],
                    [t('field.serial'), <code class="wrap">{ca.serial}</code>, true],
                  ]}
                />
                <ul class="plain links">
                  <li>
                    <a href={`/pki/ca/${ca.name}.pem`}>{t('cas.certificate')} (PEM)</a>
                  </li>
                  <li>
                    <a href={`/pki/crl/${ca.name}.crl`}>{t('cas.crl')}</a>
                  </li>
                </ul>
              </article>
            ))}
            <article class="card">
              <h2>{t('cas.ocsp')}</h2>
              <p>
                <code>POST /pki/ocsp</code>, <code>GET /pki/ocsp/…</code>
              </p>
              <h2>{t('cas.tsa')}</h2>
              <p>
                <code>POST /pki/tsa</code> · <a href="/pki/tsa.pem">{t('cas.certificate')} (PEM)</a>
              </p>
            </article>
          </>
        )}
      </Loaded>
    </Page>
  );
}
