/**
 * `tsx workflows/build.ts <outDir>` (`make workflows`): writes `<outDir>/<name>.asl.json` for every
 * lifecycle workflow, from the configuration `loadConfig()` returns (TENANTRY_CONFIG or the default).
 * Deployment-specific values stay as `${Name}` definition substitutions (see workflows/common.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../domain/config';
import { definitionJson, usedSubstitutions, workflowNames } from './index';

export function buildWorkflows(outDir: string): string[] {
  const config = loadConfig();
  mkdirSync(outDir, { recursive: true });
  return workflowNames.map((name) => {
    const file = join(outDir, `${name}.asl.json`);
    writeFileSync(file, definitionJson(name, config));
    return file;
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const outDir = process.argv[2];
  if (outDir === undefined) {
    process.stderr.write('usage: tsx workflows/build.ts <outDir>\n');
    process.exit(2);
  }
  for (const file of buildWorkflows(outDir)) {
    const subs = usedSubstitutions(readFileSync(file, 'utf8'));
    process.stdout.write(`${file} (substitutions: ${subs.join(', ')})\n`);
  }
}
