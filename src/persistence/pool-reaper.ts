/**
 * Gives back to the pool every connection that died while checked out. kysely 0.29 releases a
 * transaction's connection only after a ROLLBACK (or COMMIT) that succeeded, and MikroORM 7
 * logs a failed rollback and moves on; so each transaction cut by a database restart kept its
 * dead connection checked out for ever, and after pool-size of them every call waited for a
 * connection that would never come (issue 9). Observed with a private cluster stopped under
 * four imports: test/api/faults-database.test.ts.
 */

/** The parts of `pg`'s Pool and PoolClient this needs (public events; `release` per checkout). */
interface PgClient {
  release(err?: Error | boolean): void;
  once(event: 'end', listener: () => void): unknown;
}
interface PgPool {
  on(event: 'acquire', listener: (client: PgClient) => void): unknown;
  on(event: 'release', listener: (err: Error | undefined, client: PgClient) => void): unknown;
}

export function reapDeadConnections(pool: PgPool): void {
  const checkedOut = new Set<PgClient>();
  const watched = new WeakSet<PgClient>();
  pool.on('release', (_err, client) => {
    checkedOut.delete(client);
  });
  pool.on('acquire', (client) => {
    checkedOut.add(client);
    if (watched.has(client)) return;
    watched.add(client);
    client.once('end', () => {
      // An idle client that ends is removed by the pool itself; only a checked-out one leaks.
      if (!checkedOut.has(client)) return;
      checkedOut.delete(client);
      const release = client.release.bind(client);
      // Whoever holds it may still call release (kysely does after a failed query outside a
      // transaction): that later call must not throw "already released".
      client.release = () => {};
      // With an error, the pool drops the client instead of handing it out again.
      release(new Error('connection ended while checked out'));
    });
  });
}
