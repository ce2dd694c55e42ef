// The application's building blocks: pages that take focus, labelled fields with their errors,
// buttons that show they are busy, tables that stack on a phone, confirmation dialogs.
import type { ButtonHTMLAttributes, ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { organizationOptions, type Organization } from './data';
import { has, t, type Key } from './i18n';
import { useLocation } from './router';

/** A screen: its heading takes the focus after each navigation (screen readers announce it). */
export function Page(props: { title: string; name?: string; children: ComponentChildren; lead?: ComponentChildren }): JSX.Element {
  const heading = useRef<HTMLHeadingElement>(null);
  const { path } = useLocation();
  useLayoutEffect(() => {
    document.title = `${props.name ? `${props.title}: ${props.name}` : props.title} — kyso`;
  }, [props.title, props.name]);
  useEffect(() => {
    // Not on the very first load (the browser starts at the top; the skip link comes first).
    if (sessionStorage.getItem('kyso.navigated')) heading.current?.focus();
    sessionStorage.setItem('kyso.navigated', '1');
  }, [path]);
  return (
    <section class="page" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1} ref={heading}>
        {props.title}
        {props.name ? (
          <>
            : <span translate={false}>{props.name}</span>
          </>
        ) : null}
      </h1>
      {props.lead ? <p class="lead">{props.lead}</p> : null}
      {props.children}
    </section>
  );
}

