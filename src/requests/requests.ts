import { randomUUID } from 'node:crypto';
import type { GeneratedFileKey } from '../keys/vault.js';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { recordAudit } from '../audit/audit.js';
import { itemEvents } from '../audit/item-events.js';
import { requireRole } from '../auth/authorize.js';
import { seesAllOrganizations, type Actor, type Principal } from '../auth/principal.js';
import { assertTransition, REVOCATION_REASONS, type CertificateService, type RevocationReason, type StatusChange } from '../certificates/certificates.js';
import { decodeCursor, encodeCursor } from '../shared/cursor.js';
import { problemOf, type BatchItem, type ParsedItem } from '../shared/batch.js';
import type { IssuancePlan, IssuanceService, IssueInput } from '../certificates/issuance.js';
import { profileFor } from '../certificates/profiles.js';
import { subjectAttributes, validateSubject } from '../certificates/subject.js';
import { lockCertificates, type CertificateRow } from '../db/certificates-repo.js';
import { findOrganizations, type OrganizationRow } from '../db/organizations-repo.js';
import {
  claimRequests,
  decideRequests,
  findRequest,
  findRequests,
  insertRequests,
  listRequests,
  lockRequests,
  type RequestDecision,
  type RequestQuery,
  type RequestRow,
} from '../db/requests-repo.js';
import { BadRequest, Conflict, DomainError, Forbidden, NotFound, Refused } from '../errors.js';
import { toPem } from '../pki/pem.js';
import { findUserNames } from '../db/users-repo.js';
import { readCertificate } from '../pki/x509-reader.js';
import { checkCsr, checkKey } from '../certificates/key-policy.js';
import type { RequestInput } from './schemas.js';
import { isUuid } from '../db/ids.js';

/** A request as the API shows it. */
export interface RequestView {
  id: string;
  kind: RequestRow['kind'];
  status: RequestRow['status'];
  holder: RequestRow['holder'];
  medium: RequestRow['medium'];
  organizationId: string;
  subject: RequestRow['subject'];
  profile?: string;
  msisdn?: string;
  carrier?: string;
  /** renew, change-info, revoke, suspend, resume: the certificate the request is about. */
  targetSerial?: string;
  /** revoke: the RFC 5280 reason asked for; other kinds: the requester's note. */
  requestReason?: string;
  requestedBy: string;
  /** One request only (GET …/:id): who asked, by full name or username, for its history. */
  requestedByName?: string;
  createdAt: string;
  decidedBy?: string;
  /** One request only: who decided, by full name or username. */
  decidedByName?: string;
  decidedAt?: string;
  /** The reviewer's reason for a rejection. */
  reason?: string;
  /** The issued certificate (new, renew, change-info) or the target (revoke, suspend, resume) once decided. */
  certificateSerial?: string;
  /** The key the CSR carried (token, sim): `EC-P-256`, `RSA-2048`, … */
  publicKey?: string;
}

/** What an approval returns: the request and, when the CA issued one, the certificate. */
export type ApprovalView = RequestView & { certificate?: { serial: string; pem: string } };

const MSISDN = /^84\d{9}$/;

/**
 * Certificate requests: agencies submit for their own organization, officers and admins for any;
 * officers and admins approve (the built-in CA issues at once), reject; requesters cancel.
 * State machine of product.md: submitted → issued (approved for revoke/suspend/resume), rejected, cancelled.
 */
