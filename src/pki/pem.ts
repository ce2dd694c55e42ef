/** PEM armour (RFC 7468) for DER values. */

/** Wraps DER bytes in a PEM block with the given label (`CERTIFICATE`, `X509 CRL`, …). */
export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Every PEM block in `text`, in order, with its label and DER bytes. */
export function parsePemBlocks(text: string): Array<{ label: string; der: Buffer }> {
  const blocks: Array<{ label: string; der: Buffer }> = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const match of text.matchAll(re)) {
    blocks.push({ label: match[1]!, der: Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64') });
  }
  return blocks;
}

/**
 * DER bytes from a PEM block with one of `labels`, or from raw DER / bare base64.
 * Returns undefined when the input is none of these.
 */
export function derFromPemOrDer(input: Uint8Array | string, labels: readonly string[]): Buffer | undefined {
  if (typeof input !== 'string') {
    const bytes = Buffer.from(input);
    if (bytes[0] === 0x30) return bytes;
    return derFromPemOrDer(bytes.toString('latin1'), labels);
  }
  const text = input.trim();
  if (text.startsWith('-----BEGIN')) {
    const block = parsePemBlocks(text).find((b) => labels.includes(b.label));
    return block && block.der.length > 0 ? block.der : undefined;
  }
  if (/^[A-Za-z0-9+/=\s]+$/.test(text)) {
    const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
    return der[0] === 0x30 ? der : undefined;
  }
  return undefined;
}
