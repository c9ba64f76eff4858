import type { DirectoryStore } from '../application/ports.js';
import type { Database } from './orm.js';
import { createDirectoryRepository } from './repositories/directory.repository.js';

/**
 * A DirectoryStore whose every call runs on its own EntityManager fork (and so its own
 * implicit transaction): safe to share between concurrent requests.
 */
export function createDirectoryStore(db: Database): DirectoryStore {
  return new Proxy({} as DirectoryStore, {
    get(_target, name: keyof DirectoryStore) {
      return (...args: unknown[]) => (createDirectoryRepository(db.em())[name] as (...a: unknown[]) => unknown)(...args);
    },
  });
}
