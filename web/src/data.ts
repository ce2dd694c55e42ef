// Lists the screens share (organizations, sectors, provinces), fetched once per session and language-free.
import { api, currentUser, onSessionChange } from './api';
import { has, label, t, type Key } from './i18n';

/** An organization as the API answers it. */
export interface Organization {
  id: string;
  name: string;
  code: string;
  sector: string;
  province: string;
  parentId: string | null;
  createdAt: string;
}

/** A province of `GET /api/v1/provinces`. */
export interface Province {
  code: string;
  name: string;
  current: boolean;
  mergedInto?: string;
}

let orgs: Promise<Organization[]> | null = null;
let sectors: Promise<Array<{ code: string; name: string }>> | null = null;
let provinces: Promise<Province[]> | null = null;

// Another user on the same tab sees other organizations: the lists start over at every login,
// logout and expiry (the provinces are the same for everyone).
onSessionChange(() => {
  orgs = null;
  sectors = null;
});

/** Every page of a paginated list (organizations, users: hundreds at most). */
export async function allPages<T>(path: string, max = 5000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: { items: T[]; nextCursor: string | null } = await api(`${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && out.length < max);
  return out;
}

/** The organizations the user may see. */
export function organizations(refresh = false): Promise<Organization[]> {
  if (refresh || !orgs) orgs = allPages<Organization>('/api/v1/organizations').catch((e: unknown) => {
    orgs = null;
    throw e;
  });
  return orgs;
}

/** An organization's name in a loaded list; undefined while the list loads or when it lacks the id. */
export function orgName(list: Organization[] | undefined, id: string | null | undefined): string | undefined {
  return id ? list?.find((o) => o.id === id)?.name : undefined;
}

/** A select's options for choosing an organization: none first, then the list (names are data: not translated). */
export function organizationOptions(list: Organization[]): Array<{ value: string; label: string; data?: boolean }> {
  return [{ value: '', label: '—' }, ...list.map((o) => ({ value: o.id, label: o.name, data: true }))];
}

/** Every sector (code and its Vietnamese name). */
export function sectorList(refresh = false): Promise<Array<{ code: string; name: string }>> {
  if (refresh || !sectors) sectors = api<Array<{ code: string; name: string }>>('/api/v1/sectors').catch((e: unknown) => {
    sectors = null;
    throw e;
  });
  return sectors;
}

/** The provinces list. */
export function provinceList(): Promise<Province[]> {
  provinces ??= api<Province[]>('/api/v1/provinces').catch((e: unknown) => {
    provinces = null;
    throw e;
  });
  return provinces;
}

/** A sector in the page language: the known ones translated, an admin-added one by its own name. */
export function sectorName(code: string, list?: Array<{ code: string; name: string }>): string {
  return has(`sector.${code}`) ? t(`sector.${code}` as Key) : (list?.find((s) => s.code === code)?.name ?? label('sector', code));
}

/** The organization the user belongs to, if any. */
export const ownOrganizationId = (): string | null => currentUser()?.organizationId ?? null;
