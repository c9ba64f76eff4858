/**
 * A start that cannot go on, for one reason an operator can fix: a bad setting, a taken port,
 * an unreachable database. main prints its message as one line on stderr and exits 2.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';

  /** What `listen` failed with, in the operator's terms. */
  static fromListen(e: unknown, host: string, port: number): StartupError {
    const code = (e as { code?: string } | undefined)?.code;
    const where = `${host}:${port}`;
    const message =
      code === 'EADDRINUSE'
        ? `port ${port} is already in use on ${host}: stop the other process or choose another port with IDPORT_PORT`
        : code === 'EACCES'
          ? `no permission to listen on ${where}: choose a port above 1023 with IDPORT_PORT`
          : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
            ? `IDPORT_HOST ${host} is not an address of this machine`
            : `cannot listen on ${where}: ${e instanceof Error ? e.message : String(e)}`;
    return new StartupError(message, { cause: e });
  }
}
