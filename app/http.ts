import { createServer, type RequestListener, type Server } from 'node:http';

export interface HttpTimeouts {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
}

/**
 * The HTTP server the app runs in. A client that sends headers or a body slowly (slow-loris, a
 * stalled callback) gets 408 and its socket closed once the timeout passes. Node checks those
 * timeouts only every connectionsCheckingInterval (30 s by default), so that is tightened too.
 */
export function createHttpServer(app: RequestListener, t: HttpTimeouts): Server {
  return createServer(
    {
      requestTimeout: t.requestTimeoutMs,
      headersTimeout: t.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(t.headersTimeoutMs / 4))),
      // Longer than a load balancer's idle timeout, so it never reuses a socket we just closed.
      keepAliveTimeout: 65_000,
    },
    app,
  );
}

/**
 * Stops listening and resolves once every connection is gone. Requests in flight are answered;
 * a keep-alive connection is closed as soon as it goes idle instead of after keepAliveTimeout.
 */
export function closeGracefully(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
  });
}
