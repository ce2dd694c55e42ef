// Statistics: Chart.js bar charts (each with its numbers as a table) and the yearly status report as
// one click, downloadable as CSV and XLSX. This module and Chart.js load only on this screen.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartConfiguration } from 'chart.js';
import { api, saveBlob } from '../api';
import { sectorList, sectorName } from '../data';
import { currentLang, formatNumber, label, t } from '../i18n';
import { Button, DataTable, DateField, ErrorNotice, Loaded, Page, isoToText, parseDate, useLoad , useAction } from '../ui';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** Colours with at least 3:1 contrast against white (WCAG 1.4.11), told apart without colour by the legend order. */
const COLOURS = ['#1f5fa8', '#b3541e', '#2e7d32', '#6a3d9a', '#8a6d00', '#00838f', '#ad1457', '#4e5b6e'];

interface Row {
  [key: string]: string | number | undefined;
  count: number;
}
interface StatusRow {
  holder: string;
  sector: string;
  province: string;
  issued: number;
  active: number;
  suspended: number;
  revoked: number;
  expired: number;
}

/** A bar chart with an accessible name, and beside it the same numbers as a table. */
function BarChart(props: { title: string; labels: string[]; series: Array<{ name: string; values: number[] }>; horizontal?: boolean }): JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const config: ChartConfiguration<'bar'> = {
      type: 'bar',
      data: {
        labels: props.labels,
        datasets: props.series.map((s, i) => ({ label: s.name, data: s.values, backgroundColor: COLOURS[i % COLOURS.length], borderWidth: 0 })),
      },
      options: {
        indexAxis: props.horizontal ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        locale: currentLang() === 'vi' ? 'vi-VN' : 'en-GB',
        scales: {
          // The value axis counts whole certificates (no 3.951/7.901 ticks), grouped the page's way.
          [props.horizontal ? 'x' : 'y']: { stacked: true, beginAtZero: true, ticks: { precision: 0, callback: (v: string | number) => formatNumber(Number(v)) } },
          [props.horizontal ? 'y' : 'x']: { stacked: true, ticks: { autoSkip: !props.horizontal, maxRotation: 45 } },
        },
        plugins: { legend: { position: 'bottom' } },
      },
    };
    const chart = new Chart(canvas.current, config);
    return () => chart.destroy();
  }, [JSON.stringify(props)]);
  const totals = props.labels.map((_, i) => props.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  return (
    <figure class="card chart">
      <figcaption>
        <h2>{props.title}</h2>
      </figcaption>
      {props.labels.length === 0 ? (
        <p class="empty">{t('stats.noData')}</p>
      ) : (
        <>
          <div class="canvas-box" style={{ height: `${props.horizontal ? Math.max(220, props.labels.length * 34 + 80) : 300}px` }}>
            <canvas ref={canvas} role="img" aria-label={t('stats.chart', { title: props.title })} />
          </div>
          <details>
            <summary>{t('stats.table', { title: props.title })}</summary>
            <DataTable
              caption={props.title}
              captionHidden
              rowKey={(r) => r.label}
              rows={props.labels.map((l, i) => ({ label: l, i }))}
              columns={[
                { header: '', render: (r) => r.label },
                ...props.series.map((s) => ({ header: s.name, numeric: true, render: (r: { i: number }) => formatNumber(s.values[r.i] ?? 0) })),
                { header: t('stats.total'), numeric: true, render: (r) => formatNumber(totals[r.i]!) },
              ]}
            />
          </details>
        </>
      )}
    </figure>
  );
}

/** Rows grouped by `key`, split into series by `by`. */
function pivot(rows: Row[], key: string, by: string, name: (code: string) => string, keyName: (k: string) => string = (k) => k) {
  const keys = [...new Set(rows.map((r) => String(r[key])))].sort();
  const groups = [...new Set(rows.map((r) => String(r[by])))].sort();
  return {
    labels: keys.map(keyName),
    series: groups.map((g) => ({
      name: name(g),
      values: keys.map((k) => rows.filter((r) => String(r[key]) === k && String(r[by]) === g).reduce((s, r) => s + r.count, 0)),
    })),
  };
}

/** Today's date in Vietnam (UTC+7): statistics count Vietnam calendar days. */
const vietnamToday = (): string => new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10);

const monthLabel = (m: string) => `${m.slice(5, 7)}/${m.slice(0, 4)}`;

