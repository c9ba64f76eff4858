import { Migration20261123145746 } from './Migration20261123145746.js';

/** Every committed migration, oldest first. New ones come from `scripts/mkmig.ts`. */
export const migrationsList = [{ name: 'Migration20261123145746', class: Migration20261123145746 }];
