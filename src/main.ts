// First, before anything heavy loads: refuse Node < 22.12 and name the fix.
import './runtime-check.js';
import { serve } from './serve.js';

await serve();
