/**
 * The floor for the gateway benchmark: a bare Node HTTP forwarder with no logic at all (no
 * authentication, validation, guardrails, budgets, log or metrics). It reads the body, posts it
 * upstream over a keep-alive agent, reads the answer and sends it back, the two HTTP exchanges every
 * proxied call costs. What the gateway spends beyond this is its own work.
 *   tsx scripts/bench/bareProxy.ts <port> <upstream chat completions URL>
 */
import http from 'node:http';

const port = Number(process.argv[2] ?? 0);
const upstream = new URL(process.argv[3] ?? 'http://127.0.0.1:18788/v1/chat/completions');
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function collect(stream: http.IncomingMessage, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(Buffer.concat(chunks)));
}

http
  .createServer((req, res) => {
    if (req.url === '/healthz') {
      req.resume();
      res.end('ok');
      return;
    }
    collect(req, (body) => {
      const call = http.request(
        upstream,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: 'Bearer sim' },
        },
        (answer) =>
          collect(answer, (text) => {
            res.writeHead(answer.statusCode ?? 502, {
              'content-type': 'application/json',
              'content-length': text.length,
            });
            res.end(text);
          }),
      );
      call.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      call.end(body);
    });
  })
  .listen(port, '127.0.0.1');
