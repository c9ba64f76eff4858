import { Migration20261123150404 } from './Migration20261123150404.js';

/** Every committed migration, oldest first. New ones come from `scripts/mkmig.ts`. */
export const migrationsList = [{ name: 'Migration20261123150404', class: Migration20261123150404 }];