/** A message after an action; takes the focus so the result is read out. */
export function Notice(props: { kind: 'ok' | 'error' | 'info'; children: ComponentChildren; focus?: boolean }): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (props.focus === false) return;
    // After the current task: a closing dialog hands the focus back to its opener first.
    const timer = setTimeout(() => ref.current?.focus(), 0);
    return () => clearTimeout(timer);
  }, [props.children]);
  return (
    <div ref={ref} tabIndex={-1} class={`notice ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

/** Minutes to wait after a 429 (Retry-After, rounded up, at least one). */
export const retryMinutes = (err: ApiError): number => Math.max(1, Math.ceil((err.retryAfterSeconds ?? 60) / 60));

const FIELD_MESSAGES: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^required$/i, () => t('check.required')],
  [/at most (\d+) characters/i, (m) => t('check.maxLength', { n: m[1]! })],
  [/did you mean "([^"]+)"/, (m) => t('error.province', { name: m[1]! })],
  [/^unknown province/, () => t('error.provinceUnknown')],
  [/not an e-mail/i, () => t('check.email')],
  [/msisdn|84 followed by 9 digits/i, () => t('check.msisdn')],
  [/personal identifier|CCCD, CMND or HC/i, () => t('check.personalUid')],
  [/only MST|MST or MNS/i, () => t('check.orgUid')],
  [/12 digits \(citizen/i, () => t('check.CCCD', { uid: 'CCCD' })],
  [/9 or 12 digits/i, () => t('check.CMND', { uid: 'CMND' })],
  [/passport/i, () => t('check.HC', { uid: 'HC' })],
  [/tax code/i, () => t('check.MST', { uid: 'MST' })],
  [/budget-unit/i, () => t('check.MNS', { uid: 'MNS' })],
  [/6 to 8 digits|6–8 digits/i, () => t('check.pin')],
  [/3–64 letters/i, () => t('check.username')],
  [/password/i, () => t('error.weakPassword')],
];

/** A server message for one field, in the page language when kyso knows it. */
export function fieldMessage(message: string): string | undefined {
  for (const [re, say] of FIELD_MESSAGES) {
    const m = re.exec(message);
    if (m) return say(m);
  }
  return undefined;
}

/** The words for an API error, in the page language. */
export function errorText(err: unknown): string {
  if (!(err instanceof ApiError)) return t('error.500');
  if (err.status === 0) return t('error.network');
  if (err.status === 429) return t('error.429', { minutes: retryMinutes(err) });
  const d = err.detail ?? '';
  if (/pin-change-required|must change the PIN|change the PIN/i.test(`${err.type} ${d}`)) return t('error.pinChangeRequired');
  if (/password-change-required|must change (the|their|your) password/i.test(`${err.type} ${d}`)) return t('error.passwordChangeRequired');
  if (err.status === 403 && /wrong pin|pin is wrong|incorrect pin/i.test(d)) return t('error.wrongPin');
  if (err.status === 403 && /own request|four eyes|submitted (it )?(them)?sel/i.test(d)) return t('error.fourEyes');
  if (/current password/i.test(d)) return t('error.currentPassword');
  if (err.status === 422 && /issuer/i.test(d)) return t('error.unknownIssuer');
  if (err.status === 409 && /already/i.test(d)) return t('error.duplicate');
  for (const e of err.errors) {
    const m = fieldMessage(e.message);
    if (m) return m;
  }
  if (err.status === 422 && /csr|key/i.test(d)) return t('error.csr');
  const key = `error.${err.status >= 500 && err.status !== 503 ? 500 : err.status}`;
  return has(key) ? t(key as Key) : t('error.500');
}

/** An error in words, with the server's own (English) detail folded away for support staff. */
export function ErrorWords(props: { error: unknown }): JSX.Element {
  const text = errorText(props.error);
  const detail = props.error instanceof ApiError && props.error.status !== 0 ? props.error.detail : undefined;
  return (
    <>
      <p>{text}</p>
      {detail && detail !== text ? (
        <details>
          <summary>{t('common.technical')}</summary>
          <p translate={false} lang="en">
            {detail}
          </p>
        </details>
      ) : null}
    </>
  );
}

/** An error notice: the error in words, its detail folded away. */
export function ErrorNotice(props: { error: unknown; focus?: boolean }): JSX.Element | null {
  if (!props.error) return null;
  return (
    <Notice kind="error" focus={props.focus}>
      <ErrorWords error={props.error} />
    </Notice>
  );
}

/** Per-field errors from an ApiError (translated), keyed by the API's path (subject.uid.0 → subject.uid). */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (err instanceof ApiError) {
    for (const e of err.errors) {
      const path = e.path.replace(/\.\d+$/, '');
      out[path] ??= fieldMessage(e.message) ?? errorText(err);
    }
  }
  return out;
}

interface FieldProps {
  label: string;
  hint?: ComponentChildren;
  error?: string;
  required?: boolean;
}

function FieldShell(props: FieldProps & { id: string; children: ComponentChildren }): JSX.Element {
  return (
    <div class={`field${props.error ? ' invalid' : ''}`}>
      <div class="label-row">
        <label for={props.id}>{props.label}</label>
        {props.required ? (
          <span class="req" aria-hidden="true">
            *
          </span>
        ) : null}
      </div>
      {props.hint ? (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      {props.children}
      {props.error ? (
        <p class="error-text" id={`${props.id}-error`}>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

const describedBy = (id: string, p: FieldProps) => [p.hint ? `${id}-hint` : '', p.error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;

/** A labelled text input with its hint and error. */
export function TextField(
  props: FieldProps & {
    value: string;
    onInput: (v: string) => void;
    type?: 'text' | 'password' | 'email' | 'search';
    autoComplete?: string;
    inputMode?: 'numeric' | 'text' | 'email';
    maxLength?: number;
    placeholder?: string;
    pattern?: string;
  },
): JSX.Element {
  const { label, hint, error, value, onInput, required, type, ...rest } = props;
  const id = useId();
  return (
    <FieldShell id={id} label={label} hint={hint} error={error} required={required}>
      <input
        id={id}
        {...(rest as object)}
        type={(type ?? 'text') as 'text'}
        value={value}
        required={required}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, props)}
        onInput={(e) => onInput((e.target as HTMLInputElement).value)}
      />
    </FieldShell>
  );
}

/** A labelled multi-line text input. */
export function TextArea(props: FieldProps & { value: string; onInput: (v: string) => void; rows?: number }): JSX.Element {
  const id = useId();
  return (
    <FieldShell id={id} {...props}>
      <textarea
        id={id}
        rows={props.rows ?? 4}
        value={props.value}
        required={props.required}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(id, props)}
        onInput={(e) => props.onInput((e.target as HTMLTextAreaElement).value)}
      />
    </FieldShell>
  );
}

/** A labelled select. */
export function SelectField(
  props: FieldProps & {
    value: string;
    onChange: (v: string) => void;
    options: Array<{ value: string; label: string; group?: string; data?: boolean }>;
    id?: string;
  },
): JSX.Element {
  const auto = useId();
  const id = props.id ?? auto;
  const groups = [...new Set(props.options.map((o) => o.group ?? ''))];
  const render = (o: { value: string; label: string; data?: boolean }) => (
    <option key={o.value} value={o.value} translate={o.data ? false : undefined}>
      {o.label}
    </option>
  );
  return (
    <FieldShell id={id} {...props}>
      <select
        id={id}
        value={props.value}
        required={props.required}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(id, props)}
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
      >
        {groups.length > 1
          ? groups.map((g) => (
              <optgroup key={g} label={g}>
                {props.options.filter((o) => (o.group ?? '') === g).map(render)}
              </optgroup>
            ))
          : props.options.map(render)}
      </select>
    </FieldShell>
  );
}

/** A labelled file input. */
export function FileField(props: FieldProps & { accept?: string; multiple?: boolean; onFiles: (files: File[]) => void }): JSX.Element {
  const id = useId();
  return (
    <FieldShell id={id} {...props}>
      <input
        id={id}
        type="file"
        accept={props.accept}
        multiple={props.multiple}
        required={props.required}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(id, props)}
        onChange={(e) => props.onFiles([...((e.target as HTMLInputElement).files ?? [])])}
      />
    </FieldShell>
  );
}

/** dd/mm/yyyy → yyyy-mm-dd, or null when it is not a real date. */
export function parseDate(text: string): string | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text.trim());
  if (!m) return null;
  const iso = `${m[3]}-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
  const d = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== iso ? null : iso;
}

/** yyyy-mm-dd → dd/mm/yyyy. */
export const isoToText = (iso: string): string => (iso ? `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}` : '');

/**
 * A date typed as dd/mm/yyyy: the browser's own date input shows the browser's locale
 * (mm/dd/yyyy on an English system), tables and officials write dd/mm/yyyy.
 */
export function DateField(props: FieldProps & { value: string; onInput: (v: string) => void }): JSX.Element {
  const invalid = props.value !== '' && !parseDate(props.value);
  return (
    <TextField
      label={props.label}
      hint={props.hint ?? t('app.dateFormat')}
      error={props.error ?? (invalid ? t('app.dateFormat') : undefined)}
      required={props.required}
      value={props.value}
      onInput={props.onInput}
      inputMode="numeric"
      autoComplete="off"
      placeholder="dd/mm/yyyy"
      pattern="\d{1,2}/\d{1,2}/\d{4}"
    />
  );
}

/** A button that shows it is working and cannot be pressed twice meanwhile. */
export function Button(
  props: { busy?: boolean; kind?: 'primary' | 'danger' | 'plain'; class?: string } & Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'class'>,
): JSX.Element {
  const { busy, kind, children, class: cls, ...rest } = props;
  return (
    <button type="button" {...rest} class={`btn ${kind ?? 'plain'} ${cls ?? ''}`} disabled={busy || rest.disabled} aria-busy={busy ? true : undefined}>
      {busy ? <span class="spinner" aria-hidden="true" /> : null}
      {children}
    </button>
  );
}

/** One column of a DataTable. */
export interface Column<Row> {
  header: string;
  render: (row: Row) => ComponentChildren;
  /** Data (names, codes) that is not translated. */
  data?: boolean;
  numeric?: boolean;
}

/** A table that becomes one card per row on a narrow screen (each cell labelled with its header). */
export function DataTable<Row>(props: {
  caption: string;
  columns: Column<Row>[];
  rows: Row[];
  rowKey: (r: Row) => string;
  captionHidden?: boolean;
  foot?: ComponentChildren;
}): JSX.Element {
  if (props.rows.length === 0) return <p class="empty">{t('common.none')}</p>;
  return (
    <div class="table-wrap">
      <table class="data">
        <caption class={props.captionHidden ? 'visually-hidden' : undefined}>{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c, i) => (
              <th key={i} scope="col" class={c.numeric ? 'num' : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={props.rowKey(r)}>
              {props.columns.map((c, i) => (
                <td key={i} data-label={c.header} class={c.numeric ? 'num' : undefined} translate={c.data ? false : undefined}>
                  {c.render(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
        {props.foot}
      </table>
    </div>
  );
}

/** A translated text whose parameters are data (names, serials): each is marked translate="no". */
export function tData(key: Key, params: Record<string, string>): JSX.Element {
  const text = t(key, Object.fromEntries(Object.keys(params).map((k) => [k, `\u0001${k}\u0001`])));
  return <>{text.split('\u0001').map((part, i) => (i % 2 ? <span translate={false}>{params[part]}</span> : part))}</>;
}

/** A modal dialog (native <dialog>: focus stays inside, Escape closes, focus returns afterwards). */
export function Dialog(props: { title: ComponentChildren; open: boolean; onClose: () => void; children: ComponentChildren }): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      opener.current = document.activeElement;
      d.showModal();
    } else if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby="dialog-title"
      onClose={() => {
        props.onClose();
        if (document.activeElement === document.body) (opener.current as HTMLElement | null)?.focus?.();
      }}
    >
      <h2 id="dialog-title">{props.title}</h2>
      {props.open ? props.children : null}
    </dialog>
  );
}

/**
 * A destructive action behind a confirmation dialog that names what it acts on: `ask()` opens it,
 * `run` is called on confirmation; an error stays in the dialog beside the buttons.
 */
export function useConfirm(): {
  ask: (options: ConfirmOptions) => void;
  dialog: JSX.Element;
} {
  const [options, setOptions] = useState<null | ConfirmOptions>(null);
  const [busy, setBusy] = useState(false);
  const [tried, setTried] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const ask = useCallback((o: ConfirmOptions) => {
    setError(null);
    setTried(false);
    setOptions(o);
  }, []);
  const dialog = (
    <Dialog title={options?.title()} open={options !== null} onClose={() => setOptions(null)}>
      <form
        method="dialog"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTried(true);
          if (!options || (options.canConfirm && !options.canConfirm())) {
            (e.currentTarget.querySelector('[aria-invalid="true"], textarea, select') as HTMLElement | null)?.focus();
            return;
          }
          setBusy(true);
          setError(null);
          const dialog = e.currentTarget.closest('dialog');
          try {
            await options.run();
            // Close now, so the dialog hands the focus back before the result's notice takes it.
            dialog?.close();
            setOptions(null);
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        {options?.body?.(tried)}
        <ErrorNotice error={error} />
        <div class="actions">
          <Button kind="danger" type="submit" busy={busy}>
            {options?.confirm()}
          </Button>
          <Button onClick={() => setOptions(null)}>{t('common.cancel')}</Button>
        </div>
      </form>
    </Dialog>
  );
  return { ask, dialog };
}

/**
 * What a confirmation dialog shows and does. The texts are functions, rendered each time, so the
 * open dialog follows a language switch; `body` takes whether confirming was tried (to show field errors).
 */
export interface ConfirmOptions {
  title: () => ComponentChildren;
  body: ((tried: boolean) => ComponentChildren) | null;
  confirm: () => string;
  run: () => Promise<void>;
  canConfirm?: () => boolean;
}

/** A required free-text reason inside a confirmation dialog (read back by its id). */
export function ReasonText(props: { id: string; label: string; tried: boolean }): JSX.Element {
  const [value, setValue] = useState('');
  const bad = props.tried && !value.trim();
  return (
    <div class={`field${bad ? ' invalid' : ''}`}>
      <div class="label-row">
        <label for={props.id}>{props.label}</label>
        <span class="req" aria-hidden="true">
          *
        </span>
      </div>
      <textarea id={props.id} rows={3} required value={value} aria-invalid={bad ? true : undefined} aria-describedby={bad ? `${props.id}-error` : undefined} onInput={(e) => setValue((e.target as HTMLTextAreaElement).value)} />
      {bad ? (
        <p class="error-text" id={`${props.id}-error`}>
          {t('check.required')}
        </p>
      ) : null}
    </div>
  );
}

/** The value of a form control by id (dialog fields). */
export const valueOf = (id: string): string => (document.getElementById(id) as HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement | null)?.value.trim() ?? '';

/** Loads data for a screen: loading, error and a reload. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data: state.data, error: state.error, loading: state.loading, reload: () => setTick((n) => n + 1) };
}

/** "Loading…" for slow screens (announced politely), the error in words, or the content. */
export function Loaded<T>(props: { state: { data: T | undefined; error: unknown; loading: boolean }; children: (data: T) => ComponentChildren }): JSX.Element {
  if (props.state.error) return <ErrorNotice error={props.state.error} focus={false} />;
  if (props.state.data === undefined) return <Loading />;
  return <>{props.children(props.state.data)}</>;
}

/** The required choice of an organization, once the list has loaded. */
export function OrganizationField(props: {
  orgs: { data: Organization[] | undefined; error: unknown; loading: boolean };
  value: string;
  onChange: (id: string) => void;
  error?: string | undefined;
}): JSX.Element {
  return (
    <Loaded state={props.orgs}>
      {(list) => (
        <SelectField label={t('field.organization')} required value={props.value} onChange={props.onChange} error={props.error} options={organizationOptions(list)} />
      )}
    </Loaded>
  );
}

/** The spinner and its announced text while something loads (`text` defaults to "loading"). */
export function Loading(props: { text?: string }): JSX.Element {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {props.text ?? t('app.loading')}
    </p>
  );
}

/** A definition list of label → value pairs (a record's details). */
export function Facts(props: { items: Array<[string, ComponentChildren, boolean?]> }): JSX.Element {
  return (
    <dl class="facts">
      {props.items.map(([k, v, data]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd translate={data ? false : undefined}>{v ?? '—'}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A progress bar with its figures in words. */
export function Progress(props: { done: number; total: number; label: string }): JSX.Element {
  return (
    <div class="progress">
      <label>
        {props.label}
        <progress max={props.total} value={props.done} />
      </label>
      <span>{t('common.progress', { done: props.done, total: props.total })}</span>
    </div>
  );
}

/**
 * The state of a form's action: `run(work)` marks it busy, clears the last error, and keeps the
 * error `work` throws (shown beside the form in the page's language).
 */
export function useAction(): {
  busy: boolean;
  setBusy: (b: boolean) => void;
  error: unknown;
  setError: (e: unknown) => void;
  run: (work: () => Promise<void>) => Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, setBusy, error, setError, run };
}
