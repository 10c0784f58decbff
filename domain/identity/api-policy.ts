import { z } from 'zod';
import type { AccessLevel } from '../tenant/status';

/**
 * The IAM policy an API Gateway REST authorizer returns, scoped to this API and stage. It covers
 * every method the access level permits (not only the current request), so API Gateway's
 * authorizer result cache stays correct for the token's other requests.
 */
export const apiPolicyDocumentSchema = z.object({
  Version: z.literal('2012-10-17'),
  Statement: z
    .array(
      z.object({
        Effect: z.enum(['Allow', 'Deny']),
        Action: z.literal('execute-api:Invoke'),
        Resource: z.array(z.string().min(1)).min(1),
      }),
    )
    .min(1),
});
export type ApiPolicyDocument = z.infer<typeof apiPolicyDocumentSchema>;

const READ_ONLY_METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;

interface MethodArn {
  /** `arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>` */
  readonly stageArn: string;
  readonly method: string;
}

export function parseMethodArn(methodArn: string): MethodArn {
  const match = /^(arn:aws[a-z-]*:execute-api:[a-z0-9-]+:\d{12}:[a-z0-9]+\/[A-Za-z0-9_-]+)\/([A-Z*]+)\//.exec(
    methodArn,
  );
  if (match === null) throw new RangeError(`"${methodArn}" is not an API Gateway method ARN`);
  return { stageArn: match[1] as string, method: match[2] as string };
}

export function isReadOnlyMethod(method: string): boolean {
  return (READ_ONLY_METHODS as readonly string[]).includes(method.toUpperCase());
}

/** Allow what `access` permits on the stage (everything, or reads); deny everything for `none`. */
export function apiPolicy(stageArn: string, access: AccessLevel): ApiPolicyDocument {
  if (access === 'none') {
    return {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: [`${stageArn}/*`] }],
    };
  }
  const resources =
    access === 'read-write' ? [`${stageArn}/*`] : READ_ONLY_METHODS.map((m) => `${stageArn}/${m}/*`);
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: resources }],
  };
}
