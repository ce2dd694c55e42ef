import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { formatDateTime, has, label, t, type Key } from '../i18n';
import { Button, ErrorNotice, Facts, FileField, Page , useAction } from '../ui';

interface SignatureReport {
  indication: 'TOTAL_PASSED' | 'TOTAL_FAILED' | 'INDETERMINATE';
  subIndication?: string;
  format?: string;
  signer: { subject: string; uid: string[]; serial: string; issuer: string };
  signingTime?: string;
  certificateStatus: string;
  chain: string[];
  reasons?: string[];
  fieldName?: string;
  level?: string;
  coversWholeDocument?: boolean;
  modifiedAfter?: string;
}
interface Report {
  indication: SignatureReport['indication'];
  subIndication?: string;
  detail?: string;
  signatures: SignatureReport[];
}

/** One attribute (CN, O) of an RFC 4514 string. */
const rdn = (dn: string, type: string): string | undefined => new RegExp(`(?:^|,)\\s*${type}=((?:\\\\.|[^,])+)`).exec(dn)?.[1]?.replace(/\\(.)/g, '$1');

/** Why, in words a clerk understands. */
export function subIndicationText(code: string | undefined): string | undefined {
  if (!code) return undefined;
  return has(`sub.${code}`) ? t(`sub.${code}` as Key) : t('sub.other', { code });
}

/** The public verification page: drop a signed PDF (or a CMS signature and its document), read who signed and whether it holds. */
export function VerifyScreen(): JSX.Element {
  const [document, setDocument] = useState<File | null>(null);
  const [signature, setSignature] = useState<File | null>(null);
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useAction();
  const [report, setReport] = useState<Report | null>(null);
  const result = useRef<HTMLHeadingElement>(null);
  return (
    <Page title={t('verify.title')} lead={t('verify.intro')}>
      <form
        class="card"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTried(true);
          if (!document && !signature) return;
          setReport(null);
          await run(async () => {
            const form = new FormData();
            if (document) form.append('document', document);
            if (signature) form.append('signature', signature);
            setReport(await api<Report>('/api/v1/verify', { method: 'POST', body: form }));
            setTimeout(() => result.current?.focus(), 0);
          });
        }}
      >
        <ErrorNotice error={error} />
        <FileField label={t('verify.document')} accept=".pdf,application/pdf,*/*" onFiles={(f) => setDocument(f[0] ?? null)} error={tried && !document && !signature ? t('check.file') : undefined} />
        <FileField label={t('verify.signature')} accept=".p7s,.p7m,.cms,.pem" onFiles={(f) => setSignature(f[0] ?? null)} />
        <Button kind="primary" type="submit" busy={busy}>
          {t('verify.submit')}
        </Button>
      </form>
      {report ? (
        <section class="report" aria-labelledby="verify-result">
          <h2 id="verify-result" tabIndex={-1} ref={result}>
            {t('verify.result')}: <span class={`verdict ${report.indication}`}>{t(`ind.${report.indication}`)}</span>
          </h2>
          {report.signatures.length === 0 ? <p>{t('verify.noSignature')}</p> : null}
          {report.signatures.map((s, i) => (
            <article class={`card signature ${s.indication}`} key={i} aria-labelledby={`sig-${i}`}>
              <h3 id={`sig-${i}`}>
                {t('verify.signatureN', { n: i + 1 })}: <span class={`verdict ${s.indication}`}>{t(`ind.${s.indication}`)}</span>
              </h3>
              {s.indication !== 'TOTAL_PASSED' ? (
                <p class="why">
                  <strong>{t('verify.why')}:</strong> {subIndicationText(s.subIndication) ?? '—'}
                </p>
              ) : null}
              <Facts
                items={[
                  [t('verify.signer'), rdn(s.signer.subject, 'CN') ?? s.signer.subject, true],
                  [t('field.organization'), rdn(s.signer.subject, 'O'), true],
                  [t('verify.uid'), s.signer.uid.join(', '), true],
                  [t('verify.when'), formatDateTime(s.signingTime)],
                  [t('verify.certStatus'), s.certificateStatus === 'good' ? label('certStatus', 'active') : s.certificateStatus === 'unknown' ? '—' : label('certStatus', s.certificateStatus)],
                  [t('field.serial'), <code class="wrap">{s.signer.serial}</code>, true],
                  ...(s.fieldName ? ([[t('verify.field'), s.fieldName, true]] as Array<[string, string, boolean]>) : []),
                  ...(s.coversWholeDocument !== undefined ? ([[t('verify.whole'), s.coversWholeDocument ? t('common.yes') : t('common.no')]] as Array<[string, string]>) : []),
                  ...(s.modifiedAfter ? ([[t('verify.modified'), label('mod', s.modifiedAfter)]] as Array<[string, string]>) : []),
                  [t('verify.chain'), <ol class="chain">{s.chain.map((c) => <li key={c}>{rdn(c, 'CN') ?? c}</li>)}</ol>, true],
                ]}
              />
              {s.reasons?.length ? (
                <details>
                  <summary>{t('common.technical')}</summary>
                  <ul lang="en" translate={false}>
                    {s.reasons.map((r) => (
                      <li key={r}>{r}</li>
                    ))}
                  </ul>
                </details>
              ) : null}
            </article>
          ))}
        </section>
      ) : null}
    </Page>
  );
}
