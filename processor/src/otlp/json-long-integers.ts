/**
 * OTLP/JSON allows 64-bit integers as JSON numbers, and JSON.parse rounds any integer beyond 2^53
 * (9007199254740993 becomes ...992); Node 20 has no JSON.parse source-text access to recover the digits.
 * So, for a request found to hold such a number, integer literals of 16 or more digits are turned into strings
 * before parsing again; the decoder accepts strings for every 64-bit field and for doubles, as proto3 JSON does.
 */

/** Cheap test: a JSON number (not a string) of 16+ digits can only follow `:`, `[` or `,` (and whitespace). */
const LONG_NUMBER_HINT = /[:[,]\s*-?\d{16}/;
/** Strings are matched whole so digits inside them are never touched; numbers are matched whole with any fraction. */
const STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
const LONG_INTEGER = /^-?\d{16,}$/;

export function quoteLongIntegers(text: string): string {
  if (!LONG_NUMBER_HINT.test(text)) return text;
  return text.replace(STRING_OR_NUMBER, (token) => (LONG_INTEGER.test(token) ? `"${token}"` : token));
}
