// Not built yet: the issue that owns this command replaces this file.
import { ExitError } from "../../errors";
export async function predictCommand(..._args: unknown[]): Promise<void> {
  throw new ExitError("tessera: 'predictCommand' is not built yet", 1);
}
