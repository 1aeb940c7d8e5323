// Not built yet: the issue that owns this command replaces this file.
import { ExitError } from "../../errors";
export async function rmCommand(..._args: unknown[]): Promise<void> {
  throw new ExitError("tessera: 'rmCommand' is not built yet", 1);
}
