import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';

export type Item = Record<string, unknown>;
export type ItemKey = { pk: string; sk: string };

/** BatchGetItem over any number of keys: chunks of 100, UnprocessedKeys retried with backoff. */
export async function batchGetAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly ItemKey[],
  options: { concurrency?: number; maxRounds?: number } = {},
): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  const unique = [...new Map(keys.map((k) => [keyString(k), k])).values()];
  const chunks: ItemKey[][] = [];
  for (let i = 0; i < unique.length; i += 100) chunks.push(unique.slice(i, i + 100));
  const concurrency = options.concurrency ?? 4;
  const maxRounds = options.maxRounds ?? 8;
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      let request: Item[] | undefined = chunks[next++];
      for (let round = 1; request !== undefined && request.length > 0; round++) {
        if (round > maxRounds)
          throw new Error(`BatchGetItem on ${tableName}: keys still unprocessed after ${maxRounds} rounds`);
        const out = await client.send(
          new BatchGetCommand({ RequestItems: { [tableName]: { Keys: request } } }),
        );
        for (const item of out.Responses?.[tableName] ?? []) found.set(keyString(item as ItemKey), item);
        request = out.UnprocessedKeys?.[tableName]?.Keys as Item[] | undefined;
        if (request?.length) await new Promise((r) => setTimeout(r, 25 * 2 ** round));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
  return found;
}

/** Every page of a Query. */
export async function queryAll(client: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...((page.Items ?? []) as Item[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

export function keyString(key: { pk: unknown; sk: unknown }): string {
  return `${String(key.pk)}\u0000${String(key.sk)}`;
}
