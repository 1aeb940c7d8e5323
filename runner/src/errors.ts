/**
 * The few named errors the CLI's one top-level handler knows. Anything else is a bug: the handler
 * prints its stack and exits 1.
 */
import { ExitError } from "@tessera/shared";

/** Exit with this code after printing `message` (no stack); defined in shared so run-store readers can throw it. */
export { ExitError };

/** A bad command line: exit 2. */
export class UsageError extends ExitError {
  constructor(message: string) {
    super(message, 2);
    this.name = "UsageError";
  }
}

/** An invalid config; `problems` are already formatted `file:line:col  path: message` lines. */
export class ConfigError extends ExitError {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message, 1);
    this.name = "ConfigError";
  }
}

/** Bad or missing data (images, CSV, folders); the message names the file. */
export class DataError extends ExitError {
  constructor(message: string) {
    super(message, 1);
    this.name = "DataError";
  }
}
