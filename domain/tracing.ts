/**
 * Powertools Tracer for the Lambda functions (X-Ray active tracing is on for every function,
 * infra/private/tenantry-function.ts): one subsegment per invocation with the cold-start and service
 * annotations and the error as metadata. `contractHandler` applies it to every contract handler; a
 * handler that reads its raw event wraps itself with `traced`. Outside Lambda the tracer is disabled
 * and `traced` calls the handler as it is.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';

const tracer = new Tracer();

export function traced<E, R, C = unknown>(
  name: string,
  handler: (event: E, context?: C) => Promise<R>,
): (event: E, context?: C) => Promise<R> {
  return async (event, context) => {
    const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
    if (parent === undefined) return handler(event, context);
    const segment = parent.addNewSubsegment(`## ${name}`);
    tracer.setSegment(segment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      return await handler(event, context);
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      segment.close();
      tracer.setSegment(parent);
    }
  };
}
