import { z } from 'zod';

/** `attribution.pseudonymize_user_ids`: user ids are replaced by a keyed hash before anything is stored. */
export const pseudonymizeSchema = z
  .object({
    key: z
      .string('a secret key, e.g. "${env:USER_ID_KEY}"')
      .min(16, 'at least 16 characters of secret, e.g. "${env:USER_ID_KEY}" holding `openssl rand -hex 32`'),
  })
  .strict();

export type PseudonymizeConfig = z.output<typeof pseudonymizeSchema>;
