import { record } from './read.js';

/**
 * A class exported by an SDK module: a named export of its ESM namespace or CommonJS exports, or the CommonJS
 * exports themselves when they are the class (`module.exports = Anthropic`).
 */
export function exportedClass(moduleExports: unknown, name: string): Record<string, unknown> | undefined {
  const candidate = namedExport(moduleExports, name) ?? objectOrFunction(moduleExports)?.['default'] ?? moduleExports;
  return typeof candidate === 'function' ? (candidate as unknown as Record<string, unknown>) : undefined;
}

/** A named export of an ESM namespace or CommonJS exports (which may be a function with properties), or undefined. */
export function namedExport(moduleExports: unknown, name: string): unknown {
  const exports = objectOrFunction(moduleExports);
  return exports?.[name] ?? objectOrFunction(exports?.['default'])?.[name];
}

function objectOrFunction(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'function' ? (value as unknown as Record<string, unknown>) : record(value);
}

/** The prototype of a class reached by a path of static properties, e.g. `OpenAI.Chat.Completions`. */
export function prototypeAt(root: Record<string, unknown>, path: readonly string[]): Record<string, unknown> | undefined {
  let current: unknown = root;
  for (const step of path) current = (current as Record<string, unknown> | undefined)?.[step];
  if (typeof current !== 'function') return undefined;
  return record((current as { prototype?: unknown }).prototype);
}

/** The object in `start`'s prototype chain that defines `method` itself (an SDK client's base class). */
export function ownerOf(start: Record<string, unknown> | undefined, method: string): Record<string, unknown> | undefined {
  let current: object | null | undefined = start;
  while (current !== null && current !== undefined) {
    if (Object.prototype.hasOwnProperty.call(current, method)) return current as Record<string, unknown>;
    current = Object.getPrototypeOf(current) as object | null;
  }
  return undefined;
}
