#!/usr/bin/env node
// `npx tenantry` from a checkout: the command is TypeScript, run through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
