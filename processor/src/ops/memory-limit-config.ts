import { z } from 'zod';

const interval = z
  .union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?(ms|s)$/, 'an interval like 500ms or 1s')])
  .transform((value) => (typeof value === 'number' ? value : value.endsWith('ms') ? Number(value.slice(0, -2)) : Number(value.slice(0, -1)) * 1_000));

/**
 * `memory_limit`, like the Collector's memory_limiter: above `limit_mib − spike_limit_mib` new data is refused with
 * 503 + Retry-After (gRPC UNAVAILABLE) until usage falls below it again. Usage is the V8 heap in use plus
 * external buffers, sampled every `check_interval`. `limit_mib` defaults to 80% of the V8 heap limit; 0 turns
 * the limiter off.
 */
export const memoryLimitSchema = z
  .object({
    limit_mib: z.number().nonnegative('a limit in MiB, or 0 to turn the limiter off').optional(),
    /** Headroom for growth between two checks; default 20% of the limit. */
    spike_limit_mib: z.number().nonnegative().optional(),
    check_interval: interval.default(1_000),
  })
  .strict()
  .refine((value) => value.limit_mib === undefined || value.spike_limit_mib === undefined || value.spike_limit_mib < value.limit_mib || value.limit_mib === 0, {
    message: 'spike_limit_mib must be below limit_mib',
    path: ['spike_limit_mib'],
  })
  .default({ check_interval: 1_000 });

export type MemoryLimitConfig = z.output<typeof memoryLimitSchema>;
