/**
 * The issue's baseline, shared by the Flink benches: read the lines, extract the five fields of a usage event,
 * discard them. Parallelism 1, as the jobs it is compared with.
 */
export function scanOnlySql(eventsPath: string): string {
  return `SET 'parallelism.default' = '1';
CREATE TABLE usage_raw (line STRING) WITH ('connector' = 'filesystem', 'path' = '${eventsPath}', 'format' = 'raw');
CREATE TABLE discard (a STRING, b STRING, c STRING, d STRING, e STRING) WITH ('connector' = 'blackhole');
EXECUTE STATEMENT SET BEGIN
INSERT INTO discard SELECT ${['eventId', 'tenantId', 'metric', 'quantity', 'timestamp']
    .map((f) => `JSON_QUERY(line, '$.${f}' WITH ARRAY WRAPPER)`)
    .join(', ')} FROM usage_raw;
END;
`;
}
