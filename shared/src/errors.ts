/**
 * The one error type shared code throws for the user rather than for a developer: the CLI's
 * top-level handler prints its message without a stack and exits with `code`. The runner's named
 * errors (UsageError, ConfigError, DataError) extend it.
 */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly code: number = 1,
  ) {
    super(message);
    this.name = "ExitError";
  }
}
