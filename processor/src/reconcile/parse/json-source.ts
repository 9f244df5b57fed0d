import { parse as parseLossless } from 'lossless-json';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ReportFormatError } from '../errors.js';

/**
 * Reads provider API responses saved to a file: one page (`{"data": [...], "has_more": ...}`), an array of pages,
 * or JSON Lines with one page a line (what `reconcile --fetch` pagination produces when saved).
 *
 * Numbers stay decimal text (DecimalText) so token counts become exact BigInts and OpenAI's float dollars are
 * converted from the digits in the file rather than from a binary double.
 */
export class DecimalText {
  constructor(readonly text: string) {}
}

interface RawPage {
  value: unknown;
  /** The 1-based line of the value at a JSON path in this page, for error messages. */
  locate(path: readonly PropertyKey[]): number | null;
}

export function parseJsonPages<S extends z.ZodType>(text: string, file: string, schema: S, expected: string): z.output<S>[] {
  return readRawPages(text, file).map((raw) => {
    const result = schema.safeParse(raw.value);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const path = issue?.path ?? [];
    throw new ReportFormatError(
      file,
      raw.locate(path),
      `${path.length > 0 ? `${formatPath(path)}: ` : ''}${issue?.message ?? 'invalid'} (expected ${expected})`,
    );
  });
}

function readRawPages(text: string, file: string): RawPage[] {
  if (text.trim() === '') throw new ReportFormatError(file, null, 'the file is empty');
  const lines = text.split('\n');
  const firstLineIndex = lines.findIndex((line) => line.trim() !== '');
  const firstLine = lines[firstLineIndex] ?? '';
  const nonEmptyLines = lines.filter((line) => line.trim() !== '').length;
  if (nonEmptyLines > 1 && firstLine.trim().startsWith('{') && parsesAlone(firstLine)) {
    return lines.flatMap((line, index) =>
      line.trim() === '' ? [] : [{ value: parseText(line, file, index), locate: () => index + 1 }],
    );
  }
  const value = parseText(text, file, 0);
  const locate = documentLocator(text);
  if (Array.isArray(value)) {
    return value.map((page, index) => ({ value: page, locate: (path: readonly PropertyKey[]) => locate([index, ...path]) }));
  }
  return [{ value, locate }];
}

function parsesAlone(line: string): boolean {
  try {
    parseLossless(line, null, () => 0);
    return true;
  } catch {
    return false;
  }
}

/** `lineOffset` is the 0-based line the text starts at in the file (JSON Lines). */
function parseText(text: string, file: string, lineOffset: number): unknown {
  try {
    return parseLossless(text, null, (digits) => new DecimalText(digits));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message);
    const offset = position ? Number(position[1]) : text.length;
    const { line, column } = lineAndColumn(text, offset);
    const reason = message.replace(/ at position \d+$/, '');
    const truncated = offset >= text.trimEnd().length ? ' — the file looks truncated' : '';
    throw new ReportFormatError(file, lineOffset + line, `not valid JSON at column ${column}: ${reason}${truncated}`);
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const clamped = Math.min(offset, text.length);
  const before = text.slice(0, clamped);
  const line = before.split('\n').length;
  const column = clamped - before.lastIndexOf('\n');
  return { line, column };
}

/** Maps a JSON path to its line through a YAML parse of the same text (JSON is YAML); only on the error path. */
function documentLocator(text: string): (path: readonly PropertyKey[]) => number | null {
  let located: { doc: ReturnType<typeof parseDocument>; counter: LineCounter } | null = null;
  return (path) => {
    located ??= (() => {
      const counter = new LineCounter();
      return { doc: parseDocument(text, { lineCounter: counter, uniqueKeys: false }), counter };
    })();
    // A missing field has no node: report the line of the nearest object that should hold it.
    for (let depth = path.length; depth >= 0; depth -= 1) {
      const node: unknown = located.doc.getIn(path.slice(0, depth), true);
      const range = node !== null && typeof node === 'object' && 'range' in node ? node.range : undefined;
      if (Array.isArray(range) && typeof range[0] === 'number') return located.counter.linePos(range[0]).line;
    }
    return null;
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}
