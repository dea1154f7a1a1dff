// Types of validate-config.js, the config validator that `npm run build` generates (gitignored).
import type { ErrorObject } from 'ajv'
import type { RawConfig } from './schema.js'

export interface ValidateConfig {
  /** Validates in place: applies defaults, coerces types, converts durations and sizes. */
  (data: unknown): data is RawConfig
  errors?: ErrorObject[] | null
}

export declare const validate: ValidateConfig
export default validate
