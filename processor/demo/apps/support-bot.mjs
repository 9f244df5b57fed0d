// Support chatbot (team support): streams answers from Anthropic with a cached system prompt.
import Anthropic from '@anthropic-ai/sdk';
import { withAttribution } from '@genai-chargeback/instrumentation';

const anthropic = new Anthropic();
const conversations = Number(process.env.DEMO_CONVERSATIONS ?? 40);
const customers = ['acme', 'globex', 'initech'];
const policy = 'You are the support assistant of Example Corp. Answer from the help centre. '.repeat(40);

for (let i = 0; i < conversations; i++) {
  await withAttribution({ action: 'support.reply', feature: 'chat', customer: customers[i % customers.length], userId: `customer-user-${i % 17}` }, async () => {
    const stream = anthropic.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 400,
      system: [{ type: 'text', text: policy, cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: `My order ${1000 + i} has not arrived. What can I do?` }],
    });
    await stream.finalMessage();
  });
}
