import { createRequire } from 'node:module';

/** This package's version, for instrumentation scopes. */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Scope names start with this, so the processor can tell these spans (semantic-convention token meanings) apart. */
export const SCOPE_PREFIX = '@genai-chargeback/instrumentation';
