/** A plain-JSON surface's refusal (Kratos' and the realm API): the HTTP status and its message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** More about the failure where the protocol has room for it (Kratos' `error.message`). */
    readonly detail?: string,
  ) {
    super(message);
  }
}
