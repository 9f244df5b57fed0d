import type { LlmCall } from '../ledger/llm-call.js';
import { CallHashSet } from './call-hash-set.js';
import { callHash } from './recent-call-keys.js';

type CallIds = Pick<LlmCall, 'trace_id' | 'span_id'>;

/** The `trace_id/span_id` key the ledger's lookups return (see the writer's `findStored`). */
export function callKey(call: CallIds): string {
  return `${call.trace_id}/${call.span_id}`;
}

/**
 * Which calls, by (trace_id, span_id), a staged group holds already. By the hash of the ids first: a hash the
 * group has not seen proves the call new. Only once a hash repeats (the same call twice, or a collision) or an id
 * is malformed does it compare `trace_id/span_id` strings, built then for the calls so far. Before, a key string
 * was built for every call and kept, with the Sets holding it, until the commit: garbage that lived long enough for
 * the young-generation collector to copy.
 */
export class GroupCallIds {
  private readonly hashes = new CallHashSet();
  /** The group's calls while every hash was new; their keys are built only if a hash repeats. */
  private readonly calls: CallIds[] = [];
  private keys: Set<string> | null = null;

  /** Starts the next group, of up to `calls` calls, keeping the hash table (resized to them). */
  reset(calls: number): void {
    this.hashes.clear(calls);
    this.calls.length = 0;
    this.keys = null;
  }

  /** Adds the call's ids; false when the group holds them already. `hash`: their `callHash`, when the caller has it. */
  addIfNew(call: CallIds, hash = callHash(call)): boolean {
    const newHash = hash !== null && this.hashes.add(hash);
    if (this.keys === null) {
      if (newHash) {
        this.calls.push(call);
        return true;
      }
      this.keys = new Set(this.calls.map(callKey));
      this.calls.length = 0;
    }
    const key = callKey(call);
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    return true;
  }
}
