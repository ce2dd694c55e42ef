import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, currentUser, login, passwordChanged, type User } from '../api';
import { t } from '../i18n';
import { msg, msgOf, type Msg } from '../i18n';
import { Link, navigate } from '../router';
import { Button, ErrorNotice, Notice, Page, TextField, errorText, retryMinutes , useAction } from '../ui';

/** The login form; an expired session or a lockout says so in words. */
export function LoginScreen(props: { reason: 'expired' | 'logout' | null; onLogin: (u: User) => void }): JSX.Element {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Msg | null>(null);
  return (
    <Page title={t('login.title')}>
      {props.reason === 'expired' && !error ? <Notice kind="info" focus={false}>{t('login.expired')}</Notice> : null}
      {props.reason === 'logout' && !error ? <Notice kind="info" focus={false}>{t('login.loggedOut')}</Notice> : null}
      <form
        class="card narrow"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            props.onLogin(await login(username.trim(), password));
          } catch (err) {
            if (err instanceof ApiError && err.status === 429) setError(msg('error.429', { minutes: retryMinutes(err) }));
            else if (err instanceof ApiError && (err.status === 401 || err.status === 400)) setError(msg('login.bad'));
            else setError(msgOf(() => errorText(err)));
          } finally {
            setBusy(false);
          }
        }}
      >
        {error ? <Notice kind="error">{error.say()}</Notice> : null}
        <TextField label={t('login.username')} value={username} onInput={setUsername} autoComplete="username" required />
        <TextField label={t('login.password')} type="password" value={password} onInput={setPassword} autoComplete="current-password" required />
        <Button kind="primary" type="submit" busy={busy}>
          {t('login.submit')}
        </Button>
      </form>
      <p>
        <Link href="/verify">{t('login.verifyLink')}</Link>
      </p>
    </Page>
  );
}

/** Change one's own password; `forced` after an admin reset (nothing else is reachable until done). */
export function PasswordScreen(props: { params: Record<string, string>; forced?: boolean }): JSX.Element {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const { busy, error, run } = useAction();
  const [done, setDone] = useState(false);
  const [tried, setTried] = useState(false);
  const user = currentUser();
  const nextError = !tried ? undefined : next.length < 12 ? t('password.tooShort') : user && next.toLowerCase() === user.username.toLowerCase() ? t('password.sameAsUser') : undefined;
  const againError = tried && again !== next ? t('password.mismatch') : undefined;
  return (
    <Page title={t('password.title')}>
      {props.forced ? <Notice kind="info" focus={false}>{t('password.must')}</Notice> : null}
      {done ? <Notice kind="ok">{t('password.done')}</Notice> : null}
      <form
        class="card narrow"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTried(true);
          if (next.length < 12 || again !== next || (user && next.toLowerCase() === user.username.toLowerCase())) return;
          await run(async () => {
            await api('/api/v1/auth/password', { method: 'POST', body: { currentPassword: current, newPassword: next } });
            setDone(true);
            setCurrent('');
            setNext('');
            setAgain('');
            setTried(false);
            if (props.forced) {
              passwordChanged();
              navigate('/', { replace: true });
            }
          });
        }}
      >
        <ErrorNotice error={error} />
        <TextField label={t('password.current')} type="password" value={current} onInput={setCurrent} autoComplete="current-password" required error={tried && !current ? t('check.required') : undefined} />
        <TextField label={t('password.new')} hint={t('password.rules')} type="password" value={next} onInput={setNext} autoComplete="new-password" required error={nextError} />
        <TextField label={t('password.confirm')} type="password" value={again} onInput={setAgain} autoComplete="new-password" required error={againError} />
        <Button kind="primary" type="submit" busy={busy}>
          {t('password.submit')}
        </Button>
      </form>
    </Page>
  );
}
