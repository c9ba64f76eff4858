// First, before anything heavy loads: refuse Node < 22.12 and name the fix.
import './runtime-check.js';
import { setFlagsFromString } from 'node:v8';

/*
 * V8 lets the old generation grow to a multiple of what the last full GC kept before it
 * collects again (heap-growing-percent 0: its own factor, up to 4×). An import keeps little (60 MB
 * of heap after a full GC at 200,000 users) but promotes every batch it holds while the database
 * takes it, so peak RSS was garbage: 381 MB at 200,000 users, 691 MB at 1M. Growing by 20 % kept
 * 256 MB at 200,000 users in the same time (`npm run bench -- --import-only --users 200000`,
 * issue 10). Set before the service loads; V8 reads it at each full GC.
 */
setFlagsFromString('--heap-growing-percent=20');

const { serve } = await import('./serve.js');

await serve();
