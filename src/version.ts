import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function findPackageVersion(): string {
  // src/version.ts and dist/src/version.js sit at different depths below package.json.
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string };
      if (pkg.name === 'sched-bench' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

export const VERSION = findPackageVersion();
