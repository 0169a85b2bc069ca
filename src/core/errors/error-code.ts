/** Every machine-readable error code the API answers with (the `code` of a problem-details body). */
export enum ErrorCode {
  ValidationFailed = 'validation_failed',
  MalformedBody = 'malformed_body',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  RouteNotFound = 'route_not_found',
  MethodNotAllowed = 'method_not_allowed',
  Conflict = 'conflict',
  InvalidStateTransition = 'invalid_state_transition',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  RateLimited = 'rate_limited',
  ServiceUnavailable = 'service_unavailable',
  Internal = 'internal_error',
}

export const ERROR_TITLES: Record<ErrorCode, string> = {
  [ErrorCode.ValidationFailed]: 'The request is not valid',
  [ErrorCode.MalformedBody]: 'The request body could not be parsed',
  [ErrorCode.Unauthorized]: 'A valid API key is required',
  [ErrorCode.Forbidden]: 'Not allowed',
  [ErrorCode.NotFound]: 'Not found',
  [ErrorCode.RouteNotFound]: 'No such route',
  [ErrorCode.MethodNotAllowed]: 'Method not allowed',
  [ErrorCode.Conflict]: 'Conflict',
  [ErrorCode.InvalidStateTransition]: 'Invalid state transition',
  [ErrorCode.PayloadTooLarge]: 'Payload too large',
  [ErrorCode.UnsupportedMediaType]: 'Unsupported media type',
  [ErrorCode.RateLimited]: 'Too many requests',
  [ErrorCode.ServiceUnavailable]: 'Service unavailable',
  [ErrorCode.Internal]: 'Internal server error',
};
