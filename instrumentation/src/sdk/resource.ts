import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  serviceInstanceIdDetector,
  type Resource,
  type ResourceDetector,
} from '@opentelemetry/resources';
import { diag } from '@opentelemetry/api';
import { listFromEnv } from './exporters.js';

const DETECTORS: Record<string, ResourceDetector> = {
  env: envDetector,
  host: hostDetector,
  os: osDetector,
  process: processDetector,
  serviceinstance: serviceInstanceIdDetector,
};

/**
 * The service's resource: SDK defaults, then the detectors of `OTEL_NODE_RESOURCE_DETECTORS` (default all), then
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`, which always apply and win.
 */
export function createResourceFromEnv(env: Record<string, string | undefined> = process.env): Resource {
  const names = listFromEnv(env['OTEL_NODE_RESOURCE_DETECTORS']) ?? ['all'];
  let selected: string[];
  if (names.includes('none')) selected = [];
  else if (names.includes('all')) selected = Object.keys(DETECTORS);
  else selected = names;
  const detectors: ResourceDetector[] = [];
  for (const name of selected) {
    const detector = DETECTORS[name];
    if (detector === undefined) diag.warn(`OTEL_NODE_RESOURCE_DETECTORS: unknown detector "${name}"; use ${Object.keys(DETECTORS).join(', ')}, all or none`);
    else if (name !== 'env') detectors.push(detector);
  }
  // Always, and last: OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES must win over what is detected.
  detectors.push(envDetector);
  return defaultResource().merge(detectResources({ detectors }));
}
