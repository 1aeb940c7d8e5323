/** The queue's one named error: a bad `--queue` URL (exit 2) or a Redis that cannot be reached (exit 1). */
import { ExitError } from "../errors";

export class QueueError extends ExitError {
  constructor(message: string, code = 1) {
    super(message, code);
    this.name = "QueueError";
  }
}
