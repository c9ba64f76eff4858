import type { JsonObject } from './json.js';

/**
 * ZITADEL's login-name rule: when an org's domain policy says `userLoginMustBeDomain`, user
 * names only need to be unique inside that org (the login name carries the org domain);
 * otherwise they must be unique in the whole instance. Returns the uniqueness scope key.
 */
export function userNameScope(orgId: string, domainPolicy: JsonObject | undefined): string {
  return domainPolicy?.userLoginMustBeDomain === true ? orgId : '';
}
