// Not built yet: the issue that owns this command replaces this file.
import { ExitError } from "../../errors";
export async function dataPreviewCommand(..._args: unknown[]): Promise<void> {
  throw new ExitError("tessera: 'dataPreviewCommand' is not built yet", 1);
}
export async function dataCacheCommand(..._args: unknown[]): Promise<void> {
  throw new ExitError("tessera: 'dataCacheCommand' is not built yet", 1);
}
export async function dataFetchCommand(..._args: unknown[]): Promise<void> {
  throw new ExitError("tessera: 'dataFetchCommand' is not built yet", 1);
}
