#!/usr/bin/env node
// `npx kyso`: runs the TypeScript CLI through tsx (as `npm start` runs the server), no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
