import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, base64ToBlob, fileToBase64, request, saveBlob } from '../api';
import { checkPin } from '../checks';
import { label, t } from '../i18n';
import { Button, ErrorNotice, FileField, Loaded, Notice, Page, SelectField, TextField, useLoad , useAction } from '../ui';
import { allPages } from '../data';
import { navigate } from '../router';
import { Lazy } from '../lazy';
import type { Placement } from './placement';

/** A signing account as the API answers it. */
export interface SigningAccount {
  id: string;
  userId: string | null;
  organizationId: string;
  certificateSerial: string;
  certificateStatus: string;
  commonName: string | null;
  keyAlgorithm: string;
  status: 'active' | 'locked' | 'revoked' | 'suspended' | 'expired';
  failedPinAttempts: number;
  lockedAt: string | null;
  createdAt: string;
  notAfter: string;
  mustChangePin?: boolean;
  holder?: 'individual' | 'organization';
  /** Organization accounts: the signers who may use it. */
  delegateUserIds?: string[];
  hasAppearance?: boolean;
}

/** The teacher's screen: sign PDFs with the PIN (several at once), change the PIN, upload the signature image. */
export function SignScreen(): JSX.Element {
  const accounts = useLoad(() => allPages<SigningAccount>('/api/v1/signing-accounts'), []);
  const [chosen, setChosen] = useState('');
  return (
    <Page title={t('sign.title')}>
      <Loaded state={accounts}>
        {(list) => {
          if (list.length === 0) return <Notice kind="info" focus={false}>{t('sign.noAccount')}</Notice>;
          const account = list.find((a) => a.id === chosen) ?? list[0]!;
          return (
            <>
              {list.length > 1 ? (
                <SelectField label={t('sign.account')} value={account.id} onChange={setChosen} options={list.map((a) => ({ value: a.id, data: true, label: `${a.commonName ?? ''} (${label('holder', a.holder ?? 'individual')}) — ${a.certificateSerial.slice(0, 12)}` }))} />
              ) : null}
              {account.status === 'locked' ? <Notice kind="error" focus={false}>{t('sign.locked')}</Notice> : null}
              {account.mustChangePin ? <Notice kind="info" focus={false}>{t('sign.mustChangePin')}</Notice> : null}
              <div class="grid2">
                {account.mustChangePin ? null : <SignForm account={account} />}
                <PinForm account={account} onChanged={accounts.reload} />
                {account.mustChangePin ? null : <AppearanceForm account={account} />}
              </div>
            </>
          );
        }}
      </Loaded>
    </Page>
  );
}

