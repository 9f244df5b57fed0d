// A legacy reporting job nobody tagged with a team: its spend shows as unallocated. It also tries a model the
// price book does not know, which is stored as unpriced (cost NULL), never as free.
import OpenAI from 'openai';

const openai = new OpenAI();
for (let i = 0; i < 15; i++) {
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Summarise report ${i}` }] });
}
await openai.chat.completions.create({ model: 'acme-llm-large', messages: [{ role: 'user', content: 'Summarise the quarter' }] });
