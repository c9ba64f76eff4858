/** A plain-JSON surface's refusal (Kratos' and the realm API): the HTTP status and its message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
