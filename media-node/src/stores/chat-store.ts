import { MongoServerError, ObjectId, type Collection, type Db, type Filter } from 'mongodb';
import type { ChatMessage } from '@huddle/protocol';

/** A chat message as stored in MongoDB `chat_messages`. */
export interface ChatMessageDoc {
  _id: ObjectId;
  meeting_id: string;
  user_id: string;
  text: string;
  sent_at: Date;
  client_msg_id: string;
}

/** Outcome of saving a message: `duplicate` when the same (meeting, user, clientMsgId) was saved before. */
export type SaveResult = { status: 'created'; message: ChatMessage } | { status: 'duplicate'; message: ChatMessage };

/** A page of history, newest first; `nextCursor` pages further back. */
export interface ChatPage {
  messages: ChatMessage[];
  nextCursor: string | null;
}

export const CHAT_COLLECTION = 'chat_messages';

/**
 * Chat messages in MongoDB. Idempotent sends: a unique index on
 * (meeting_id, user_id, client_msg_id) makes a retried send find the original.
 * Only plain inserts, finds with sort/limit and single-field $or filters: FerretDB v1 runs them too.
 */
export class ChatStore {
  readonly #collection: Collection<ChatMessageDoc>;

  private constructor(collection: Collection<ChatMessageDoc>) {
    this.#collection = collection;
  }

  /** Creates the indexes (idempotent) and returns the store. */
  static async create(db: Db): Promise<ChatStore> {
    const collection = db.collection<ChatMessageDoc>(CHAT_COLLECTION);
    // One index per call: FerretDB v1.24 panics on a multi-index createIndexes when the
    // indexes already exist (every start after the first).
    await collection.createIndex({ meeting_id: 1, user_id: 1, client_msg_id: 1 }, { name: 'chat_messages_idempotency', unique: true });
    await collection.createIndex({ meeting_id: 1, sent_at: -1, _id: -1 }, { name: 'chat_messages_history' });
    return new ChatStore(collection);
  }

  /** Saves a message, or returns the one saved before under the same clientMsgId. */
  async save(input: { meetingId: string; userId: string; text: string; clientMsgId: string }): Promise<SaveResult> {
    const doc: ChatMessageDoc = {
      _id: new ObjectId(),
      meeting_id: input.meetingId,
      user_id: input.userId,
      text: input.text,
      // Millisecond precision, like BSON dates: what we return equals what is stored.
      sent_at: new Date(Date.now()),
      client_msg_id: input.clientMsgId,
    };
    try {
      await this.#collection.insertOne(doc);
      return { status: 'created', message: toMessage(doc) };
    } catch (error) {
      if (!(error instanceof MongoServerError) || error.code !== 11000) throw error;
      const existing = await this.#collection.findOne({
        meeting_id: input.meetingId,
        user_id: input.userId,
        client_msg_id: input.clientMsgId,
      });
      if (!existing) throw error;
      return { status: 'duplicate', message: toMessage(existing) };
    }
  }

  /** Messages of a meeting older than `before` (a cursor from a previous page), newest first. */
  async history(meetingId: string, options: { before?: string | undefined; limit: number }): Promise<ChatPage> {
    let filter: Filter<ChatMessageDoc> = { meeting_id: meetingId };
    if (options.before) {
      const cursor = decodeCursor(options.before);
      if (!cursor) throw new InvalidCursorError();
      filter = {
        meeting_id: meetingId,
        $or: [{ sent_at: { $lt: cursor.sentAt } }, { sent_at: cursor.sentAt, _id: { $lt: cursor.id } }],
      };
    }
    const docs = await this.#collection
      .find(filter)
      .sort({ sent_at: -1, _id: -1 })
      .limit(options.limit + 1)
      .toArray();
    const page = docs.slice(0, options.limit).map(toMessage);
    const last = page.at(-1);
    return { messages: page, nextCursor: docs.length > options.limit && last ? last.cursor : null };
  }
}

/** A `before` value that is not a cursor this node issued. */
export class InvalidCursorError extends Error {
  readonly code = 'bad_request';
  constructor() {
    super('before is not a valid history cursor');
  }
}

function toMessage(doc: ChatMessageDoc): ChatMessage {
  return {
    id: doc._id.toHexString(),
    meetingId: doc.meeting_id,
    userId: doc.user_id,
    text: doc.text,
    clientMsgId: doc.client_msg_id,
    sentAt: doc.sent_at.toISOString(),
    cursor: encodeCursor(doc.sent_at, doc._id),
  };
}

/**
 * Cursor text: `{sent_at in ms}.{_id hex}`, stable across nodes. Clients treat it as
 * opaque; the pattern is published (history OpenAPI document) so that every string it
 * matches is a position the query can use (15 digits of ms stay a valid Date).
 */
export const CHAT_CURSOR_PATTERN = /^([0-9]{1,15})\.([0-9a-f]{24})$/;

function encodeCursor(sentAt: Date, id: ObjectId): string {
  return `${sentAt.getTime()}.${id.toHexString()}`;
}

function decodeCursor(cursor: string): { sentAt: Date; id: ObjectId } | undefined {
  const match = CHAT_CURSOR_PATTERN.exec(cursor);
  if (!match) return undefined;
  return { sentAt: new Date(Number(match[1])), id: new ObjectId(match[2]) };
}
