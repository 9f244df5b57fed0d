import { UserError } from '../errors.js';

/** A price-book file that cannot be used; each problem names the file, the entry and the field. */
export class PriceBookError extends UserError {
  override name = 'PriceBookError';

  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(problems.map((problem) => `${file}: ${problem}`).join('\n'));
  }
}
