/**
 * The `tessera` command line. Thin on purpose: each command maps its flags to an options object
 * and calls the programmatic API in `./commands/<name>.ts` (as vite's cli.ts calls
 * createBuilder). One top-level handler turns named errors into messages and exit codes.
 */
import { availableParallelism } from "node:os";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { BACKENDS, INFERENCE_ENGINES } from "@tessera/shared";
import { ExitError } from "../errors";
import { diskFullError, isDiskFull } from "../runs/disk-full";
import { recordFailure } from "../child/failure";

const collect = (value: string, previous: string[] = []) => [...previous, value];

function createProgram(): Command {
  const program = new Command("tessera")
    .description("Run image-classification fine-tuning experiments from YAML files.")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();

  program
    .command("validate")
    .description("Check experiment files against the schema and the rules; print every problem with file:line:col.")
    .argument("<configs...>", "YAML experiment files")
    .option("--json", "print a JSON list of problems on stdout")
    .option("--check-data", "also check that the data path exists and count the images")
    .action(async (configs: string[], opts) => (await import("./commands/validate")).validateCommand(configs, opts));

  program
    .command("plan")
    .description("Dry-run: print the resolved stages, per-group LRs and schedule shapes without training.")
    .argument("<config>", "YAML experiment file")
    .option("--set <path=value>", "override one value, e.g. 'train.stages[1].epochs=3' (repeatable)", collect, [])
    .option("--json", "print the plan as JSON on stdout")
    .option("--check-data", "count the images to give optimiser steps")
    .option("--runs-dir <dir>", "a sweep's plan takes its images/s from a finished run here")
    .option("--dry-run", "write nothing (plan never does; accepted for scripts)")
    .action(async (config: string, opts) => (await import("./commands/plan")).planCommand(config, opts));

  program
    .command("run")
    .description("Train an experiment and write a run folder.")
    .argument("[config]", "YAML experiment file (or use --resume)")
    .option("--set <path=value>", "override one value (repeatable)", collect, [])
    .addOption(backendOption())
    .addOption(threadsOption())
    .option("--verbose", "also show native libraries' own warnings (Dawn's adapter messages)")
    .option("--runs-dir <dir>", "where run folders go (default ./runs, env TESSERA_RUNS_DIR)")
    .option("--resume <run>", "continue a crashed or interrupted run from its last checkpoint")
    .option("--open", "start the dashboard and open the run in the browser")
    .option("--json", "print the run summary as JSON on stdout")
    // Set by `tessera sweep` for its trials; hidden because a person has no reason to type them.
    .addOption(new Option("--run-id <id>", "the new run's id").hideHelp())
    .addOption(new Option("--sweep <id>", "the sweep this run is a trial of").hideHelp())
    .addOption(new Option("--trial <n>", "the trial index").argParser(positiveOrZero("--trial")).hideHelp())
    .addOption(
      new Option("--stop-at-epoch <n>", "stop after n epochs of the schedule")
        .argParser(positiveOrZero("--stop-at-epoch"))
        .hideHelp(),
    )
    .action(async (config: string | undefined, opts) => (await import("./commands/run")).runCommand(config, opts));

  const sweep = program
    .command("sweep")
    .description("Run many trials from one YAML file (grid, random, ASHA); see docs/sweeps.md.");
  sweep
    .command("run", { isDefault: true })
    .description("Run a sweep file's trials (the default: `tessera sweep <file>`), or continue one with --resume.")
    .argument("[file]", "YAML experiment file with a sweep: section")
    .option("--resume <id>", "continue a sweep after Ctrl-C or a crash: finished trials stay, interrupted ones resume")
    .option("--sweeps-dir <dir>", "where sweep folders go (default ./sweeps, env TESSERA_SWEEPS_DIR)")
    .option("--runs-dir <dir>", "where the trials' run folders go (default ./runs, env TESSERA_RUNS_DIR)")
    .addOption(
      new Option("--threads <n>", "wasm threads per trial (default: cores / parallel)").argParser(
        positiveOrZero("--threads"),
      ),
    )
    .option("--json", "print the trial table as JSON on stdout")
    .option("--dry-run", "print the plan (trials, config hashes, cost) and write nothing")
    .option(
      "--queue <url>",
      "enqueue the trials for tessera workers (redis://host:6379/0); run it where the central server's --runs-dir is",
    )
    .addOption(
      new Option("--priority <n>", "with --queue: trial priority, higher runs sooner (-1000..1000)").argParser(
        integerIn("--priority", -1000, 1000),
      ),
    )
    .option("--requires-backend <backend>", "with --queue: only workers with this --backend take the trials")
    .action(async (file: string | undefined, opts) => (await import("./commands/sweep")).sweepCommand(file, opts));
  sweep
    .command("ls")
    .description("List sweeps.")
    .option("--sweeps-dir <dir>", "sweeps dir")
    .option("--json", "print JSON on stdout")
    .action(async (opts) => (await import("./commands/sweep-show")).sweepLsCommand(opts));
  sweep
    .command("show")
    .description("Show one sweep's trial table, best first.")
    .argument("<id>", "sweep id or folder")
    .option("--sweeps-dir <dir>", "sweeps dir")
    .option("--json", "print JSON on stdout")
    .action(async (id: string, opts) => (await import("./commands/sweep-show")).sweepShowCommand(id, opts));

  program
    .command("lr-find")
    .description("Run the LR finder alone and print the curve and the suggestions.")
    .argument("<config>", "YAML experiment file")
    .option("--stage <name>", "the stage whose trainable groups and size to use (default: the first)")
    .option("--seeds <n>", "run with n seeds and report the spread of each suggestion", "1")
    .option("--set <path=value>", "override one value (repeatable)", collect, [])
    .addOption(backendOption())
    .addOption(threadsOption())
    .option("--verbose", "also show native libraries' own warnings (Dawn's adapter messages)")
    .option("--json", "print JSON on stdout")
    .action(async (config: string, opts) => (await import("./commands/lr-find")).lrFindCommand(config, opts));

  program
    .command("eval")
    .description("Evaluate a run's best checkpoint on labelled images.")
    .argument("<run>", "run id or run folder")
    .option("--data <folder|config>", "a folder of labelled images or a config whose data to use")
    .option("--runs-dir <dir>", "runs dir")
    .addOption(inferenceEngineOption())
    .option("--json", "print JSON on stdout")
    .action(async (run: string, opts) => (await import("./commands/eval")).evalCommand(run, opts));

  program
    .command("predict")
    .description("Label new images with a run's best checkpoint.")
    .argument("<run>", "run id or run folder")
    .argument("<images...>", "image files or folders")
    .option("--runs-dir <dir>", "runs dir")
    .addOption(inferenceEngineOption())
    .option("--json", "print JSON on stdout")
    .action(async (run: string, images: string[], opts) =>
      (await import("./commands/predict")).predictCommand(run, images, opts),
    );

  program
    .command("export")
    .description("Write a self-describing model folder: tfjs layers or graph model, ONNX, or a static web page.")
    .argument("<run>", "run id or run folder")
    .requiredOption("--out <dir>", "output folder")
    .addOption(
      new Option("--format <format>", "what to write").choices(["tfjs", "tfjs-graph", "onnx", "web"]).default("tfjs"),
    )
    .addOption(new Option("--checkpoint <which>", "which checkpoint").choices(["best", "last"]).default("best"))
    .option("--opset <n>", "ONNX opset (13-21)", "17")
    .option("--batch <dynamic|N>", "ONNX batch dimension: symbolic, or a fixed size", "dynamic")
    .option("--bake-preprocessing", "ONNX: put the normalisation into the graph (input is RGB 0..255)")
    .option("--runs-dir <dir>", "runs dir")
    .action(async (run: string, opts) => (await import("./commands/export")).exportCommand(run, opts));

  program
    .command("serve")
    .description("Serve predictions over HTTP from a run or an export folder (POST /predict, GET /model, GET /health).")
    .argument("<run|export-dir>", "run id, run folder, or a folder written by tessera export")
    .option("--host <host>", "address to bind; other than loopback needs --token", "127.0.0.1")
    .option("--port <port>", "port (0: any free one)", "8080")
    .option("--token <token>", "access token required on every request (env TESSERA_TOKEN)")
    .addOption(new Option("--engine <engine>", "inference engine").choices(["tfjs", "onnx"]).default("tfjs"))
    .option("--max-batch <n>", "most images in one inference call", "16")
    .option("--max-wait <ms>", "longest wait for a batch to fill", "5")
    .option("--max-queue <n>", "images waiting beyond which requests get 503", "256")
    .option("--max-image-mb <mb>", "largest accepted image file", "20")
    .option("--allow-root <dir>", "folder JSON {path} requests may read from (default: none)")
    .option("--threads <n>", "ONNX Runtime intra-op threads (default: all cores)")
    .option("--runs-dir <dir>", "runs dir")
    .action(async (run: string, opts) => (await import("./commands/serve")).serveCommand(run, opts));

  program
    .command("ls")
    .description("List runs.")
    .option("--runs-dir <dir>", "runs dir")
    .option("--json", "print JSON on stdout")
    .action(async (opts) => (await import("./commands/ls")).lsCommand(opts));

  program
    .command("show")
    .description("Show one run: meta, stages, best metrics.")
    .argument("<run>", "run id or run folder")
    .option("--runs-dir <dir>", "runs dir")
    .option("--json", "print JSON on stdout")
    .action(async (run: string, opts) => (await import("./commands/show")).showCommand(run, opts));

  program
    .command("rm")
    .description("Delete a run folder.")
    .argument("<run>", "run id or run folder")
    .option("--runs-dir <dir>", "runs dir")
    .action(async (run: string, opts) => (await import("./commands/rm")).rmCommand(run, opts));

  const token = program
    .command("token")
    .description("Per-worker tokens for the central server's ingest (kept hashed beside the runs dir).");
  const tokenOpts = (c: Command) =>
    c
      .option("--runs-dir <dir>", "runs dir whose token file to use")
      .option(
        "--tokens-file <file>",
        "the token file (default .tessera-tokens.json beside the runs dir, env TESSERA_TOKENS_FILE)",
      )
      .option("--json", "print JSON on stdout");
  tokenOpts(
    token.command("add").description("Create a worker's token and print it once.").argument("<name>", "worker name"),
  ).action(async (name: string, opts) => (await import("./commands/token")).tokenAddCommand(name, opts));
  tokenOpts(token.command("ls").description("List the workers that have a token.")).action(async (opts) =>
    (await import("./commands/token")).tokenLsCommand(opts),
  );
  tokenOpts(
    token
      .command("revoke")
      .description("Revoke a worker's token (no server restart needed).")
      .argument("<name>", "worker name"),
  ).action(async (name: string, opts) => (await import("./commands/token")).tokenRevokeCommand(name, opts));

  program
    .command("diff")
    .description("Compare two configs or runs: changed config paths, metric deltas, split check.")
    .argument("<a>", "config file, run id or run folder")
    .argument("<b>", "config file, run id or run folder")
    .addOption(new Option("--format <format>", "output format").choices(["text", "md", "json"]).default("text"))
    .option("--fail-if <expr>", "exit 1 when e.g. 'valid.accuracy < -0.5%' holds for b against a")
    .option("--runs-dir <dir>", "runs dir")
    .action(async (a: string, b: string, opts) => (await import("./commands/diff")).diffCommand(a, b, opts));

  program
    .command("report")
    .description("Write report.md (or report.html) with charts as files, for a pull request.")
    .argument("<run>", "run id or run folder, or a sweep id or folder")
    .option("--vs <run>", "baseline run to compare against")
    .option("--out <dir>", "output folder (default: the run folder)")
    .addOption(new Option("--format <format>", "output format").choices(["md", "html"]).default("md"))
    .option("--runs-dir <dir>", "runs dir")
    .option("--sweeps-dir <dir>", "sweeps dir (a sweep id reports the sweep: trials, charts, best config diff)")
    .action(async (run: string, opts) => (await import("./commands/report")).reportCommand(run, opts));

  program
    .command("dashboard")
    .description("Serve the live dashboard over the run store.")
    .option("--runs-dir <dir>", "runs dir")
    .option("--port <port>", "port", "3000")
    .option("--host <host>", "address to bind; other than loopback needs --token", "127.0.0.1")
    .option("--token <token>", "access token required on every request (env TESSERA_TOKEN)")
    .option("--configs-dir <dir>", "configs folder to serve", "configs")
    .option("--sweeps-dir <dir>", "sweeps folder to serve (default ./sweeps, env TESSERA_SWEEPS_DIR)")
    .option(
      "--queue <url>",
      "the BullMQ queue (redis://host:6379/0) the Launch and Queue pages use; see docs/cluster.md",
    )
    .option(
      "--index-file <file>",
      "SQLite run index (default <runs-dir>/../.tessera/<name>.index.sqlite, env TESSERA_INDEX_FILE)",
    )
    .action(async (opts) => (await import("./commands/dashboard")).dashboardCommand(opts));

  program
    .command("submit")
    .description("Validate a config and enqueue it as one run on a queue (see docs/cluster.md).")
    .argument("<config>", "YAML experiment file")
    .requiredOption("--queue <url>", "the queue: redis://[:password@]host:6379/0 or rediss://...")
    .option("--set <path=value>", "override one value (repeatable)", collect, [])
    .addOption(
      new Option("--priority <n>", "higher runs sooner, -1000..1000 (default 0)").argParser(
        integerIn("--priority", -1000, 1000),
      ),
    )
    .option("--requires-backend <name>", "only a worker started with this --backend takes the run")
    .option("--data-root <dir>", "a relative data.path in the job is relative to this (default: the working directory)")
    .option("--json", "print the job and run ids as JSON on stdout")
    .action(async (config: string, opts) => (await import("./commands/submit")).submitCommand(config, opts));

  const queue = program.command("queue").description("See and manage queued runs: ls, cancel, retry.");
  const queueUrl = () =>
    new Option("--queue <url>", "the queue: redis://[:password@]host:6379/0").makeOptionMandatory();
  queue
    .command("ls")
    .description("List jobs: running, waiting, failed and finished.")
    .addOption(queueUrl())
    .option("--json", "print the jobs as JSON on stdout")
    .action(async (opts) => (await import("./commands/queue")).queueLsCommand(opts));
  queue
    .command("cancel")
    .description("Remove a waiting job, or stop a running one after its current batch.")
    .argument("<job>", "job id (from tessera queue ls)")
    .addOption(queueUrl())
    .action(async (job: string, opts) => (await import("./commands/queue")).queueCancelCommand(job, opts));
  queue
    .command("retry")
    .description("Retry a failed job; its run resumes from its last checkpoint.")
    .argument("<job>", "job id (from tessera queue ls)")
    .addOption(queueUrl())
    .action(async (job: string, opts) => (await import("./commands/queue")).queueRetryCommand(job, opts));

  program
    .command("worker")
    .description("Take runs from a queue and train them here, pushing them to the central server.")
    .requiredOption("--queue <url>", "the queue: redis://[:password@]host:6379/0 or rediss://...")
    .option("--server <url>", "the central tessera dashboard that stores the runs, e.g. http://central:3000")
    .option("--token <token>", "this worker's token for --server (env TESSERA_TOKEN)")
    .addOption(new Option("--concurrency <n>", "runs at once (default 1)").argParser(integerIn("--concurrency", 1, 64)))
    .addOption(backendOption())
    .option("--name <name>", "this worker's name in queue ls and the dashboard (default host-pid)")
    .option(
      "--data-root <dir>",
      "relative data paths in jobs are resolved here, and a job's data.path must stay below it (default: the working directory, not confined)",
    )
    .option("--runs <dir>", "this worker's own run folders (default ./runs, env TESSERA_RUNS_DIR)")
    .option("--state-dir <dir>", "logs and job configs (default <runs>/../.tessera-worker/<name>)")
    .addOption(
      new Option("--threads <n>", "wasm threads per run (default cores / concurrency)").argParser(
        integerIn("--threads", 1, 64),
      ),
    )
    .addOption(
      new Option("--lock-ms <n>", "job lock duration").argParser(integerIn("--lock-ms", 500, 600_000)).hideHelp(),
    )
    .action(async (opts) => (await import("./commands/worker")).workerCommand(opts));

  program
    .command("index")
    .description("The central server's SQLite run index (derived from the run folders).")
    .command("rebuild")
    .description("Read every run and sweep folder again into the run index (the dashboard also does this on start).")
    .option("--runs-dir <dir>", "runs dir (default ./runs, env TESSERA_RUNS_DIR)")
    .addOption(new Option("--runs <dir>", "same as --runs-dir").hideHelp())
    .option("--sweeps-dir <dir>", "sweeps dir (default ./sweeps, env TESSERA_SWEEPS_DIR)")
    .option(
      "--index-file <file>",
      "index file (default <runs-dir>/../.tessera/<name>.index.sqlite, env TESSERA_INDEX_FILE)",
    )
    .option("--json", "print {file, runs, sweeps, ms} on stdout")
    .action(async (opts) => (await import("./commands/index-rebuild")).indexRebuildCommand(opts));

  const data = program.command("data").description("Data helpers: preview, cache, fetch.");
  data
    .command("preview")
    .description("Write a grid of augmented samples with their labels as a PNG.")
    .argument("<config>", "YAML experiment file")
    .option("--out <file>", "output PNG", "preview.png")
    .option("--set <path=value>", "override one value (repeatable)", collect, [])
    .option("--stage <name>", "use this stage's image size")
    .option("--count <n>", "number of samples", "32")
    .action(async (config: string, opts) => (await import("./commands/data")).dataPreviewCommand(config, opts));
  data
    .command("cache")
    .description("Show or clear the decoded-image cache.")
    .option("--clear", "delete the cache")
    .option("--json", "print JSON on stdout")
    .action(async (opts) => (await import("./commands/data")).dataCacheCommand(opts));
  data
    .command("fetch")
    .description("Download a known data set (checksummed, resumable), or say how to get it.")
    .argument("<dataset>", "data set name, e.g. kimia960")
    .option("--to <dir>", "destination folder")
    .option("--url <url>", "override the download address (mirrors, tests)")
    .action(async (dataset: string, opts) => (await import("./commands/data")).dataFetchCommand(dataset, opts));

  const weights = program.command("weights").description("Pretrained weights: fetch and list.");
  weights
    .command("fetch")
    .description("Download and verify pretrained weights into the cache.")
    .argument("<backbone>", "e.g. resnet50")
    .action(async (backbone: string, opts) => (await import("./commands/weights")).weightsFetchCommand(backbone, opts));
  weights
    .command("ls")
    .description("List known weight sources and what is cached.")
    .option("--json", "print JSON on stdout")
    .action(async (opts) => (await import("./commands/weights")).weightsLsCommand(opts));

  return program;
}

