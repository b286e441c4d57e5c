import { AI_RESULTS_COLLECTION } from '../results-store.ts';
import type { Processor } from './types.ts';

/** Collection of chat messages (written by the signaling layer). */
export const CHAT_MESSAGES_COLLECTION = 'chat_messages';

/** Most recent items read per source: bounds the O(n²) sentence graph. */
const MAX_ITEMS_PER_SOURCE = 500;
const DEFAULT_SENTENCES = 5;

/**
 * `summary`: keywords and an extractive summary (TextRank, textrank.ts, in a worker
 * thread) of the meeting's chat messages and stored transcripts, read from MongoDB.
 * `sinceMinutes` keeps only chat sent and transcripts stored in that window ("what did I
 * miss"). A meeting with nothing to summarise gets empty keywords and sentences.
 * An optional chat-completions provider is not implemented yet.
 */
export const summaryProcessor: Processor<'summary'> = async (task, ctx) => {
  const sources = task.payload.sources ?? ['chat', 'transcripts'];
  const since = task.payload.sinceMinutes === undefined ? undefined : new Date(Date.now() - task.payload.sinceMinutes * 60_000);
  const texts: { at: number; text: string }[] = [];
  let chatMessages = 0;
  let transcripts = 0;
  if (sources.includes('chat')) {
    const chat = await ctx.db
      .collection(CHAT_MESSAGES_COLLECTION)
      .find({ meeting_id: task.meetingId, ...(since ? { sent_at: { $gte: since } } : {}) }, { projection: { text: 1, sent_at: 1 } })
      .sort({ sent_at: -1 })
      .limit(MAX_ITEMS_PER_SOURCE)
      .toArray();
    chatMessages = chat.length;
    for (const m of chat) if (typeof m.text === 'string') texts.push({ at: new Date(m.sent_at).getTime(), text: m.text });
  }
  if (sources.includes('transcripts')) {
    const docs = await ctx.db
      .collection(AI_RESULTS_COLLECTION)
      .find(
        { meeting_id: task.meetingId, analysis_type: 'transcribe', ...(since ? { timestamp: { $gte: since } } : {}) },
        { projection: { results: 1, timestamp: 1 } },
      )
      .sort({ timestamp: -1 })
      .limit(MAX_ITEMS_PER_SOURCE)
      .toArray();
    transcripts = docs.length;
    for (const d of docs) {
      const text = (d.results as { text?: unknown } | undefined)?.text;
      if (typeof text === 'string') texts.push({ at: new Date(d.timestamp).getTime(), text });
    }
  }
  texts.sort((a, b) => a.at - b.at);
  const found = await ctx.cpu.run(
    { kind: 'summary', texts: texts.map((t) => t.text), maxSentences: task.payload.maxSentences ?? DEFAULT_SENTENCES },
    ctx.signal,
  );
  return { ...found, sources: { chatMessages, transcripts }, method: 'textrank-v1' };
};
