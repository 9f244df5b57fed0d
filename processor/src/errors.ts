/**
 * A problem the user can fix (a bad flag, config or price file): reported as its message alone, without a
 * stack, and the CLI exits with code 2. Subclasses say which kind.
 */
export class UserError extends Error {
  override name = 'UserError';
}
