// A long-running app that makes model calls on command, for the budget gate e2e test. It reads one JSON command
// a line on stdin and prints one JSON answer a line on stdout; it ends when stdin closes.
//   { "op": "call", "team": "search" }          a chat call (openai → FAKE_URL) inside withAttribution({ team }),
//                                               its span exported at once; answers { ok } or { ok: false, error }
//   { "op": "wait-blocked", "team": "search" }  waits until the gate refuses that team's calls (its cached
//                                               status says blocked); answers { blocked }
import { createInterface } from 'node:readline';
import OpenAI from 'openai';
import { checkBudget, flush, withAttribution } from '@genai-chargeback/instrumentation';

const client = new OpenAI({ apiKey: 'test-key', baseURL: `${process.env.FAKE_URL}/v1`, maxRetries: 0 });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(team) {
  try {
    const completion = await withAttribution({ team, project: 'support-bot' }, () =>
      client.chat.completions.create(
        { model: 'gpt-4.1', messages: [{ role: 'user', content: 'Summarise the open ticket' }] },
        // Lets the test count what reached the provider per team (attribution baggage never goes to a provider).
        { headers: { 'x-test-team': team } },
      ),
    );
    return { ok: true, id: completion.id };
  } catch (error) {
    return { ok: false, error: { name: error.name, budget: error.budget ?? null, until: error.until?.toISOString() ?? null, message: error.message } };
  } finally {
    await flush();
  }
}

async function waitBlocked(team) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (checkBudget({ team }).action === 'reject') return { blocked: true };
    await sleep(20);
  }
  return { blocked: false };
}

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line);
  const answer = command.op === 'call' ? await call(command.team) : command.op === 'wait-blocked' ? await waitBlocked(command.team) : { unknown: command.op };
  console.log(JSON.stringify(answer));
}
