// Not built yet: the issue that owns this command replaces this file.
import { ExitError } from "../../errors";
export async function weightsFetchCommand(..._args: unknown[]): Promise<void> {
  throw new ExitError("tessera: 'weightsFetchCommand' is not built yet", 1);
}
export async function weightsLsCommand(..._args: unknown[]): Promise<void> {
  throw new ExitError("tessera: 'weightsLsCommand' is not built yet", 1);
}
