import type { ProtoWriter } from '../../otlp/proto-writer.js';
import { AnyValue, KeyValue } from '../../otlp/schema.js';
import type { AddedAttribute } from '../enrich.js';

/** Writes each added attribute as a KeyValue field `tag` (Span.attributes, for one). */
export function writeAddedAttributes(writer: ProtoWriter, tag: number, attributes: readonly AddedAttribute[]): void {
  for (const attribute of attributes) {
    writer.tag(tag);
    const keyValue = writer.begin();
    writer.tag(KeyValue.tag.key).string(attribute.key);
    writer.tag(KeyValue.tag.value);
    const value = writer.begin();
    if (attribute.type === 'string') writer.tag(AnyValue.tag.stringValue).string(attribute.value);
    else if (attribute.type === 'int') writer.tag(AnyValue.tag.intValue).int64(attribute.value);
    else writer.tag(AnyValue.tag.doubleValue).double(attribute.value);
    writer.end(value);
    writer.end(keyValue);
  }
}
