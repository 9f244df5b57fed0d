import { Agent, request } from 'node:http';

/** An OTLP/HTTP protobuf client for the benchmarks, with a keep-alive pool; `close()` when done. */
export function otlpLoad(clients: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });

  function post(url: string, body: Uint8Array): Promise<{ status: number; ms: number }> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        `${url}/v1/traces`,
        { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.byteLength } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * One attempt after another until the processor takes the request, as an OTLP exporter retries: on 429/503,
   * and on a reset connection (a pooled keep-alive socket the server closed while idle).
   */
  async function send(url: string, body: Uint8Array): Promise<{ ms: number; retries: number }> {
    for (let retries = 0; ; retries++) {
      const outcome = await post(url, body).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return null;
        throw error;
      });
      if (outcome?.status === 200) return { ms: outcome.ms, retries };
      if (outcome !== null && outcome.status !== 429 && outcome.status !== 503) throw new Error(`unexpected status ${outcome.status}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  return {
    send,
    /** Sends every request once with `clients` concurrent senders. */
    async saturate(url: string, bodies: Uint8Array[]): Promise<{ seconds: number; latencies: number[]; refused: number }> {
      const latencies: number[] = [];
      let next = 0;
      let refused = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (next < bodies.length) {
            const { ms, retries } = await send(url, bodies[next++] as Uint8Array);
            latencies.push(ms);
            refused += retries;
          }
        }),
      );
      return { seconds: (performance.now() - started) / 1000, latencies, refused };
    },
    close: () => agent.destroy(),
  };
}
