import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * Client settings shared by every SDK client Tenantry creates. Endpoints are never set here: the
 * SDK reads `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` itself, which is how the local
 * environment (moto) is reached. Retries use the SDK's adaptive retry strategy.
 */
export interface ClientSettings {
  readonly region?: string;
  readonly maxAttempts?: number;
}

export function baseClientConfig(settings: ClientSettings = {}) {
  return {
    region: settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    maxAttempts: settings.maxAttempts ?? 5,
    retryMode: 'adaptive' as const,
  };
}

/** True when a custom endpoint (the local environment) is configured for any or this service. */
function usesCustomEndpoint(serviceEnvSuffix?: string): boolean {
  return (
    Boolean(process.env.AWS_ENDPOINT_URL) ||
    (serviceEnvSuffix !== undefined && Boolean(process.env[`AWS_ENDPOINT_URL_${serviceEnvSuffix}`]))
  );
}

/** S3 needs path-style addressing against an emulator; real AWS keeps virtual-hosted style. */
export function s3ClientConfig(settings: ClientSettings = {}) {
  return { ...baseClientConfig(settings), forcePathStyle: usesCustomEndpoint('S3') };
}

/** Kinesis' default HTTP/2 handler fails against moto; HTTP/1.1 works everywhere. */
export function kinesisClientConfig(settings: ClientSettings = {}) {
  return { ...baseClientConfig(settings), requestHandler: new NodeHttpHandler() };
}

/** A DynamoDB document client that drops undefined attributes instead of failing on them. */
export function documentClient(settings: ClientSettings = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(baseClientConfig(settings)), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
