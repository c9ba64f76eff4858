import type { universalRequestFromNodeRequest, universalResponseToNodeResponse } from '@connectrpc/connect-node';

/** connect-node's request/response shapes (HTTP/1.1 or HTTP/2), which it does not export by name. */
export type NodeServerRequest = Parameters<typeof universalRequestFromNodeRequest>[0];
export type NodeServerResponse = Parameters<typeof universalResponseToNodeResponse>[1];

/**
 * Call before answering a request whose body may not have been read to the end (refused for
 * its size): on HTTP/1.1 the unread rest stays on the connection, and a keep-alive client's
 * next request would queue behind it until the socket times out (ECONNRESET after ~6 s).
 * Sends `Connection: close` and closes the socket after this response instead. HTTP/2
 * streams are independent, so nothing is needed there.
 */
export function closeIfBodyUnread(req: NodeServerRequest, res: NodeServerResponse): void {
  if (!req.complete && 'shouldKeepAlive' in res) res.shouldKeepAlive = false;
}
