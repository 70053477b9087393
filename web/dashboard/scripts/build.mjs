// Builds dist/index.html + dist/assets/*. Cleans only what we write, so that
// dist/placeholder.txt (owned by the Go side, embedded without a build) stays.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist', 'assets'), { recursive: true, force: true });
rmSync(join(root, 'dist', 'index.html'), { force: true });
await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'info' });