function SignForm(props: { account: SigningAccount }): JSX.Element {
  const [files, setFiles] = useState<File[]>([]);
  const [pin, setPin] = useState('');
  const [visible, setVisible] = useState(false);
  const [placement, setPlacement] = useState<Placement | null>(null);
  const [reason, setReason] = useState('');
  const [location, setLocation] = useState('');
  const [tried, setTried] = useState(false);
  const { busy, setBusy, error, setError } = useAction();
  const [signed, setSigned] = useState<{ name: string; blob: Blob } | null>(null);
  const pinBad = !/^\d{6,8}$/.test(pin);
  const placementMissing = visible && files.length > 0 && !placement;
  const options = () => ({
    pin,
    ...(visible && placement ? { visible: placement } : {}),
    ...(reason.trim() ? { reason: reason.trim() } : {}),
    ...(location.trim() ? { location: location.trim() } : {}),
  });
  return (
    <form
      class="card"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setTried(true);
        if (!files.length || pinBad || placementMissing) return;
        setBusy(true);
        setError(null);
        setSigned(null);
        try {
          if (files.length > 1) {
            // Several files: one job, the PIN checked once; its page shows the progress and the zip.
            const form = new FormData();
            form.append('options', JSON.stringify(options()));
            for (const f of files) form.append('documents', f, f.name);
            const job = await api<{ id: string }>(`/api/v1/signing-accounts/${props.account.id}/sign-jobs`, { method: 'POST', body: form });
            navigate(`/sign-jobs/${job.id}`);
            return;
          }
          const file = files[0]!;
          const answer = await api<{ document: string }>(`/api/v1/signing-accounts/${props.account.id}/sign`, {
            method: 'POST',
            body: { ...options(), document: await fileToBase64(file), format: 'pades' },
          });
          setSigned({ name: file.name.replace(/\.pdf$/i, '') + '-signed.pdf', blob: base64ToBlob(answer.document, 'application/pdf') });
          setPin('');
          setTried(false);
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2>{t('sign.submit')}</h2>
      <ErrorNotice error={error} />
      <FileField label={t('sign.files')} accept=".pdf,application/pdf" multiple required onFiles={setFiles} error={tried && !files.length ? t('check.file') : undefined} />
      <div class="field check">
        <label>
          <input type="checkbox" checked={visible} onChange={(e) => setVisible((e.target as HTMLInputElement).checked)} /> {t('sign.visible')}
        </label>
      </div>
      {visible ? (
        files.length ? (
          <Lazy load={() => import('./placement').then((m) => m.PlacementPicker)} props={{ file: files[0]!, several: files.length > 1, onChange: setPlacement }} />
        ) : (
          <p class="hint">{t('sign.chooseFile')}</p>
        )
      ) : null}
      {tried && placementMissing ? <p class="error-text" role="alert">{t('sign.placementMissing')}</p> : null}
      <TextField label={`${t('sign.reasonText')} (${t('common.optional')})`} value={reason} onInput={setReason} maxLength={200} />
      <TextField label={`${t('sign.location')} (${t('common.optional')})`} value={location} onInput={setLocation} maxLength={200} />
      <TextField label={t('field.pin')} type="password" inputMode="numeric" autoComplete="off" value={pin} onInput={setPin} required error={tried && pinBad ? t('check.pin') : undefined} />
      <Button kind="primary" type="submit" busy={busy}>
        {t('sign.submit')}
      </Button>
      {signed && !busy ? (
        <Notice kind="ok">
          <p>{t('sign.signed', { n: 1 })}</p>
          <p>
            <Button onClick={() => saveBlob(signed.blob, signed.name)}>{t('sign.download', { name: signed.name })}</Button>
          </p>
        </Notice>
      ) : null}
    </form>
  );
}

function PinForm(props: { account: SigningAccount; onChanged: () => void }): JSX.Element {
  const [pin, setPin] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useAction();
  const [done, setDone] = useState(false);
  const nextError = tried || next ? checkPin(next) : undefined;
  const againError = tried && again !== next ? t('check.pinMismatch') : undefined;
  return (
    <form
      class="card"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setTried(true);
        setDone(false);
        if (!/^\d{6,8}$/.test(pin) || checkPin(next) || again !== next) return;
        await run(async () => {
          await api(`/api/v1/signing-accounts/${props.account.id}/pin`, { method: 'POST', body: { pin, newPin: next } });
          setDone(true);
          setPin('');
          setNext('');
          setAgain('');
          setTried(false);
          props.onChanged();
        });
      }}
    >
      <h2>{t('sign.changePin')}</h2>
      {done ? <Notice kind="ok">{t('sign.pinChanged')}</Notice> : null}
      <ErrorNotice error={error} />
      <TextField label={t('field.pin')} type="password" inputMode="numeric" autoComplete="off" value={pin} onInput={setPin} required error={tried && !/^\d{6,8}$/.test(pin) ? t('check.pin') : undefined} />
      <TextField label={t('field.newPin')} hint={t('field.pinHint')} type="password" inputMode="numeric" autoComplete="off" value={next} onInput={setNext} required error={nextError} />
      <TextField label={t('field.confirmPin')} type="password" inputMode="numeric" autoComplete="off" value={again} onInput={setAgain} required error={againError} />
      <Button kind="primary" type="submit" busy={busy}>
        {t('sign.changePin')}
      </Button>
    </form>
  );
}

/** The image visible signatures show: the holder's handwritten signature, or the organization's seal. */
function AppearanceForm(props: { account: SigningAccount }): JSX.Element {
  const seal = props.account.holder === 'organization';
  const [file, setFile] = useState<File | null>(null);
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useAction();
  const [done, setDone] = useState(false);
  return (
    <form
      class="card"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setTried(true);
        if (!file) return;
        setDone(false);
        await run(async () => {
          const form = new FormData();
          form.append('image', file);
          await request(`/api/v1/signing-accounts/${props.account.id}/appearance`, { method: 'PUT', body: form });
          setDone(true);
        });
      }}
    >
      <h2>{seal ? t('sign.seal') : t('sign.appearance')}</h2>
      {done ? <Notice kind="ok">{seal ? t('sign.sealDone') : t('sign.appearanceDone')}</Notice> : null}
      <ErrorNotice error={error} />
      <FileField label={t('common.file')} hint={t('sign.appearanceHint')} accept="image/png" required onFiles={(f) => setFile(f[0] ?? null)} error={tried && !file ? t('check.file') : undefined} />
      <Button type="submit" busy={busy}>
        {t('sign.appearanceSubmit')}
      </Button>
    </form>
  );
}
