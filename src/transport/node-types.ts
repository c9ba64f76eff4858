import type { universalRequestFromNodeRequest, universalResponseToNodeResponse } from '@connectrpc/connect-node';

/** connect-node's request/response shapes (HTTP/1.1 or HTTP/2), which it does not export by name. */
export type NodeServerRequest = Parameters<typeof universalRequestFromNodeRequest>[0];
export type NodeServerResponse = Parameters<typeof universalResponseToNodeResponse>[1];
