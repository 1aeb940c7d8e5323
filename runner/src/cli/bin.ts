/** Entry point of `tessera` (root script `pnpm tessera`, and the package's bin). */
import { ignoreBrokenPipes } from "./broken-pipe";
import { main } from "./main";

ignoreBrokenPipes();

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Some backends leave worker threads holding the event loop open (wasm threads); once the command
// has returned, nothing is left to do, so don't let them keep the process alive.
setTimeout(() => process.exit(code), 250).unref();
