import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { formatDateTime, label, t } from '../i18n';
import { Button, DataTable, DateField, ErrorNotice, Loaded, Notice, Page, TextField, parseDate, useLoad } from '../ui';

interface AuditEvent {
  seq: number | string;
  at: string;
  actor: { id: string | null; username: string | null; role: string | null } | null;
  action: string;
  target: { type: string; id: string } | null;
  ip: string | null;
  details: unknown;
}

/** The audit trail with filters and paging, and the chain check. */
export function AuditScreen(): JSX.Element {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [applied, setApplied] = useState('');
  const [pages, setPages] = useState<string[]>(['']);
  const [check, setCheck] = useState<{ ok: boolean; checked: number; pending?: number; checkpoints?: number; firstBrokenSeq?: number } | null>(null);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const list = useLoad(async () => {
    const items: AuditEvent[] = [];
    let next: string | null = null;
    for (const cursor of pages) {
      const page: { items: AuditEvent[]; nextCursor: string | null } = await api(`/api/v1/audit?${applied}&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      items.push(...page.items);
      next = page.nextCursor;
    }
    return { items, next };
  }, [applied, pages.join(',')]);
  const bad = (from && !parseDate(from)) || (to && !parseDate(to));
  return (
    <Page title={t('audit.title')}>
      <div class="actions">
        <Button
          kind="primary"
          busy={checking}
          onClick={async () => {
            setChecking(true);
            setError(null);
            setCheck(null);
            try {
              setCheck(await api('/api/v1/audit/verify'));
            } catch (err) {
              setError(err);
            } finally {
              setChecking(false);
            }
          }}
        >
          {t('audit.check')}
        </Button>
      </div>
      {check ? (
        <Notice kind={check.ok ? 'ok' : 'error'}>
          <p>{check.ok ? t('audit.ok', { n: check.checked }) : t('audit.broken', { seq: check.firstBrokenSeq ?? '?' })}</p>
          {check.checkpoints !== undefined ? <p>{t('audit.checkpoints', { n: check.checkpoints })}</p> : null}
          {check.pending ? <p>{t('audit.pending', { n: check.pending })}</p> : null}
        </Notice>
      ) : null}
      <ErrorNotice error={error} />
      <form
        class="filters"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (bad) return;
          const q = new URLSearchParams({
            ...(parseDate(from) ? { from: parseDate(from)! } : {}),
            ...(parseDate(to) ? { to: parseDate(to)! } : {}),
            ...(actor.trim() ? { actor: actor.trim() } : {}),
            ...(action.trim() ? { action: action.trim() } : {}),
          });
          setApplied(q.toString());
          setPages(['']);
        }}
      >
        <DateField label={t('common.from')} value={from} onInput={setFrom} />
        <DateField label={t('common.to')} value={to} onInput={setTo} />
        <TextField label={t('audit.actor')} value={actor} onInput={setActor} maxLength={200} />
        <TextField label={t('audit.action')} value={action} onInput={setAction} maxLength={200} placeholder="certificate.revoke" />
        <Button kind="primary" type="submit">
          {t('common.filter')}
        </Button>
      </form>
      <Loaded state={list}>
        {(data) => (
          <>
            <DataTable
              caption={t('audit.title')}
              captionHidden
              rowKey={(e) => String(e.seq)}
              rows={data.items}
              columns={[
                { header: '#', numeric: true, render: (e) => e.seq },
                { header: t('field.time'), render: (e) => formatDateTime(e.at) },
                { header: t('audit.actor'), data: true, render: (e) => (e.actor?.username ? `${e.actor.username} (${label('role', e.actor.role)})` : '—') },
                { header: t('audit.action'), data: true, render: (e) => <code>{e.action}</code> },
                { header: t('audit.target'), data: true, render: (e) => (e.target ? <code class="wrap">{`${e.target.type} ${e.target.id}`}</code> : '—') },
                { header: t('audit.ip'), data: true, render: (e) => e.ip ?? '—' },
              ]}
            />
            {data.next ? <Button onClick={() => setPages([...pages, data.next!])}>{t('common.more')}</Button> : null}
          </>
        )}
      </Loaded>
    </Page>
  );
}
