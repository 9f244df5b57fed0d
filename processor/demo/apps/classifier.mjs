// Nightly batch classifier (team data): many small calls on a small OpenAI model, then it exits. One call
// fails (the provider answers 500 on every retry) and is recorded as a failed call.
import OpenAI from 'openai';
import { withAttribution } from '@genai-chargeback/instrumentation';

const openai = new OpenAI({ maxRetries: 1 });
const tickets = Number(process.env.DEMO_TICKETS ?? 120);
const labels = ['billing', 'bug', 'how-to', 'account'];

let next = 0;
async function worker() {
  while (next < tickets) {
    const i = next++;
    await openai.chat.completions.create({
      model: 'gpt-4.1-nano',
      messages: [{ role: 'user', content: `Label ticket ${i} as one of ${labels.join(', ')}: "cannot log in after update"` }],
    });
  }
}
await withAttribution({ action: 'tickets.classify', feature: 'triage' }, () => Promise.all(Array.from({ length: 6 }, worker)));

try {
  await openai.chat.completions.create(
    { model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'Label ticket 9999' }] },
    { headers: { 'x-fake-fault': 'fail-500' } },
  );
} catch (error) {
  console.error(`classifier: one call failed as planned (${error.status ?? error.message})`);
}
