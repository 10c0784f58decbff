import { z } from 'zod';
import { EnvironmentError } from './errors';
import { toFieldIssues } from './issues';

/**
 * The one way Tenantry code reads environment variables: validate them all at once (cold start)
 * and fail with an error that names every missing or malformed variable. Values never appear
 * in the message, since some variables hold identifiers operators treat as sensitive.
 */
export function readEnv<const Shape extends z.ZodRawShape>(
  shape: Shape,
  source: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<Shape>> {
  const result = z.object(shape).safeParse(source);
  if (!result.success) {
    throw new EnvironmentError(
      toFieldIssues(result.error).map((i) => ({
        field: i.field,
        message: source[i.field] === undefined ? 'is required but not set' : i.message,
      })),
    );
  }
  return result.data;
}

/** Common validators for environment variables. */
export const envVar = {
  name: () => z.string().min(1).max(255),
  arn: () => z.string().regex(/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$/, 'must be an ARN'),
  url: () => z.url(),
  seconds: (defaultValue: number) => z.coerce.number().int().nonnegative().default(defaultValue),
};
