import type { Exporter } from './exporter.js';
import type { WireFormat } from './senders/sender.js';
import { countItems } from './wire/count-items.js';

/** The signals the processor does not read but passes on. */
export type PassThroughSignal = 'logs' | 'metrics';

/** Hands one received logs or metrics request on; never waits and never throws (a full queue drops and counts). */
export type ForwardSignal = (signal: PassThroughSignal, body: Uint8Array, format: WireFormat) => void;

/**
 * Logs and metrics requests go on to every exporter that takes the signal, as they arrived (same bytes, same
 * encoding); the processor reads them only to count their log records or metric points. Nothing configured:
 * the request is dropped, as before forwarding existed.
 */
export function passThrough(exporters: Readonly<Record<PassThroughSignal, readonly Exporter[]>>): ForwardSignal {
  return (signal, body, format) => {
    const targets = exporters[signal];
    if (targets.length === 0) return;
    const items = countItems(signal, body, format);
    for (const exporter of targets) exporter.enqueueRequest(body, format, items);
  };
}
