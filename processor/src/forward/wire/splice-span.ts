import { ProtoReader } from '../../otlp/proto-reader.js';
import { ProtoWriter } from '../../otlp/proto-writer.js';
import { KeyValue, Span } from '../../otlp/schema.js';
import type { AttributePlan } from '../enrich.js';
import { writeAddedAttributes } from './added-attributes.js';

/**
 * A Span message with attributes added, every original byte kept: protobuf parsers merge a message's repeated
 * fields wherever they appear, so new KeyValues appended after the original fields are simply more attributes.
 * Only attributes whose key the plan replaces are cut out of the original (attribute keys must stay unique).
 */
export function spliceSpan(span: Uint8Array, plan: AttributePlan): Uint8Array {
  if (plan.add.length === 0) return span;
  const writer = new ProtoWriter(64 * plan.add.length);
  writeAddedAttributes(writer, Span.tag.attributes, plan.add);
  const kept = plan.replace.size === 0 ? [span] : withoutAttributes(span, plan.replace);
  return Buffer.concat([...kept, writer.finish()]);
}

/** The span's bytes as slices around the attribute fields whose key is in `keys`. */
function withoutAttributes(span: Uint8Array, keys: ReadonlySet<string>): Uint8Array[] {
  const reader = new ProtoReader(span);
  const end = reader.len;
  const parts: Uint8Array[] = [];
  let keptFrom = 0;
  while (reader.pos < end) {
    const fieldStart = reader.pos;
    const tag = reader.uint32(end);
    if (tag !== Span.tag.attributes) {
      reader.skip(tag, end, Span);
      continue;
    }
    const attributeEnd = reader.delimited(end);
    if (keys.has(keyOf(reader, attributeEnd))) {
      parts.push(span.subarray(keptFrom, fieldStart));
      keptFrom = attributeEnd;
    }
    reader.pos = attributeEnd;
  }
  parts.push(span.subarray(keptFrom));
  return parts;
}

function keyOf(reader: ProtoReader, end: number): string {
  while (reader.pos < end) {
    const tag = reader.uint32(end);
    if (tag === KeyValue.tag.key) return reader.string(end);
    reader.skip(tag, end, KeyValue);
  }
  return '';
}