/** The statistics screen. */
export function StatsScreen(): JSX.Element {
  const today = vietnamToday();
  const year = Number(today.slice(0, 4));
  const [from, setFrom] = useState(isoToText(`${year - 1}-01-01`));
  const [to, setTo] = useState(isoToText(today));
  const [window, setWindow] = useState({ from: `${year - 1}-01-01`, to: today });
  const sectors = useLoad(() => sectorList(), []);
  const data = useLoad(async () => {
    const q = `from=${window.from}&to=${window.to}`;
    const [monthly, bySector, accounts, revocations] = await Promise.all([
      api<{ rows: Row[] }>(`/api/v1/stats/issuance?${q}&groupBy=month,holder`),
      api<{ rows: Row[] }>(`/api/v1/stats/issuance?${q}&groupBy=sector,medium`),
      api<{ rows: Row[] }>(`/api/v1/stats/signing-accounts?${q}&groupBy=sector`),
      api<{ rows: Row[] }>(`/api/v1/stats/revocations?${q}&groupBy=reason`),
    ]);
    return { monthly: monthly.rows, bySector: bySector.rows, accounts: accounts.rows, revocations: revocations.rows };
  }, [window.from, window.to]);
  const sector = (c: string) => sectorName(c, sectors.data);
  return (
    <Page title={t('stats.title')}>
      <form
        class="filters"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const f = parseDate(from);
          const tt = parseDate(to);
          if (f && tt) setWindow({ from: f, to: tt });
        }}
      >
        <DateField label={t('common.from')} value={from} onInput={setFrom} />
        <DateField label={t('common.to')} value={to} onInput={setTo} />
        <Button kind="primary" type="submit" busy={data.loading}>
          {t('stats.update')}
        </Button>
      </form>
      <Loaded state={data}>
        {(d) => (
          <div class="charts">
            <BarChart title={t('stats.monthly')} {...pivot(d.monthly, 'month', 'holder', (h) => label('holder', h), monthLabel)} />
            <BarChart title={t('stats.bySector')} horizontal {...pivot(d.bySector, 'sector', 'medium', (m) => label('medium', m), sector)} />
            <BarChart title={t('stats.accounts')} horizontal labels={d.accounts.map((r) => sector(String(r.sector)))} series={[{ name: t('stats.count'), values: d.accounts.map((r) => r.count) }]} />
            <BarChart title={t('stats.revocations')} horizontal labels={d.revocations.map((r) => label('reason', String(r.reason)))} series={[{ name: t('stats.count'), values: d.revocations.map((r) => r.count) }]} />
          </div>
        )}
      </Loaded>
      <YearlyReport />
    </Page>
  );
}

/** The yearly table sent to the ministry: status as of a date by holder, sector and province. */
function YearlyReport(): JSX.Element {
  const lastYearEnd = `${Number(vietnamToday().slice(0, 4)) - 1}-12-31`;
  const [asOf, setAsOf] = useState(isoToText(lastYearEnd));
  const [shown, setShown] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const [rows, setRows] = useState<StatusRow[] | null>(null);
  const result = useRef<HTMLHeadingElement>(null);
  const sectors = useLoad(() => sectorList(), []);
  const columns = ['issued', 'active', 'suspended', 'revoked', 'expired'] as const;
  const header = () => [t('field.holder'), t('field.sector'), t('field.province'), t('stats.issued'), label('certStatus', 'active'), label('certStatus', 'suspended'), label('certStatus', 'revoked'), label('certStatus', 'expired')];
  const cells = (r: StatusRow) => [label('holder', r.holder), sectorName(r.sector, sectors.data), r.province, ...columns.map((c) => r[c])];
  const total = (c: (typeof columns)[number]) => (rows ?? []).reduce((s, r) => s + r[c], 0);
  const fileName = (ext: string) => `kyso-bao-cao-${shown}.${ext}`;
  return (
    <section class="card" aria-labelledby="yearly-title">
      <h2 id="yearly-title">{t('stats.yearly')}</h2>
      <p class="hint">{t('stats.yearlyHint')}</p>
      <form
        class="filters"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const iso = parseDate(asOf);
          if (!iso) return;
          await run(async () => {
            const report = await api<{ rows: StatusRow[] }>(`/api/v1/stats/status?asOf=${iso}&groupBy=holder,sector,province`);
            setRows(report.rows);
            setShown(iso);
            setTimeout(() => result.current?.focus(), 0);
          });
        }}
      >
        <DateField label={t('stats.asOf')} value={asOf} onInput={setAsOf} />
        <Button kind="primary" type="submit" busy={busy}>
          {t('stats.update')}
        </Button>
      </form>
      <ErrorNotice error={error} />
      {rows && shown ? (
        <>
          <h3 id="yearly-result" tabIndex={-1} ref={result}>
            {t('stats.asOf')} {isoToText(shown)}
          </h3>
          <div class="actions">
            <Button
              onClick={() => {
                const quote = (v: string | number) => (typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
                const lines = [header(), ...rows.map(cells), [t('stats.total'), '', '', ...columns.map(total)]].map((r) => r.map(quote).join(','));
                saveBlob(new Blob([`\uFEFF${lines.join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' }), fileName('csv'));
              }}
            >
              {t('stats.csv')}
            </Button>
            <Button
              onClick={() =>
                run(async () => {
                  // The writer loads on first use (a new deployment can make it fail: the error says so).
                  const { xlsx } = await import('../xlsx');
                  const bytes = xlsx(shown, [header(), ...rows.map(cells), [t('stats.total'), '', '', ...columns.map(total)]]);
                  saveBlob(new Blob([bytes as BlobPart], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }), fileName('xlsx'));
                })
              }
            >
              {t('stats.xlsx')}
            </Button>
          </div>
          <DataTable
            caption={`${t('stats.yearly')} — ${isoToText(shown)}`}
            captionHidden
            rowKey={(r) => `${r.holder}|${r.sector}|${r.province}`}
            rows={rows}
            columns={[
              { header: t('field.holder'), render: (r) => label('holder', r.holder) },
              { header: t('field.sector'), render: (r) => sectorName(r.sector, sectors.data) },
              { header: t('field.province'), data: true, render: (r) => r.province },
              ...columns.map((c, i) => ({ header: header()[3 + i]!, numeric: true, render: (r: StatusRow) => formatNumber(r[c]) })),
            ]}
            foot={
              <tfoot>
                <tr>
                  <th scope="row" colSpan={3}>
                    {t('stats.total')}
                  </th>
                  {columns.map((c, i) => (
                    <td class="num" key={c} data-label={header()[3 + i]}>
                      {formatNumber(total(c))}
                    </td>
                  ))}
                </tr>
              </tfoot>
            }
          />
        </>
      ) : null}
    </section>
  );
}
