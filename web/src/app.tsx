// The shell: skip link, header with language switch and logout, the navigation a role may use, and
// the screen for the current path. An expired session comes back to the login with its reason.
import type { ComponentType, JSX } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { currentUser, expireSession, logout, onSessionChange, sessionExpiresInMs, STAFF, type User } from './api';
import { currentLang, label, onLangChange, setLang, t, type Key } from './i18n';
import { Link, match, navigate, useLocation } from './router';
import { Page } from './ui';
import { LoginScreen, PasswordScreen } from './screens/login';
import { NewRequestScreen, RequestListScreen, RequestScreen, UploadRequestsScreen } from './screens/requests';
import { CertificateListScreen, CertificateScreen, ImportScreen } from './screens/certificates';
import { VerifyScreen } from './screens/verify';
import { SignScreen } from './screens/sign';
import { OrganizationListScreen, OrganizationScreen, UserListScreen, UserScreen, SectorScreen, TrustAnchorScreen, CaScreen } from './screens/admin';
import { AccountListScreen, AccountScreen, SignJobScreen } from './screens/accounts';
import { AuditScreen } from './screens/audit';
import { Lazy } from './lazy';

type Role = User['role'];
const REQUESTERS: Role[] = ['agency', ...STAFF];

interface RouteEntry {
  path: string;
  roles: readonly Role[] | 'public';
  screen: ComponentType<{ params: Record<string, string> }>;
}

const StatsScreen = (p: { params: Record<string, string> }) => <Lazy load={() => import('./screens/stats').then((m) => m.StatsScreen)} props={p} />;

const ROUTES: RouteEntry[] = [
  { path: '/verify', roles: 'public', screen: VerifyScreen },
  { path: '/account/password', roles: ['admin', 'officer', 'agency', 'signer', 'auditor'], screen: PasswordScreen },
  { path: '/requests', roles: REQUESTERS, screen: RequestListScreen },
  { path: '/requests/new', roles: REQUESTERS, screen: NewRequestScreen },
  { path: '/requests/upload', roles: REQUESTERS, screen: UploadRequestsScreen },
  { path: '/requests/:id', roles: REQUESTERS, screen: RequestScreen },
  { path: '/certificates', roles: [...REQUESTERS, 'auditor'], screen: CertificateListScreen },
  { path: '/certificates/import', roles: STAFF, screen: ImportScreen },
  { path: '/certificates/:serial', roles: [...REQUESTERS, 'auditor'], screen: CertificateScreen },
  { path: '/sign', roles: ['signer'], screen: SignScreen },
  { path: '/signing-accounts', roles: [...STAFF, 'signer'], screen: AccountListScreen },
  { path: '/signing-accounts/:id', roles: [...STAFF, 'signer'], screen: AccountScreen },
  { path: '/sign-jobs/:id', roles: ['signer', ...STAFF], screen: SignJobScreen },
  { path: '/organizations', roles: ['admin'], screen: OrganizationListScreen },
  { path: '/organizations/:id', roles: ['admin', 'officer'], screen: OrganizationScreen },
  { path: '/users', roles: ['admin'], screen: UserListScreen },
  { path: '/users/:id', roles: ['admin'], screen: UserScreen },
  { path: '/sectors', roles: ['admin'], screen: SectorScreen },
  { path: '/trust-anchors', roles: ['admin'], screen: TrustAnchorScreen },
  { path: '/cas', roles: ['admin'], screen: CaScreen },
  { path: '/stats', roles: ['officer', 'admin', 'auditor'], screen: StatsScreen },
  { path: '/audit', roles: ['admin', 'auditor'], screen: AuditScreen },
];

const NAV: Array<{ href: string; key: Key; roles: readonly Role[] }> = [
  { href: '/requests', key: 'nav.requests', roles: ['agency'] },
  { href: '/requests', key: 'nav.review', roles: STAFF },
  { href: '/requests/new', key: 'nav.newRequest', roles: ['agency'] },
  { href: '/requests/upload', key: 'nav.upload', roles: ['agency'] },
  { href: '/certificates', key: 'nav.certificates', roles: [...REQUESTERS, 'auditor'] },
  { href: '/certificates/import', key: 'nav.import', roles: STAFF },
  { href: '/sign', key: 'nav.sign', roles: ['signer'] },
  { href: '/signing-accounts', key: 'nav.accounts', roles: STAFF },
  { href: '/organizations', key: 'nav.organizations', roles: ['admin'] },
  { href: '/users', key: 'nav.users', roles: ['admin'] },
  { href: '/sectors', key: 'nav.sectors', roles: ['admin'] },
  { href: '/trust-anchors', key: 'nav.trustAnchors', roles: ['admin'] },
  { href: '/cas', key: 'nav.cas', roles: ['admin'] },
  { href: '/stats', key: 'nav.stats', roles: ['officer', 'admin', 'auditor'] },
  { href: '/audit', key: 'nav.audit', roles: ['admin', 'auditor'] },
];

/** Where a role starts after login. */
const home = (user: User): string => NAV.find((n) => n.roles.includes(user.role))?.href ?? '/verify';

