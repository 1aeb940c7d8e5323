// Not built yet: the issue that owns this command replaces this file.
import { ExitError } from "../../errors";
export async function showCommand(..._args: unknown[]): Promise<void> {
  throw new ExitError("tessera: 'showCommand' is not built yet", 1);
}
