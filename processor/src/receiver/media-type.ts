import { UnsupportedEncodingError, UnsupportedMediaTypeError } from './errors.js';

export type OtlpFormat = 'protobuf' | 'json';

export const CONTENT_TYPE: Record<OtlpFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** The OTLP encoding a Content-Type names; parameters are allowed, a JSON charset must be UTF-8. */
export function requestFormat(contentType: string | undefined): OtlpFormat {
  const [essence = '', ...parameters] = (contentType ?? '').split(';');
  const mediaType = essence.trim().toLowerCase();
  if (mediaType === CONTENT_TYPE.protobuf) return 'protobuf';
  if (mediaType === CONTENT_TYPE.json) {
    for (const parameter of parameters) {
      const [name = '', value = ''] = parameter.split('=');
      const charset = value.trim().replace(/^"|"$/g, '').toLowerCase();
      if (name.trim().toLowerCase() === 'charset' && charset !== 'utf-8' && charset !== 'utf8') {
        throw new UnsupportedMediaTypeError(`unsupported charset "${charset}": OTLP/JSON must be UTF-8`);
      }
    }
    return 'json';
  }
  throw new UnsupportedMediaTypeError(
    `unsupported content type "${contentType ?? ''}": send application/x-protobuf or application/json`,
  );
}

/** The format to answer in when the request's own could not be used: protobuf only if the client sent it. */
export function responseFormat(contentType: string | undefined): OtlpFormat {
  try {
    return requestFormat(contentType);
  } catch {
    return 'json';
  }
}

export type ContentEncoding = 'gzip' | 'identity';

export function contentEncoding(header: string | undefined): ContentEncoding {
  const encoding = (header ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return 'identity';
  if (encoding === 'gzip' || encoding === 'x-gzip') return 'gzip';
  throw new UnsupportedEncodingError(`unsupported content encoding "${header ?? ''}": send gzip or no Content-Encoding`);
}
