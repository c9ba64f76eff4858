import type { JsonObject } from '../../domain/json.js';

/**
 * Ory's error object (`genericError` in ory/kratos `spec/api.json`, written by ory/herodot): the
 * fixed message per status is herodot's (`error_default.go`), the reason says what went wrong.
 */
const HERODOT: Record<number, { status: string; message: string }> = {
  400: { status: 'Bad Request', message: 'The request was malformed or contained invalid parameters' },
  401: { status: 'Unauthorized', message: 'The request could not be authorized' },
  403: { status: 'Forbidden', message: 'The requested action was forbidden' },
  404: { status: 'Not Found', message: 'The requested resource could not be found' },
  405: { status: 'Method Not Allowed', message: 'The requested method is not allowed on this resource' },
  409: { status: 'Conflict', message: 'The resource could not be created due to a conflict' },
  413: { status: 'Payload Too Large', message: 'The request body is too large' },
  429: { status: 'Too Many Requests', message: 'The resource is exhausted' },
  500: { status: 'Internal Server Error', message: 'An internal server error occurred, please contact the system administrator' },
  503: { status: 'Service Unavailable', message: 'The service is currently unavailable' },
  504: { status: 'Gateway Timeout', message: 'The request timed out' },
};

/** The inner error object (as a batch item's `error` carries it). */
export function kratosError(code: number, reason: string, id?: string, detail?: string): JsonObject {
  const known = HERODOT[code] ?? { status: 'Error', message: reason };
  // herodot's WithError replaces the fixed message with the underlying error's text.
  const error: JsonObject = { code, status: known.status, reason, message: detail ?? known.message };
  if (id) error.id = id;
  return error;
}

/** The `errorGeneric` response body. */
export const kratosErrorBody = (code: number, reason: string, id?: string, detail?: string): JsonObject => ({
  error: kratosError(code, reason, id, detail),
});
