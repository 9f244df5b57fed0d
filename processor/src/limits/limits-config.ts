import { z } from 'zod';

export const limitsDefaults = {
  max_spans_per_request: 50_000,
  max_attributes_per_span: 256,
  max_attribute_key_length: 256,
  max_attribute_value_length: 8_192,
  max_array_length: 1_024,
  max_value_depth: 8,
};

/**
 * `limits`: caps on what one request or span may carry (processor/src/ops/README.md, "Caps"). Over a count,
 * key or depth cap a span is rejected (partial success); over a length cap the value is truncated.
 */
export const limitsSchema = z
  .object({
    /** Spans past this count in one request are rejected. */
    max_spans_per_request: z.number().int().positive().default(limitsDefaults.max_spans_per_request),
    /** A span (or its resource, or a link) with more attributes is rejected. */
    max_attributes_per_span: z.number().int().positive().default(limitsDefaults.max_attributes_per_span),
    /** A span with a longer attribute key anywhere (span, resource, link, nested map) is rejected. */
    max_attribute_key_length: z.number().int().positive().default(limitsDefaults.max_attribute_key_length),
    /** Longer strings (values, span name, status message) and byte values are truncated to this many characters/bytes. */
    max_attribute_value_length: z.number().int().positive().default(limitsDefaults.max_attribute_value_length),
    /** Longer array values, map values and link lists are truncated to their first elements. */
    max_array_length: z.number().int().positive().default(limitsDefaults.max_array_length),
    /** A span with values nested deeper (arrays or maps inside attribute values) is rejected. */
    max_value_depth: z.number().int().min(1).max(64, 'at most 64 (the decoders refuse requests nested deeper than 100)').default(limitsDefaults.max_value_depth),
  })
  .strict()
  .default(limitsDefaults);

export type LimitsConfig = z.output<typeof limitsSchema>;
