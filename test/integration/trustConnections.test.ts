import { connect, type Socket } from 'node:net';
import { parsePromptFile } from '../../src/registry/promptFile';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';

/**
 * Issue 10, item 10, against a gateway of its own (tight timeouts and a small connection cap, and no
 * other test's keep-alive sockets holding its slots): silent or slow clients cannot hold sockets.
 */
let h: GatewayHarness;
let key: string;

beforeAll(async () => {
  h = await startGatewayHarness({ config: { headers_timeout_ms: 400, request_timeout_ms: 800, max_connections: 64 } });
  await h.push(
    parsePromptFile(
      'name: answer\nversion: 1.0.0\nowner: team\nmodel: gpt-4o-mini-2024-07-18\nvariables: { q: { type: string } }\ntemplate: { user: "{{q}}" }\n',
      'answer.yaml',
    ),
  );
  key = await h.tenant('acme');
  await eventually(() => h.gateway.state.routes.has('answer'));
});
afterAll(() => h.close());

const ask = () =>
  fetch(`${h.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'prompt:answer', messages: [], variables: { q: 'Where is my parcel?' } }),
  });

describe('connections (item 10)', () => {
  /** A socket once connected, or undefined when the gateway refused or closed it before that. */
  const openSocket = () =>
    new Promise<Socket | undefined>((resolve) => {
      const socket = connect(h.gateway.port, '127.0.0.1');
      socket.once('connect', () => resolve(socket));
      socket.once('error', () => resolve(undefined));
      socket.once('close', () => resolve(undefined));
    });
  const closedWithin = (socket: Socket | undefined, ms: number) =>
    !socket || socket.destroyed
      ? Promise.resolve(true)
      : Promise.race([
          new Promise<boolean>((resolve) => socket.once('close', () => resolve(true))),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
        ]);

  it('closes a connection that sends no headers, and one that sends its body too slowly', async () => {
    const silent = await openSocket();
    const slow = await openSocket();
    expect(silent && slow).toBeDefined();
    slow!.on('error', () => undefined);
    slow!.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":`,
    );
    const dribble = setInterval(() => slow!.writable && slow!.write(' '), 100);
    const closed = await Promise.all([closedWithin(silent, 10_000), closedWithin(slow, 10_000)]);
    clearInterval(dribble);
    expect(closed).toEqual([true, true]);
    expect((await fetch(`${h.gateway.url}/healthz`)).status).toBe(200);
  });

  it('caps open connections: idle sockets beyond max_connections are dropped at once', async () => {
    const sockets = await Promise.all(Array.from({ length: 100 }, openSocket));
    for (const socket of sockets) socket?.on('error', () => undefined);
    try {
      const droppedAtOnce = await Promise.all(sockets.map((s) => closedWithin(s, 300)));
      expect(droppedAtOnce.filter(Boolean).length).toBeGreaterThanOrEqual(100 - 64);
    } finally {
      for (const socket of sockets) socket?.destroy();
    }
    await eventually(async () => (await ask().catch(() => undefined))?.status === 200, 20_000);
  });
});
