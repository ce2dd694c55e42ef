import { z } from 'zod';
import { REVOCATION_REASONS } from '../certificates/certificates.js';

/** A subject as requests carry it (shapes checked by the domain for clear 422s; here only types and sizes). */
export const subjectSchema = z.object({
  commonName: z.string().max(1000),
  uid: z.union([z.string().max(200), z.array(z.string().max(200)).min(1).max(20)]),
  title: z.string().max(1000).optional(),
  organizationalUnit: z.string().max(1000).optional(),
  locality: z.string().max(1000).optional(),
  email: z.string().max(1000).optional(),
});

const csr = z.string().max(100_000).describe('PKCS#10 request: PEM, or base64 of the DER');

/** `kind: "new"`: a first certificate for a holder. */
export const newRequestSchema = z.object({
  kind: z.literal('new'),
  holder: z.enum(['individual', 'organization']),
  medium: z.enum(['token', 'sim', 'file', 'remote']),
  organizationId: z.uuid(),
  subject: subjectSchema,
  csr: csr.optional(),
  msisdn: z.string().max(32).optional().describe('sim: the phone number, 84 then 9 digits'),
  carrier: z.string().max(100).optional().describe('sim: the mobile carrier'),
  profile: z.string().max(64).optional(),
});

/** The other kinds: they name an existing certificate by serial. */
export const changeRequestSchema = z.object({
  kind: z.enum(['renew', 'change-info', 'revoke', 'suspend', 'resume']),
  certificateSerial: z.string().min(1).max(130),
  reason: z.string().max(1000).optional().describe(`revoke: one of ${REVOCATION_REASONS.join(', ')} (default unspecified); other kinds: a note`),
  csr: csr.optional().describe('renew, change-info: a new key (token, sim); absent = keep the key'),
  subject: subjectSchema.optional().describe('change-info: the corrected subject (required)'),
});

/** Any certificate request body. */
export const requestSchema = z.discriminatedUnion('kind', [newRequestSchema, changeRequestSchema]);
export type RequestInput = z.infer<typeof requestSchema>;

/** Most rows one batch may carry (issue: a school submits 500 rows in one call). */
export const MAX_BATCH = 500;
