import type { IncomingMessage } from 'node:http';

/**
 * A request whose body is over the limit is answered 413 — but a client still writing its
 * body (Node's `fetch`, most HTTP libraries) sees a socket closed under it as a network error
 * (EPIPE, ECONNRESET), not as the answer, and sends the same message again, forever. So the
 * rest of the body is read and thrown away first, up to `bound` bytes and `timeoutMs`, and
 * only then answered; a body beyond the bound is answered at once and the connection closed.
 * Nothing of a discarded body is kept or parsed.
 *
 * Resolves true when the whole body was read (the connection may serve the next request),
 * false when it was given up on.
 */
export function discardBody(
  request: IncomingMessage,
  bound: number,
  timeoutMs = 30_000,
): Promise<boolean> {
  if (request.readableEnded || request.complete) return Promise.resolve(true);
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > bound) return Promise.resolve(false);

  return new Promise((resolve) => {
    let read = 0;
    const finish = (drained: boolean) => {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onGiveUp);
      request.off('close', onClose);
      if (!drained) request.pause();
      resolve(drained);
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > bound) finish(false);
    };
    const onEnd = () => finish(true);
    const onGiveUp = () => finish(false);
    const onClose = () => finish(request.complete);
    const timer = setTimeout(onGiveUp, timeoutMs);
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onGiveUp);
    request.once('close', onClose);
    request.resume();
  });
}
