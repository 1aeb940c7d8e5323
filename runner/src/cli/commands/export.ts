// Not built yet: the issue that owns this command replaces this file.
import { ExitError } from "../../errors";
export async function exportCommand(..._args: unknown[]): Promise<void> {
  throw new ExitError("tessera: 'exportCommand' is not built yet", 1);
}
