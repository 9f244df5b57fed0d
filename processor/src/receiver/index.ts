export {
  classifyError,
  InvalidBodyError,
  PayloadTooLargeError,
  SinkFailedError,
  UnsupportedEncodingError,
  UnsupportedMediaTypeError,
  type RequestOutcome,
} from './errors.js';
export { serveGrpc, type GrpcReceiverDeps, type GrpcServeOptions, type RunningGrpcServer } from './grpc-server.js';
export { createApp, type HttpAppDeps, type ReceiverApp } from './http-app.js';
export { serve, type HttpServeOptions, type RunningHttpServer } from './http-server.js';
export { ReceiverMetrics, type ReceiverMetricsSnapshot, type SpanCounts, type Transport } from './metrics.js';
