/**
 * Child process for the crash test: grows a conversation and checkpoints it as the host would while an
 * answer streams, printing `written <step>` after each write has landed on disk, until it is killed.
 *
 *   node checkpointWriter.mjs <dir> <checkpointIntervalMs>
 */
import { ConversationStore } from '../../src/history/conversationStore';
import { applyStep, conversationAt, stepOf } from './growingConversation';

const [dir, interval = '10'] = process.argv.slice(2);
if (!dir) throw new Error('usage: checkpointWriter <dir> <checkpointIntervalMs>');

const store = new ConversationStore({
  dir,
  checkpointIntervalMs: Number(interval),
  // Pipes are synchronous on Linux: once this returns, the parent will get the line even if we die next.
  onWrite: (e) => process.stdout.write(`written ${stepOf(e.conversation)}\n`),
  log: { info() {}, warn: (m) => process.stderr.write(`${m}\n`), error: (m) => process.stderr.write(`${m}\n`) },
});

async function main(): Promise<void> {
  const conversation = conversationAt(0);
  await store.save(conversation);
  process.stdout.write('ready\n');
  for (let k = 1; ; k++) {
    if (applyStep(conversation, k) === 'stateChange') {
      store.flush(conversation).catch((err) => process.stderr.write(`flush failed: ${err}\n`));
    } else {
      store.checkpoint(conversation);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

void main();
