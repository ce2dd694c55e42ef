// The one way the application talks to kyso's JSON API: bearer token from the session, problem+json
// errors as ApiError, an expired session and a lockout turned into events the shell shows.

/** The logged-in user, as the login answer gives it. */
export interface User {
  id: string;
  username: string;
  role: 'admin' | 'officer' | 'agency' | 'signer' | 'auditor';
  organizationId: string | null;
  mustChangePassword?: boolean;
}

interface Session {
  token: string;
  expiresAt: string;
  user: User;
}

/** An RFC 9457 problem answered by the API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly errors: Array<{ path: string; message: string }> = [],
    readonly retryAfterSeconds?: number,
    readonly type?: string,
  ) {
    super(detail);
  }
}

const KEY = 'kyso.session';
let session: Session | null = (() => {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
  } catch {
    return null;
  }
})();
const listeners = new Set<(why: 'login' | 'logout' | 'expired') => void>();

/** The current session's user, if logged in. */
export const currentUser = (): User | null => session?.user ?? null;

/** The staff roles: they review requests, change certificates' status and open signing accounts. */
export const STAFF: ReadonlyArray<User['role']> = ['officer', 'admin'];

/** Whether the current user is staff (officer or admin). */
export function isStaff(): boolean {
  const role = currentUser()?.role;
  return role !== undefined && STAFF.includes(role);
}

/** Called when the session starts, ends, or expires. */
export function onSessionChange(listener: (why: 'login' | 'logout' | 'expired') => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function setSession(next: Session | null, why: 'login' | 'logout' | 'expired'): void {
  session = next;
  if (next) sessionStorage.setItem(KEY, JSON.stringify(next));
  else sessionStorage.removeItem(KEY);
  for (const l of listeners) l(why);
}

/** Sends a request; JSON in and out unless `body` is FormData/Blob or `raw` asks for the Response. */
export async function request(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
  if (session) headers.Authorization = `Bearer ${session.token}`;
  let body: BodyInit | undefined;
  if (init.body instanceof FormData || init.body instanceof Blob) body = init.body;
  else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
  } catch {
    throw new ApiError(0, 'network');
  }
  if (res.ok) return res;
  let problem: { detail?: string; title?: string; errors?: Array<{ path: string; message: string }>; type?: string } = {};
  try {
    problem = (await res.json()) as typeof problem;
  } catch {
    /* not JSON: keep the status */
  }
  const retry = Number(res.headers.get('Retry-After'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  const error = new ApiError(res.status, problem.detail ?? problem.title ?? res.statusText, problem.errors ?? [], retryAfter, problem.type);
  // A 401 on anything but the login form means the session ended (expired, or another tab logged out).
  if (res.status === 401 && session && !path.endsWith('/auth/login')) setSession(null, 'expired');
  throw error;
}

/** GET or POST JSON and parse the answer (undefined for 204). */
export async function api<T>(path: string, init: Parameters<typeof request>[1] = {}): Promise<T> {
  const res = await request(path, init);
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('Content-Type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

/** Logs in; the answer's user becomes the session. */
export async function login(username: string, password: string): Promise<User> {
  const answer = await api<Session & { mustChangePassword?: boolean }>('/api/v1/auth/login', { method: 'POST', body: { username, password } });
  const user = { ...answer.user, mustChangePassword: answer.mustChangePassword ?? answer.user.mustChangePassword ?? false };
  setSession({ token: answer.token, expiresAt: answer.expiresAt, user }, 'login');
  return user;
}

/** Marks the session's user as having changed the password. */
export function passwordChanged(): void {
  if (session) setSession({ ...session, user: { ...session.user, mustChangePassword: false } }, 'login');
}

/** Ends the session on the server (best effort) and here. */
export async function logout(): Promise<void> {
  await request('/api/v1/auth/logout', { method: 'POST' }).catch(() => undefined);
  setSession(null, 'logout');
}

/** The session ends at its expiry time even if no request notices: the shell shows the login. */
export function sessionExpiresInMs(): number | null {
  return session ? new Date(session.expiresAt).getTime() - Date.now() : null;
}

/** Ends the local session as expired (the expiry timer). */
export function expireSession(): void {
  if (session) setSession(null, 'expired');
}

/** Saves a Blob under a file name through a temporary link. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads an API resource (with the session's token) as a file. */
export async function download(path: string, name: string, init: Parameters<typeof request>[1] = {}): Promise<void> {
  const res = await request(path, { ...init, headers: { Accept: '*/*', ...init.headers } });
  saveBlob(await res.blob(), name);
}

/** A File's bytes as base64 (documents for the JSON signing and verification routes). */
export async function fileToBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** base64 → Blob. */
export function base64ToBlob(b64: string, type: string): Blob {
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type });
}
