/**
 * The `sweep:` section of an experiment file: many trials from one base config. Written once here
 * (TypeBox), so Ajv checks it with the rest of the file and editors complete it. A sweep never
 * changes the base's `config_hash`: `resolve()` leaves the section out, and each trial is the base
 * with its parameters applied as `--set` overrides.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { MonitorSchema } from "../monitors";

const Range = <T extends TSchema>(item: T, description: string) => Type.Tuple([item, item], { description });

/** How one parameter varies: exactly one of the four keys. */
export const Distribution = Type.Object(
  {
    values: Type.Optional(
      Type.Array(Type.Unknown(), {
        minItems: 1,
        description: "Explicit choices (any YAML value); the only form a grid takes.",
      }),
    ),
    uniform: Type.Optional(Range(Type.Number(), "[low, high]: a float drawn uniformly.")),
    log_uniform: Type.Optional(
      Range(Type.Number({ exclusiveMinimum: 0 }), "[low, high], both > 0: uniform in log space (learning rates)."),
    ),
    int_uniform: Type.Optional(Range(Type.Integer(), "[low, high]: an integer drawn uniformly, both ends included.")),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
    description: "One of values, uniform, log_uniform, int_uniform.",
  },
);
export type DistributionConfig = Static<typeof Distribution>;
export const DISTRIBUTIONS = ["values", "uniform", "log_uniform", "int_uniform"] as const;
export type DistributionName = (typeof DISTRIBUTIONS)[number];

export const SWEEP_METHODS = ["grid", "random", "asha"] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];

export const Asha = Type.Object(
  {
    resource: Type.Optional(
      Type.Literal("epochs", { description: "What a rung measures: epochs of the whole schedule.", default: "epochs" }),
    ),
    min: Type.Optional(Type.Integer({ minimum: 1, description: "Epochs of the first rung.", default: 1 })),
    reduction: Type.Optional(
      Type.Integer({
        minimum: 2,
        description: "η: rungs at min·η^k epochs; the top 1/η of a rung is promoted.",
        default: 3,
      }),
    ),
  },
  { additionalProperties: false, description: "Asynchronous successive halving (Li et al. 2018)." },
);

export const Sweep = Type.Object(
  {
    method: Type.Union(
      SWEEP_METHODS.map((m) => Type.Literal(m)),
      {
        description:
          "grid: every combination of `values`; random: seeded draws; asha: random draws with early stopping.",
      },
    ),
    metric: Type.Optional({ ...MonitorSchema, description: "The objective.", default: "valid.accuracy" }),
    mode: Type.Optional(
      Type.Union([Type.Literal("max"), Type.Literal("min")], {
        description: "Whether a higher or lower objective is better.",
        default: "max",
      }),
    ),
    trials: Type.Optional(
      Type.Integer({ minimum: 1, description: "How many trials random and asha draw; a grid runs its product." }),
    ),
    parallel: Type.Optional(Type.Integer({ minimum: 1, description: "Trials at once on this machine.", default: 1 })),
    seed: Type.Optional(Type.Integer({ description: "Seed of the draws; defaults to the experiment's `seed`." })),
    parameters: Type.Record(Type.String({ minLength: 1 }), Distribution, {
      minProperties: 1,
      description: "Config path (the --set syntax, stage names allowed) -> how it varies.",
    }),
    asha: Type.Optional(Asha),
  },
  { additionalProperties: false, description: "Run many trials of this experiment (see docs/sweeps.md)." },
);
export type SweepConfig = Static<typeof Sweep>;
