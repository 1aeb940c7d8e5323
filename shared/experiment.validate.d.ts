/** Types of the generated experiment.validate.js: Ajv's validator for ExperimentSchema, compiled ahead of time. */
import type { ValidateFunction } from "ajv";
import type { ExperimentConfig } from "./src/schema";

declare const validate: ValidateFunction<ExperimentConfig>;
export { validate };
export default validate;
