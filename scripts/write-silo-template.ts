// Writes the per-tenant silo template (deployed by the onboarding workflow, not by `cdk deploy`)
// next to the app's templates so `make cdk-check` lints it too. Usage: tsx scripts/write-silo-template.ts <file>
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../domain/config';
import { siloTemplate } from '../infra/silo-stack';

const out = process.argv[2] ?? 'cdk.out/silo-tenant.template.json';
writeFileSync(out, JSON.stringify(siloTemplate(loadConfig()), null, 1));
console.log(`silo template → ${out}`);
