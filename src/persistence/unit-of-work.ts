import type { EntityManager } from '@mikro-orm/sql';
import type { UnitOfWork } from '../application/ports.js';
import { appendAudit } from './jobs/audit-store.js';
import type { Database } from './orm.js';
import { createDirectoryRepository } from './repositories/directory.repository.js';

/** Each unit of work is one database transaction on a fresh EntityManager fork. */
export function createUnitOfWork(db: Database): UnitOfWork {
  return {
    transactional: (work) =>
      db.em().transactional((em) =>
        work({
          directory: createDirectoryRepository(em),
          audit: { append: (entries) => appendAudit(em as unknown as EntityManager, entries) },
        }),
      ),
  };
}
