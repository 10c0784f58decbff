import { defaultConfig } from '../domain/config';
import { runLocal } from '../flink/local';
const r = await runLocal({ config: defaultConfig, eventsPath: '/tmp/probe.jsonl', outDir: '/tmp/probe-out', now: '2026-11-21T00:00:00Z' });
console.log(JSON.stringify(r.outputs, null, 1), r.durationMs);
