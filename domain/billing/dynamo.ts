import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { batchGetDocuments } from '../aws/batch';

export type Item = Record<string, unknown>;
export type ItemKey = { pk: string; sk: string };

/** BatchGetItem over any number of keys (deduplicated), found items by `keyString`. */
export async function batchGetAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly ItemKey[],
): Promise<Map<string, Item>> {
  const unique = [...new Map(keys.map((k) => [keyString(k), k])).values()];
  const items = await batchGetDocuments(client, tableName, unique, { concurrency: 4 });
  return new Map(items.map((item) => [keyString(item as ItemKey), item]));
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
