import type { Attributes, HrTime, Link, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

/**
 * Ended spans as plain JSON, to hand them to another process that exports them (see export-at-exit.ts): the OTLP
 * exporters take `ReadableSpan` objects, which hold methods and shared resource objects. Written by hand because
 * no OpenTelemetry package reads spans back from its wire formats.
 */
export interface PortableSpans {
  resources: Array<{ attributes: Attributes; schemaUrl?: string }>;
  spans: PortableSpan[];
}

interface PortableContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
  traceState?: string;
}

interface PortableSpan {
  name: string;
  kind: SpanKind;
  context: PortableContext;
  parent?: PortableContext;
  startTime: HrTime;
  endTime: HrTime;
  duration: HrTime;
  status: SpanStatus;
  attributes: Attributes;
  links: Array<{ context: PortableContext; attributes?: Attributes; droppedAttributesCount?: number }>;
  events: TimedEvent[];
  resource: number;
  scope: { name: string; version?: string; schemaUrl?: string };
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
}

export function toPortableSpans(spans: readonly ReadableSpan[]): PortableSpans {
  const resourceIndex = new Map<Resource, number>();
  const resources: PortableSpans['resources'] = [];
  const portable = spans.map((span): PortableSpan => {
    let resource = resourceIndex.get(span.resource);
    if (resource === undefined) {
      resource = resources.push({ attributes: span.resource.attributes, schemaUrl: span.resource.schemaUrl }) - 1;
      resourceIndex.set(span.resource, resource);
    }
    const { name, version, schemaUrl } = span.instrumentationScope;
    return {
      name: span.name,
      kind: span.kind,
      context: toPortableContext(span.spanContext()),
      parent: span.parentSpanContext === undefined ? undefined : toPortableContext(span.parentSpanContext),
      startTime: span.startTime,
      endTime: span.endTime,
      duration: span.duration,
      status: span.status,
      attributes: span.attributes,
      links: span.links.map((link) => ({ ...link, context: toPortableContext(link.context) })),
      events: span.events,
      resource,
      scope: { name, version, schemaUrl },
      droppedAttributesCount: span.droppedAttributesCount,
      droppedEventsCount: span.droppedEventsCount,
      droppedLinksCount: span.droppedLinksCount,
    };
  });
  return { resources, spans: portable };
}

export function fromPortableSpans({ resources, spans }: PortableSpans): ReadableSpan[] {
  // One object per resource: the OTLP encoders group spans by resource identity.
  const resourceObjects = resources.map(({ attributes, schemaUrl }) => resourceFromAttributes(attributes, { schemaUrl }));
  return spans.map((span): ReadableSpan => {
    const context = fromPortableContext(span.context);
    const resource = resourceObjects[span.resource];
    if (resource === undefined) throw new Error(`span ${span.context.spanId} names resource ${span.resource}, which is not in the list`);
    return {
      name: span.name,
      kind: span.kind,
      spanContext: () => context,
      parentSpanContext: span.parent === undefined ? undefined : fromPortableContext(span.parent),
      startTime: span.startTime,
      endTime: span.endTime,
      duration: span.duration,
      ended: true,
      status: span.status,
      attributes: span.attributes,
      links: span.links.map((link): Link => ({ ...link, context: fromPortableContext(link.context) })),
      events: span.events,
      resource,
      instrumentationScope: span.scope,
      droppedAttributesCount: span.droppedAttributesCount,
      droppedEventsCount: span.droppedEventsCount,
      droppedLinksCount: span.droppedLinksCount,
    };
  });
}

function toPortableContext(context: SpanContext): PortableContext {
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    traceFlags: context.traceFlags,
    isRemote: context.isRemote,
    traceState: context.traceState?.serialize(),
  };
}

function fromPortableContext(context: PortableContext): SpanContext {
  const { traceState, ...rest } = context;
  return traceState === undefined ? rest : { ...rest, traceState: new TraceState(traceState) };
}
