import { resourceName, type TenantryConfig } from '../domain/config';
import { checkDefinition, type StateMachineDefinition } from './asl';
import type { SubstitutionName, Substitutions } from './common';
import { OFFBOARDING, offboardingDefinition } from './offboarding';
import { ONBOARDING, onboardingDefinition } from './onboarding';
import { PROMOTION, promotionDefinition } from './promotion';

/** Every lifecycle state machine, by its short name (also the `<name>.asl.json` file name). */
export const workflows = {
  [ONBOARDING]: onboardingDefinition,
  [PROMOTION]: promotionDefinition,
  [OFFBOARDING]: offboardingDefinition,
} as const satisfies Record<string, (config: TenantryConfig) => StateMachineDefinition>;
export type WorkflowName = keyof typeof workflows;
export const workflowNames = Object.keys(workflows) as WorkflowName[];

/** The checked definition of one workflow (throws DefinitionError naming every structural problem). */
export function buildDefinition(name: WorkflowName, config: TenantryConfig): StateMachineDefinition {
  const definition = workflows[name](config);
  checkDefinition(name, definition);
  return definition;
}

/** The ASL JSON text with `${Name}` placeholders left for definition substitutions. */
export function definitionJson(name: WorkflowName, config: TenantryConfig): string {
  return `${JSON.stringify(buildDefinition(name, config), null, 2)}\n`;
}

/** Deployed state machine name: `<product>-<stage>-<workflow>`. */
export function stateMachineName(config: TenantryConfig, name: WorkflowName): string {
  return resourceName(config, name);
}

/** The substitution names a definition text uses. */
export function usedSubstitutions(text: string): SubstitutionName[] {
  return [
    ...new Set([...text.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1] as SubstitutionName)),
  ].sort();
}

/** Applies definition substitutions like Step Functions does (plain text replacement); every one must be given. */
export function substitute(text: string, values: Partial<Substitutions>): string {
  const missing = usedSubstitutions(text).filter((name) => values[name] === undefined);
  if (missing.length > 0) throw new Error(`definition substitutions missing: ${missing.join(', ')}`);
  return text.replace(/\$\{([A-Za-z0-9]+)\}/g, (_, name: SubstitutionName) => values[name] as string);
}
