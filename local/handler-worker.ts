// One Lambda "execution environment" of the local handler host: a worker thread with its own
// process.env (the function's environment), importing the handler module once (cold start) and
// serving invocations. Started by local/handler-host.ts; the tsx loader is inherited via execArgv.
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { shapeError } from './handler-registry';

interface WorkerInit {
  file: string;
}
interface InvokeMessage {
  id: number;
  event: string;
  context: {
    functionName: string;
    invokedFunctionArn: string;
    awsRequestId: string;
    memoryLimitInMB: string;
    timeoutMs: number;
  };
}

type Handler = (event: unknown, context: unknown) => unknown;

const { file } = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('local/handler-worker.ts must run as a worker thread of local/handler-host.ts');

let handlerPromise: Promise<Handler> | undefined;

function loadHandler(): Promise<Handler> {
  handlerPromise ??= import(pathToFileURL(file).href).then((mod: Record<string, unknown>) => {
    const handler = mod.handler ?? (mod.default as Record<string, unknown> | undefined)?.handler;
    if (typeof handler !== 'function') {
      const err = new Error(`${file} does not export a function named 'handler'`);
      err.name = 'Runtime.HandlerNotFound';
      throw err;
    }
    return handler as Handler;
  });
  return handlerPromise;
}

port.on('message', async (msg: InvokeMessage) => {
  const started = Date.now();
  const { context } = msg;
  const lambdaContext = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: context.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    awsRequestId: context.awsRequestId,
    logGroupName: `/aws/lambda/${context.functionName}`,
    logStreamName: `local/[$LATEST]${context.awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, context.timeoutMs - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const handler = await loadHandler();
    const result = await handler(JSON.parse(msg.event), lambdaContext);
    port.postMessage({
      id: msg.id,
      ok: true,
      result: result === undefined ? 'null' : JSON.stringify(result),
    });
  } catch (err) {
    port.postMessage({ id: msg.id, ok: false, error: shapeError(err) });
  }
});
