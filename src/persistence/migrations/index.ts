import { Migration20261123154227 } from './Migration20261123154227.js';
import { Migration20261202005323 } from './Migration20261202005323.js';
import { Migration20261202043500 } from './Migration20261202043500.js';
import { Migration20261203140000 } from './Migration20261203140000.js';
import { Migration20261204190000 } from './Migration20261204190000.js';
import { Migration20261204200000 } from './Migration20261204200000.js';

/** Every committed migration, oldest first. New ones come from `scripts/mkmig.ts`. */
export const migrationsList = [
  { name: 'Migration20261123154227', class: Migration20261123154227 },
  { name: 'Migration20261202005323', class: Migration20261202005323 },
  { name: 'Migration20261202043500', class: Migration20261202043500 },
  { name: 'Migration20261203140000', class: Migration20261203140000 },
  { name: 'Migration20261204190000', class: Migration20261204190000 },
  { name: 'Migration20261204200000', class: Migration20261204200000 },
];
