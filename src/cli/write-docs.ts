/** `npm run docs`: rewrites .env.example and the README's options tables from the options table. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { envExampleText, readmeWithOptions } from './options-docs.js';

// Compiled to dist/src/cli/: three levels below the project.
const root = new URL('../../../', import.meta.url);
const readmePath = fileURLToPath(new URL('README.md', root));
writeFileSync(fileURLToPath(new URL('.env.example', root)), envExampleText());
writeFileSync(readmePath, readmeWithOptions(readFileSync(readmePath, 'utf8')));
process.stdout.write('.env.example and the README options tables: made from src/cli/options.ts\n');
