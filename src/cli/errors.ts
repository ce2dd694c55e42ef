/** A command line kyso cannot act on (unknown option, missing argument, bad value): exit code 2. */
export class UsageError extends Error {}

/** Work that ran and failed (some files not imported, a broken audit chain): exit code 1, message printed. */
export class CommandFailed extends Error {}
