import type { DirectoryStore, OrgFilter } from '../ports.js';

/** Upper bound on one page, as ZITADEL's default list limit. */
export const MAX_PAGE = 1000;

export function createOrgQueries(deps: { directory: DirectoryStore }) {
  return {
    listOrgs(filter: Omit<OrgFilter, 'limit'> & { limit: number }) {
      const limit = filter.limit <= 0 || filter.limit > MAX_PAGE ? MAX_PAGE : filter.limit;
      return deps.directory.listOrgs({ ...filter, limit });
    },
  };
}
