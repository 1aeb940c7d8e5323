// Not built yet: the issue that owns this command replaces this file.
import { ExitError } from "../../errors";
export async function validateCommand(..._args: unknown[]): Promise<void> {
  throw new ExitError("tessera: 'validateCommand' is not built yet", 1);
}
