import { pino, type Logger } from 'pino';

/** Paths pino replaces with "[redacted]": credentials, PINs, tokens and keys never reach a log. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  'newPassword',
  'pin',
  'newPin',
  'token',
  'privateKey',
  'masterKey',
  '*.password',
  '*.newPassword',
  '*.pin',
  '*.newPin',
  '*.token',
  '*.privateKey',
  '*.masterKey',
];

/** The service logger (JSON lines on stdout). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'kyso' } }, destination);
}
