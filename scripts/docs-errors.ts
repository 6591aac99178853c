// Regenerates docs/errors.md from the error registries.
import { writeFileSync } from 'node:fs';
import { renderErrorsDoc } from '../src/error-registry.ts';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
