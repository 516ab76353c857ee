/**
 * The floor for the simulator benchmark: a bare Node HTTP server that returns one canned
 * chat completion. Whatever the simulator costs beyond this is its own work.
 */
import { createServer } from 'node:http';

const body = JSON.stringify({
  id: 'chatcmpl-baseline',
  object: 'chat.completion',
  created: 0,
  model: 'baseline',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Items can be returned within 30 days of delivery.' },
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 40, completion_tokens: 10, total_tokens: 50 },
});

const port = Number(process.argv[2] ?? 0);
createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(port, '127.0.0.1', () => console.log('ready'));
