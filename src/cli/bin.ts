import { fileURLToPath } from 'node:url';
import { main } from './main.js';

await main(fileURLToPath(new URL('../../../bin/zwh.js', import.meta.url)));
