// tsc copies no non-TS files; the sandbox reads its schema at run time.
import { copyFileSync, mkdirSync } from 'node:fs';
mkdirSync('dist/sandbox', { recursive: true });
copyFileSync('src/sandbox/schema.sql', 'dist/sandbox/schema.sql');