/** Runs the CLI; returns the exit code instead of exiting so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed help or the usage problem.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof ExitError) {
      if (error.message) process.stderr.write(`${error.message}\n`);
      recordFailure(error);
      return error.code;
    }
    if (isDiskFull(error)) {
      process.stderr.write(`${diskFullError(error, null).message}\n`);
      return 1;
    }
    recordFailure(error);
    process.stderr.write(
      `tessera: unexpected error (this is a bug, please report it)\n${(error as Error)?.stack ?? String(error)}\n`,
    );
    return 1;
  }
}

/** An integer flag >= 0, as a commander parser. */
function positiveOrZero(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`${flag}: expected an integer >= 0, received ${JSON.stringify(value)}`);
    return n;
  };
}

/** An integer flag within [min, max] (e.g. a queue priority). */
function integerIn(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(
        `${flag}: expected an integer from ${min} to ${max}, received ${JSON.stringify(value)}`,
      );
    return n;
  };
}

/** `--backend`: one of the schema's backends (the same list `backend:` in a config accepts). */
function backendOption(): Option {
  return new Option("--backend <name>", "TensorFlow.js backend").choices(BACKENDS);
}

/** `--engine` of eval and predict: what infers (the config field `inference_engine` for runs). */
function inferenceEngineOption(): Option {
  return new Option(
    "--engine <engine>",
    "inference engine: onnx (ONNX Runtime, CPU), tfjs, or auto (onnx when tfjs would run on wasm/cpu)",
  )
    .choices(INFERENCE_ENGINES)
    .default("auto");
}

/**
 * `--threads n`: wasm worker threads (XNNPACK's convolutions and matmuls use them). The CLI defaults
 * to every core, env TESSERA_THREADS overrides; the library API keeps 1, so parallel test workers do
 * not oversubscribe the cores. Other backends ignore it.
 */
function threadsOption(): Option {
  const parse = (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 64)
      throw new InvalidArgumentError(`expected an integer from 1 to 64, received ${JSON.stringify(value)}`);
    return n;
  };
  return new Option("--threads <n>", "wasm backend threads")
    .env("TESSERA_THREADS")
    .argParser(parse)
    .default(availableParallelism(), "all cores");
}
