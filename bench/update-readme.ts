/** `npm run bench:readme`: rewrites README's benchmark figures from bench/results (the newest file per scenario). */
import { fileURLToPath } from 'node:url';
import { updateReadme } from './readme-figures.js';

// Compiled to dist/bench-build/bench/: three levels below the project.
updateReadme(fileURLToPath(new URL('../../..', import.meta.url)));
process.stdout.write('README.md: benchmark figures made from bench/results\n');
