import { Migration20261123152517 } from './Migration20261123152517.js';

/** Every committed migration, oldest first. New ones come from `scripts/mkmig.ts`. */
export const migrationsList = [{ name: 'Migration20261123152517', class: Migration20261123152517 }];
