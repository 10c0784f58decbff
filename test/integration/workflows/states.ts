// Task states of the workflow definitions, walked from the ASL (so a new state cannot go untested).
import { defaultConfig } from '../../../domain/config';
import { allStates, type State } from '../../../workflows/asl';
import { buildDefinition, type WorkflowName } from '../../../workflows/index';

const config = defaultConfig;

/** Every Task state of a workflow, found by walking its ASL (nested Map/Parallel states included). */
export function taskStates(workflow: WorkflowName): string[] {
  return allStates(buildDefinition(workflow, config))
    .filter(({ state }) => state.Type === 'Task')
    .map(({ name }) => name);
}

/**
 * The Task states on a workflow's forward path: reachable from StartAt through Next, Choice rules and
 * Defaults — not through Catch, and not past a state that records a `$failure` (the entry of a
 * failure path, e.g. a stack that did not reach CREATE_COMPLETE).
 */
export function forwardTaskStates(workflow: WorkflowName): string[] {
  const definition = buildDefinition(workflow, config);
  const states = definition.States as Record<string, State>;
  const seen = new Set<string>();
  const tasks: string[] = [];
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const state = states[name];
    if (state === undefined) return;
    if (state.Type === 'Task') tasks.push(name);
    if ('Assign' in state && state.Assign !== undefined && 'failure' in state.Assign) return;
    const next: string[] = [];
    if ('Next' in state && typeof state.Next === 'string') next.push(state.Next);
    if (state.Type === 'Choice') {
      for (const rule of state.Choices) next.push(rule.Next);
      if (state.Default !== undefined) next.push(state.Default);
    }
    for (const n of next) visit(n);
  };
  visit(definition.StartAt);
  return tasks;
}