/** The whole application. */
export function App(): JSX.Element {
  const [, rerender] = useState(0);
  const [user, setUser] = useState<User | null>(currentUser());
  const [loginReason, setLoginReason] = useState<'expired' | 'logout' | null>(null);
  const [menuOpen, setMenuOpen] = useState(false);
  const { path, query } = useLocation();

  useEffect(() => onLangChange(() => rerender((n) => n + 1)), []);
  useEffect(
    () =>
      onSessionChange((why) => {
        setUser(currentUser());
        if (why === 'expired' || why === 'logout') {
          setLoginReason(why);
          const here = location.pathname + location.search;
          navigate(here.startsWith('/login') || why === 'logout' ? '/login' : `/login?next=${encodeURIComponent(here)}`, { replace: true });
        }
        if (why === 'login') setLoginReason(null);
      }),
    [],
  );
  // The session ends at its expiry even when no request notices it.
  useEffect(() => {
    const ms = sessionExpiresInMs();
    if (ms === null) return;
    const timer = setTimeout(expireSession, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    return () => clearTimeout(timer);
  }, [user]);
  useEffect(() => setMenuOpen(false), [path]);

  let content: JSX.Element;
  if (path === '/admin') {
    navigate('/', { replace: true });
    content = <></>;
  } else if (!user && path !== '/verify') {
    if (path !== '/login') navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    content = <LoginScreen reason={loginReason} onLogin={(u) => navigate(safeNext(query.get('next')) ?? home(u), { replace: true })} />;
  } else if (user?.mustChangePassword) {
    content = <PasswordScreen params={{}} forced />;
  } else if (path === '/' || path === '/login') {
    navigate(user ? home(user) : '/verify', { replace: true });
    content = <></>;
  } else {
    const found = ROUTES.map((r) => ({ r, params: match(r.path, path) })).find((x) => x.params);
    if (!found) content = <NotFound />;
    else if (found.r.roles !== 'public' && (!user || !found.r.roles.includes(user.role))) content = <Forbidden />;
    else {
      const Screen = found.r.screen;
      content = <Screen key={path} params={found.params!} />;
    }
  }

  const lang = currentLang();
  useLayoutEffect(() => {
    document.documentElement.lang = lang;
  });
  const other = lang === 'vi' ? 'en' : 'vi';
  const nav = user && !user.mustChangePassword ? NAV.filter((n) => n.roles.includes(user.role)) : [];
  return (
    <>
      <a class="skip" href="#main">
        {t('app.skip')}
      </a>
      <header class="top">
        <div class="brand">
          <Link href="/">kyso</Link>
          <span class="tagline">{t('app.name').replace(/^kyso — /, '')}</span>
        </div>
        <div class="tools">
          <button type="button" class="btn plain lang" lang={other} onClick={() => setLang(other)} aria-label={other === 'en' ? 'English' : 'Tiếng Việt'}>
            {other === 'en' ? 'English' : 'Tiếng Việt'}
          </button>
          {user ? (
            <>
              <span class="who">
                <span translate={false}>{user.username}</span> · {label('role', user.role)}
              </span>
              <Link class="btn plain" href="/account/password">
                {t('password.title')}
              </Link>
              <button type="button" class="btn plain" onClick={() => void logout()}>
                {t('app.logout')}
              </button>
            </>
          ) : (
            <Link class="btn plain" href={path === '/verify' ? '/login' : '/verify'}>
              {path === '/verify' ? t('login.title') : t('nav.verify')}
            </Link>
          )}
        </div>
      </header>
      {nav.length ? (
        <nav class="main-nav" aria-label={t('app.nav')}>
          <button type="button" class="btn plain menu-toggle" aria-expanded={menuOpen} aria-controls="nav-list" onClick={() => setMenuOpen(!menuOpen)}>
            {t('app.menu')}
          </button>
          <ul id="nav-list" class={menuOpen ? 'open' : ''}>
            {[...nav, { href: '/verify', key: 'nav.verify' as Key, roles: [] }].map((n) => (
              <li key={n.key}>
                <Link href={n.href} aria-current={isCurrent(n.href, path) ? 'page' : undefined}>
                  {t(n.key)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      ) : null}
      <main id="main" tabIndex={-1}>
        {content}
      </main>
    </>
  );
}

/** A nav entry is current for its own path and its detail pages, unless a longer entry matches. */
function isCurrent(href: string, path: string): boolean {
  if (path === href) return true;
  if (!path.startsWith(`${href}/`)) return false;
  return !NAV.some((n) => n.href !== href && n.href.startsWith(href) && (path === n.href || path.startsWith(`${n.href}/`)));
}

/** Only a path inside the application (never another site) after login. */
const safeNext = (next: string | null): string | null => (next && /^\/[^/\\]/.test(next) && !next.startsWith('/login') ? next : null);

function NotFound(): JSX.Element {
  return (
    <Page title={t('app.notFound')}>
      <p>{t('app.notFoundText')}</p>
      <Link href="/">{t('app.home')}</Link>
    </Page>
  );
}

function Forbidden(): JSX.Element {
  return (
    <Page title={t('error.403')}>
      <p>{t('app.forbidden')}</p>
      <Link href="/">{t('app.home')}</Link>
    </Page>
  );
}
