import type { DomainError } from '../errors.js';

/** A problem as a batch item shows it: the fields of its problem document. */
export interface BatchProblem {
  status: number;
  title: string;
  detail: string;
  errors?: ReadonlyArray<{ path: string; message: string }>;
}

/** The per-item outcome of a batch call: a result or the problem that item ran into. */
export interface BatchItem<T> {
  index: number;
  id?: string;
  status: string;
  result?: T;
  error?: BatchProblem;
}

/** One item of a batch as parsed: its input, or the problem it already has (a row that did not parse). */
export interface ParsedItem<T> {
  input?: T;
  cause?: DomainError;
}

/** A domain error as a batch item shows it. */
export function problemOf(err: DomainError): BatchProblem {
  return { status: err.status, title: err.title, detail: err.message, ...(err.errors ? { errors: err.errors } : {}) };
}