export class CertificateRequestService {
  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly issuance: IssuanceService,
    private readonly certificates: CertificateService,
  ) {}

  /** Submits one request; throws its problem. */
  async submit(actor: Actor, input: RequestInput): Promise<RequestView> {
    const [item] = await this.submitMany(actor, [input]);
    if (item!.error) throw item!.cause!;
    return item!.view!;
  }

  /**
   * Submits a batch (JSON objects or CSV rows, parsed by the caller: a row that did not parse comes
   * with its problem): each row is checked on its own, the good ones are stored together, and each
   * gets its own result.
   */
  async submitBatch(actor: Actor, rows: Array<ParsedItem<RequestInput>>): Promise<Array<BatchItem<RequestView>>> {
    const valid = rows.flatMap((r, index) => (r.input ? [{ index, input: r.input }] : []));
    const outcomes = await this.submitMany(actor, valid.map((v) => v.input));
    const byIndex = new Map(valid.map((v, i) => [v.index, outcomes[i]!]));
    return rows.map((r, index): BatchItem<RequestView> => {
      const outcome = byIndex.get(index);
      if (outcome?.view) return { index, id: outcome.view.id, status: outcome.view.status };
      return { index, status: 'error', error: problemOf(outcome?.cause ?? r.cause!) };
    });
  }

  private async submitMany(
    actor: Actor,
    inputs: RequestInput[],
  ): Promise<Array<{ view?: RequestView; error?: true; cause?: DomainError }>> {
    requireRole(actor.principal, 'agency', 'officer', 'admin');
    const principal = actor.principal;
    const now = this.clock.now();
    const organizations = await findOrganizations(
      this.knex,
      [...new Set(inputs.flatMap((i) => (i.kind === 'new' ? [i.organizationId] : [])))],
    );
    // Rows are checked concurrently: CSR signatures verify on the thread pool.
    const outcomes: Array<{ row?: RequestRow; cause?: DomainError }> = await Promise.all(
      inputs.map(async (input) => {
        try {
          const row =
            input.kind === 'new'
              ? await this.newRequestRow(principal, input, organizations.get(input.organizationId))
              : await this.changeRequestRow(principal, input);
          return { row: { ...row, id: randomUUID(), status: 'submitted' as const, requested_by: principal.id, created_at: now } };
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          return { cause: err };
        }
      }),
    );
    const rows = outcomes.flatMap((o) => (o.row ? [o.row] : []));
    if (rows.length) {
      await this.knex.transaction(async (trx) => {
        await insertRequests(trx, rows);
        await recordAudit(
          trx,
          this.clock,
          actor,
          itemEvents(
            'certificate-request.submit',
            'certificate-request',
            rows.map((r) => ({
              id: r.id,
              details: {
                kind: r.kind,
                holder: r.holder,
                medium: r.medium,
                organizationId: r.organization_id,
                commonName: r.subject.commonName,
                ...(r.target_serial ? { targetSerial: r.target_serial } : {}),
              },
            })),
          ),
        );
      });
    }
    return outcomes.map((o) => (o.row ? { view: toRequestView(o.row) } : { error: true, cause: o.cause }));
  }

  private async newRequestRow(
    principal: Principal,
    input: Extract<RequestInput, { kind: 'new' }>,
    organization: OrganizationRow | undefined,
  ): Promise<Omit<RequestRow, 'id' | 'status' | 'requested_by' | 'created_at'>> {
    if (!organization || !canSee(principal, organization.id)) throw new NotFound('organization not found');
    const subject = validateSubject(input.holder, input.subject);
    subjectAttributes(subject, organization);
    const profile = profileFor(input.holder, input.profile);
    let csr: Awaited<ReturnType<typeof checkCsr>> | undefined;
    if (input.medium === 'remote') {
      throw new Refused('remote certificates are issued with a centralized signing account (POST /api/v1/signing-accounts)', [{ path: 'medium', message: 'use signing accounts' }]);
    }
    if (input.medium === 'token' || input.medium === 'sim') {
      if (!input.csr) throw new Refused(`a ${input.medium} request needs a csr: the key is generated on the ${input.medium}`, [{ path: 'csr', message: 'required' }]);
      csr = await checkCsr(input.csr);
    } else if (input.csr) {
      throw new Refused('a file request takes no csr: kyso generates the key and delivers it as PKCS#12', [{ path: 'csr', message: 'not allowed for file' }]);
    }
    if (input.medium === 'sim') {
      const problems = [];
      if (!input.msisdn || !MSISDN.test(input.msisdn)) problems.push({ path: 'msisdn', message: 'a sim request needs msisdn: 84 followed by 9 digits' });
      if (!input.carrier?.trim()) problems.push({ path: 'carrier', message: 'a sim request needs the carrier' });
      if (problems.length) throw new Refused(problems.map((p) => p.message).join('; '), problems);
    } else if (input.msisdn || input.carrier) {
      throw new Refused('msisdn and carrier belong to sim requests only', [{ path: input.msisdn ? 'msisdn' : 'carrier', message: 'sim only' }]);
    }
    return {
      kind: 'new',
      holder: input.holder,
      medium: input.medium,
      organization_id: organization.id,
      subject,
      csr: csr?.der ?? null,
      public_key_info: csr?.publicKeyInfo ?? null,
      msisdn: input.msisdn ?? null,
      carrier: input.carrier?.trim() ?? null,
      profile: profile.name,
      target_serial: null,
      reason: null,
      decided_by: null,
      decided_at: null,
      decision_reason: null,
      certificate_serial: null,
      certificate_id: null,
    };
  }

  private async changeRequestRow(
    principal: Principal,
    input: Extract<RequestInput, { kind: 'renew' | 'change-info' | 'revoke' | 'suspend' | 'resume' }>,
  ): Promise<Omit<RequestRow, 'id' | 'status' | 'requested_by' | 'created_at'>> {
    const cert = await this.certificates.find(this.knex, principal, input.certificateSerial);
    let subject = cert.subject;
    let csr: Awaited<ReturnType<typeof checkCsr>> | undefined;
    if (input.kind === 'revoke') revocationReason(input.reason);
    if (input.kind === 'renew' || input.kind === 'change-info') {
      if (cert.source !== 'issued') throw new Refused(`certificate ${cert.serial} was issued by another CA; ask that CA to ${input.kind === 'renew' ? 'renew' : 'reissue'} it`);
      if (cert.medium === 'remote') throw new Refused('remote certificates belong to signing accounts and are renewed there');
      if (cert.status === 'revoked') throw new Conflict(`certificate ${cert.serial} is revoked`);
      if (input.csr) {
        if (cert.medium === 'file') throw new Refused('a file certificate takes no csr: kyso generates the new key', [{ path: 'csr', message: 'not allowed for file' }]);
        csr = await checkCsr(input.csr);
      }
      if (input.kind === 'change-info') {
        if (!input.subject) throw new Refused('a change-info request needs the corrected subject', [{ path: 'subject', message: 'required' }]);
        subject = validateSubject(cert.holder, input.subject);
        const [organization] = (await findOrganizations(this.knex, [cert.organization_id])).values();
        subjectAttributes(subject, organization!);
      }
    } else {
      if (input.csr || input.subject) throw new Refused(`a ${input.kind} request takes neither csr nor subject`);
      assertTransition(cert, input.kind === 'revoke' ? 'revoked' : input.kind === 'suspend' ? 'suspended' : 'active');
    }
    return {
      kind: input.kind,
      holder: cert.holder,
      medium: cert.medium,
      organization_id: cert.organization_id,
      subject,
      csr: csr?.der ?? null,
      public_key_info: csr?.publicKeyInfo ?? null,
      msisdn: cert.msisdn,
      carrier: cert.carrier,
      profile: cert.profile,
      target_serial: cert.serial,
      reason: input.kind === 'revoke' ? revocationReason(input.reason) : (input.reason ?? null),
      decided_by: null,
      decided_at: null,
      decision_reason: null,
      certificate_serial: null,
      certificate_id: null,
    };
  }

  /** Requests the principal may see, newest first. */
  async list(
    principal: Principal,
    q: Omit<RequestQuery, 'after'> & { cursor?: string },
  ): Promise<{ items: RequestView[]; nextCursor: string | null }> {
    requireRole(principal, 'agency', 'officer', 'admin', 'auditor');
    if (!seesAllOrganizations(principal) && q.organizationId && q.organizationId !== principal.organizationId) return { items: [], nextCursor: null };
    const organizationId = seesAllOrganizations(principal) ? q.organizationId : (principal.organizationId ?? undefined);
    const rows = await listRequests(this.knex, { ...q, organizationId, after: decodeCursor(q.cursor), limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return { items: page.map(toRequestView), nextCursor: rows.length > q.limit && last ? encodeCursor(last.created_at, last.id) : null };
  }

  /** One request the principal may see; 404 otherwise. */
  async get(principal: Principal, id: string): Promise<RequestView> {
    requireRole(principal, 'agency', 'officer', 'admin', 'auditor');
    const row = isUuid(id) ? await findRequest(this.knex, id) : undefined;
    if (!row || !canSee(principal, row.organization_id)) throw new NotFound('certificate request not found');
    // The history names people, not ids (issue #10): a clerk cannot list the officers' accounts.
    const names = await findUserNames(this.knex, [row.requested_by, ...(row.decided_by ? [row.decided_by] : [])]);
    const requestedByName = names.get(row.requested_by);
    const decidedByName = row.decided_by ? names.get(row.decided_by) : undefined;
    return { ...toRequestView(row), ...(requestedByName ? { requestedByName } : {}), ...(decidedByName ? { decidedByName } : {}) };
  }

  /** Approves one request (officer, admin) and carries it out; throws its problem (404, 409, 422). */
  async approve(actor: Actor, id: string): Promise<ApprovalView> {
    const [item] = await this.approveBatch(actor, [id]);
    if (item!.error) throw item!.cause!;
    return item!.result!;
  }

  /**
   * Approves several requests. Everything that can happen before the transaction does: the requests
   * are read, each is checked on its own, file keys are generated and certificates signed. Then one
   * short transaction decides the requests still submitted (a conditional update: a concurrent
   * approval of the same request waits on its row, then finds it decided — exactly one
   * certificate), stores the certificates of those it decided, applies status changes and records
   * the audit events. No lock is held while the CA signs; a certificate signed for a request another
   * approval took is never stored, nor one for a change-info request whose certificate was revoked
   * meanwhile or is superseded by an earlier request of the batch. One bad request never sinks the
   * others.
   */
  async approveBatch(actor: Actor, ids: string[]): Promise<Array<BatchItem<ApprovalView> & { cause?: DomainError }>> {
    requireRole(actor.principal, 'officer', 'admin');
    const principal = actor.principal;
    const now = this.clock.now();
    const found = new Map((await findRequests(this.knex, [...new Set(ids.filter((id) => isUuid(id)))])).map((r) => [r.id, r]));
    const organizations = await findOrganizations(this.knex, [...new Set([...found.values()].map((r) => r.organization_id))]);
    type Outcome = { row?: Omit<RequestRow, 'csr'>; cause?: DomainError; decision?: RequestDecision; certificate?: { serial: string; pem: string } };
    const outcomes: Outcome[] = [];
    const issuing: Array<{ outcome: Outcome; plan: IssuancePlan; supersede?: string }> = [];
    const changing: Array<{ outcome: Outcome; target: CertificateRow; change: StatusChange }> = [];
    const seen = new Set<string>();
    for (const id of ids) {
      const outcome: Outcome = {};
      outcomes.push(outcome);
      try {
        const row = found.get(id);
        if (!row) throw new NotFound(`certificate request ${id} not found`);
        outcome.row = row;
        if (seen.has(id)) throw new Conflict(`certificate request ${id} is listed twice`);
        seen.add(id);
        if (row.status !== 'submitted') throw notSubmitted(row);
        // Four eyes (api.md "Certificate requests"): whoever submitted a request does not approve it.
        if (row.requested_by === principal.id) throw new Forbidden(`certificate request ${id} was submitted by you: another officer or admin must approve it`);
        if (row.kind === 'new' || row.kind === 'renew' || row.kind === 'change-info') {
          const target = row.kind === 'new' ? undefined : await this.certificates.find(this.knex, principal, row.target_serial!);
          if (target && target.status === 'revoked') throw new Conflict(`certificate ${target.serial} is revoked`);
          const generated = row.medium === 'file' ? await this.issuance.generateFileKey() : undefined;
          const plan = this.issuance.prepare(issueInputFor(row, target, generated), organizations.get(row.organization_id));
          issuing.push({ outcome, plan, supersede: row.kind === 'change-info' ? target!.id : undefined });
        } else {
          const target = await this.certificates.find(this.knex, principal, row.target_serial!);
          const change: StatusChange =
            row.kind === 'revoke' ? { to: 'revoked', reason: revocationReason(row.reason) } : { to: row.kind === 'suspend' ? 'suspended' : 'active' };
          changing.push({ outcome, target, change });
        }
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        outcome.cause = err;
      }
    }
    const signed = await this.issuance.sign(issuing.map((i) => i.plan));
    for (const [i, item] of issuing.entries()) {
      const { certificate } = signed[i]!;
      item.outcome.decision = { id: item.outcome.row!.id, status: 'issued', decided_by: principal.id, decided_at: now, certificate_serial: certificate.serial, certificate_id: certificate.id };
      item.outcome.certificate = { serial: certificate.serial, pem: toPem(certificate.der, 'CERTIFICATE') };
    }

    await this.knex.transaction(async (trx) => {
      // Every certificate this batch changes is locked first, in id order: two batches never deadlock.
      const superseded = issuing.flatMap((i) => (i.supersede ? [i.supersede] : []));
      const targets = await lockCertificates(trx, [...new Set([...superseded, ...changing.map((c) => c.target.id)])]);
      await refuseStaleSupersessions(trx, issuing, new Map(targets.map((c) => [c.id, c])));
      const claiming = issuing.filter((i) => !i.outcome.cause);
      const claimed = await claimRequests(trx, claiming.map((i) => i.outcome.decision!));
      const stored = signed.filter((_, i) => claimed.has(issuing[i]!.outcome.row!.id));
      await this.issuance.storeRows(trx, stored);
      for (const item of claiming) {
        if (!claimed.has(item.outcome.row!.id)) {
          item.outcome.cause = await this.decidedMeanwhile(trx, item.outcome.row!);
          continue;
        }
        if (item.supersede) await this.certificates.changeStatusInTransaction(trx, actor, item.supersede, { to: 'revoked', reason: 'superseded' });
      }
      // Revoke, suspend, resume: the request row is locked first, so a concurrent approval waits.
      const locked = new Map((changing.length ? await lockRequests(trx, changing.map((c) => c.outcome.row!.id)) : []).map((r) => [r.id, r]));
      const decisions: RequestDecision[] = [];
      for (const item of changing) {
        const row = locked.get(item.outcome.row!.id)!;
        try {
          if (row.status !== 'submitted') throw notSubmitted(row);
          await this.certificates.changeStatusInTransaction(trx, actor, item.target.id, item.change);
          item.outcome.decision = { id: row.id, status: 'approved', decided_by: principal.id, decided_at: now, certificate_serial: item.target.serial, certificate_id: item.target.id };
          decisions.push(item.outcome.decision);
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          item.outcome.cause = err;
        }
      }
      await decideRequests(trx, decisions);
      const decided = outcomes.filter((o) => o.decision && !o.cause);
      await recordAudit(trx, this.clock, actor, [
        ...this.issuance.issueEvents(stored),
        ...itemEvents('certificate-request.approve', 'certificate-request', decided.map((o) => decisionItem(o.row!, o.decision!.certificate_serial))),
      ]);
    });
    return outcomes.map((o, index) => {
      if (o.cause) return { index, id: ids[index], status: 'error', error: problemOf(o.cause), cause: o.cause };
      const view = toRequestView({ ...o.row!, ...o.decision! });
      return { index, id: ids[index], status: view.status, result: o.certificate ? { ...view, certificate: o.certificate } : view };
    });
  }

  /** The conflict for a request another approval, rejection or cancellation decided after it was read. */
  private async decidedMeanwhile(trx: Knex.Transaction, row: Omit<RequestRow, 'csr'>): Promise<DomainError> {
    const [now] = await lockRequests(trx, [row.id]);
    return notSubmitted(now ?? row);
  }

  /** Rejects a submitted request with a reason (officer, admin). */
  async reject(actor: Actor, id: string, reason: string): Promise<RequestView> {
    requireRole(actor.principal, 'officer', 'admin');
    return this.decide(actor, id, 'rejected', reason);
  }

  /** Cancels a submitted request; only the user who submitted it may. */
  async cancel(actor: Actor, id: string): Promise<RequestView> {
    requireRole(actor.principal, 'agency', 'officer', 'admin');
    return this.decide(actor, id, 'cancelled', null);
  }

  private async decide(actor: Actor, id: string, status: 'rejected' | 'cancelled', reason: string | null): Promise<RequestView> {
    const principal = actor.principal!;
    return this.knex.transaction(async (trx) => {
      const [row] = isUuid(id) ? await lockRequests(trx, [id]) : [];
      if (!row || !canSee(principal, row.organization_id)) throw new NotFound('certificate request not found');
      if (status === 'cancelled' && row.requested_by !== principal.id) throw new Forbidden('only the user who submitted a request may cancel it');
      if (row.status !== 'submitted') throw notSubmitted(row, status);
      const decision: RequestDecision = { id, status, decided_by: principal.id, decided_at: this.clock.now(), decision_reason: reason };
      await decideRequests(trx, [decision]);
      await recordAudit(trx, this.clock, actor, itemEvents(`certificate-request.${status === 'rejected' ? 'reject' : 'cancel'}`, 'certificate-request', [decisionItem(row, null, reason)]));
      return toRequestView({ ...row, ...decision });
    });
  }
}

/**
 * Change-info requests revoke their target as superseded. Under the targets' locks (the caller's),
 * each is checked again, on its own: a target revoked since it was read, or already superseded by
 * an earlier change-info request of this batch, gives that request its 409, and its signed
 * certificate is never stored. Their request rows are locked too, so a request decided meanwhile
 * gives way to the next one for the same certificate rather than blocking it.
 */
async function refuseStaleSupersessions(
  trx: Knex.Transaction,
  issuing: ReadonlyArray<{ outcome: { row?: Omit<RequestRow, 'csr'>; cause?: DomainError }; supersede?: string }>,
  targets: ReadonlyMap<string, CertificateRow>,
): Promise<void> {
  const superseding = issuing.filter((i) => i.supersede);
  if (superseding.length === 0) return;
  const requests = new Map((await lockRequests(trx, superseding.map((i) => i.outcome.row!.id))).map((r) => [r.id, r]));
  const supersededBy = new Map<string, string>();
  for (const { outcome, supersede } of superseding) {
    const request = requests.get(outcome.row!.id) ?? outcome.row!;
    const target = targets.get(supersede!);
    const earlier = supersededBy.get(supersede!);
    if (request.status !== 'submitted') outcome.cause = notSubmitted(request);
    else if (!target) outcome.cause = new NotFound('certificate not found');
    else if (target.status === 'revoked') outcome.cause = new Conflict(`certificate ${target.serial} is revoked`);
    else if (earlier) outcome.cause = new Conflict(`certificate ${target.serial} is superseded by certificate request ${earlier} of this batch`);
    else supersededBy.set(target.id, request.id);
  }
}

/** The issuance input an approved new, renew or change-info request stands for. */
function issueInputFor(row: Omit<RequestRow, 'csr'>, target: CertificateRow | undefined, generated: GeneratedFileKey | undefined): IssueInput {
  // file: kyso generated the key (the vault holds it until issuance seals it to the certificate).
  const publicKeyInfo = generated
    ? generated.publicKeyInfo
    : (row.public_key_info ?? (target ? readCertificate(target.der).publicKeyInfo : undefined));
  if (!publicKeyInfo) throw new Refused('the request carries no key');
  return {
    holder: row.holder,
    medium: row.medium,
    organizationId: row.organization_id,
    subject: row.subject,
    publicKeyInfo,
    profile: row.profile ?? undefined,
    requestId: row.id,
    msisdn: row.msisdn ?? undefined,
    carrier: row.carrier ?? undefined,
    generatedKey: generated,
  };
}

/** The revocation reason of a revoke request: a CRLReason name, `unspecified` when none was given. */
function revocationReason(reason: string | null | undefined): RevocationReason {
  const r = reason ?? 'unspecified';
  if (!(REVOCATION_REASONS as readonly string[]).includes(r)) {
    throw new BadRequest(`unknown revocation reason "${r}"; one of: ${REVOCATION_REASONS.join(', ')}`, [{ path: 'reason', message: 'unknown reason' }]);
  }
  return r as RevocationReason;
}

function decisionItem(row: Omit<RequestRow, 'csr'>, serial?: string | null, reason?: string | null): { id: string; details: Record<string, unknown> } {
  return {
    id: row.id,
    details: { kind: row.kind, organizationId: row.organization_id, ...(serial ? { certificateSerial: serial } : {}), ...(reason ? { reason } : {}) },
  };
}

/** 409 for a request that is no longer submitted. */
function notSubmitted(row: Pick<RequestRow, 'id' | 'status'>, verb: string = 'approved'): Conflict {
  return new Conflict(`certificate request ${row.id} is ${row.status}; only a submitted request can be ${verb}`);
}

const canSee = (principal: Principal, organizationId: string): boolean =>
  seesAllOrganizations(principal) || principal.organizationId === organizationId;

/** The API view of a request row. */
export function toRequestView(row: Omit<RequestRow, 'csr'>): RequestView {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    holder: row.holder,
    medium: row.medium,
    organizationId: row.organization_id,
    subject: row.subject,
    ...(row.profile ? { profile: row.profile } : {}),
    ...(row.msisdn ? { msisdn: row.msisdn } : {}),
    ...(row.carrier ? { carrier: row.carrier } : {}),
    ...(row.target_serial ? { targetSerial: row.target_serial } : {}),
    ...(row.reason ? { requestReason: row.reason } : {}),
    requestedBy: row.requested_by,
    createdAt: new Date(row.created_at).toISOString(),
    ...(row.decided_by ? { decidedBy: row.decided_by } : {}),
    ...(row.decided_at ? { decidedAt: new Date(row.decided_at).toISOString() } : {}),
    ...(row.decision_reason ? { reason: row.decision_reason } : {}),
    ...(row.certificate_serial ? { certificateSerial: row.certificate_serial } : {}),
    ...(row.public_key_info ? keyOf(row.public_key_info) : {}),
  };
}

/** The requested key in words; nothing for a key today's policy would refuse (it passed at submission). */
function keyOf(spki: Uint8Array): { publicKey?: string } {
  try {
    return { publicKey: checkKey(spki).description };
  } catch {
    return {};
  }
}
