// Service A: sets the attribution (plus an unrelated baggage entry) and calls service B at B_URL once with fetch
// and once with http.request, printing what B answered.
import { request } from 'node:http';
import { context, propagation } from '@opentelemetry/api';
import { withAttribution } from '@genai-chargeback/instrumentation';

function viaHttpRequest(url) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk) => (body += chunk)).on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

const withOrigin = propagation.setBaggage(context.active(), propagation.createBaggage({ 'request.origin': { value: 'web' } }));
await context.with(withOrigin, () =>
  withAttribution({ team: 'search', customer: 'acme', action: 'ask' }, async () => {
    const viaFetch = await (await fetch(`${process.env.B_URL}/fetch`, { method: 'POST', body: '{}' })).json();
    console.log(JSON.stringify({ hop: 'fetch', ...viaFetch }));
    console.log(JSON.stringify({ hop: 'http.request', ...(await viaHttpRequest(`${process.env.B_URL}/http`)) }));
  }),
);
