/**
 * Node socket and stream codes that mean "could not talk to the store" rather than "the store
 * said no"; every blob adapter maps them to UNAVAILABLE. Each adapter adds its client's own
 * codes (undici's for GCS, TLS handshake codes for S3's caller-named endpoints).
 */
export const SOCKET_ERROR_CODES: readonly string[] = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'ERR_STREAM_PREMATURE_CLOSE',
];
