import protobuf from 'protobufjs';

/**
 * google.rpc.Status and google.rpc.RetryInfo decoded with protobufjs (an implementation independent of the
 * processor's encoder), for checking error bodies and gRPC status details.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    Any: { fields: { typeUrl: { id: 1, type: 'string' }, value: { id: 2, type: 'bytes' } } },
    Status: {
      fields: { code: { id: 1, type: 'int32' }, message: { id: 2, type: 'string' }, details: { id: 3, rule: 'repeated', type: 'Any' } },
    },
    Duration: { fields: { seconds: { id: 1, type: 'int64' }, nanos: { id: 2, type: 'int32' } } },
    RetryInfo: { fields: { retryDelay: { id: 1, type: 'Duration' } } },
  },
});

export interface DecodedStatus {
  code: number;
  message: string;
  details: { typeUrl: string; value: Uint8Array }[];
}

export function decodeRpcStatus(bytes: Uint8Array): DecodedStatus {
  const status = root.lookupType('Status').toObject(root.lookupType('Status').decode(bytes), { defaults: true, arrays: true });
  return status as DecodedStatus;
}

/** The retry delay of a google.rpc.RetryInfo detail, in seconds. */
export function decodeRetryDelaySeconds(bytes: Uint8Array): number {
  const info = root.lookupType('RetryInfo').toObject(root.lookupType('RetryInfo').decode(bytes), { longs: Number, defaults: true }) as {
    retryDelay: { seconds: number; nanos: number };
  };
  return info.retryDelay.seconds + info.retryDelay.nanos / 1e9;
}
