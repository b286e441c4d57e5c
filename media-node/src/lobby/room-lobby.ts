import type { Logger } from 'pino';
import {
  LOBBY_LIMITS,
  lobbyEventSchema,
  redisKeys,
  type LobbyEvent,
  type LobbyNotification,
  type SignalingRequest,
} from '@huddle/protocol';
import type { Peer } from '../signaling/peer.ts';
import { assertNever, errorMessage, fail, ok, type Result, type SignalingContext } from '../signaling/types.ts';
import { blockAfterRemoval, decide, listWaiting, pruneGone, readEntryGate, suppressedKnocks, type Decision } from './lobby-store.ts';

/** The lobby requests (hosts and cohosts only). */
export type LobbyRequest = Extract<SignalingRequest, { method: `lobby.${string}` }>;

/**
 * One meeting's lobby as seen from a room on this node. Owned by the Room: it answers
 * the `lobby.*` requests of local hosts and cohosts, hands them the lobby's
 * notifications from the meeting channel (knocks, counts, decisions made anywhere),
 * and while one of them is here sweeps for entrants who stopped waiting. Attendees and
 * guests get nothing of it. `close()` is idempotent.
 */
export class RoomLobby {
  readonly #ctx: SignalingContext;
  readonly #meetingId: string;
  readonly #moderators: () => Peer[];
  readonly #log: Logger;
  #sweepTimer: NodeJS.Timeout | undefined;
  #lastSuppressed = 0;
  #closed = false;

  /** `peers` lists the room's joined local peers; the lobby keeps to the moderators among them. */
  constructor(ctx: SignalingContext, meetingId: string, peers: () => Iterable<Peer>, log: Logger) {
    this.#ctx = ctx;
    this.#meetingId = meetingId;
    this.#moderators = () => [...peers()].filter((peer) => peer.identity.roomAdmin);
    this.#log = log.child({ part: 'lobby' });
  }

  /** A peer joined or left the room: the sweep runs while a moderator is here. */
  peersChanged(): void {
    const wanted = !this.#closed && this.#moderators().length > 0;
    if (wanted && !this.#sweepTimer) {
      this.#sweepTimer = setInterval(() => void this.#sweep(), this.#ctx.lobby.sweepIntervalMs);
      this.#sweepTimer.unref();
    } else if (!wanted && this.#sweepTimer) {
      clearInterval(this.#sweepTimer);
      this.#sweepTimer = undefined;
    }
  }

  /** A `lobby.*` request of a joined peer. */
  async handle(peer: Peer, request: LobbyRequest): Promise<Result> {
    if (!peer.identity.roomAdmin) return fail('forbidden', 'only hosts and cohosts see and answer the lobby');
    const redis = this.#ctx.redis;
    switch (request.method) {
      case 'lobby.list': {
        await this.#sweep();
        return ok(await listWaiting(redis, this.#meetingId, request.data.limit ?? LOBBY_LIMITS.listLimitDefault));
      }
      case 'lobby.admit': {
        const refused = await this.#refuseAdmission();
        if (refused) return refused;
        return this.#decideOne(request.data.ticketId, { verdict: 'admit', byUserId: peer.userId });
      }
      case 'lobby.deny':
        return this.#decideOne(request.data.ticketId, { verdict: 'deny', byUserId: peer.userId, message: request.data.message });
      case 'lobby.admitAll': {
        const refused = await this.#refuseAdmission();
        if (refused) return refused;
        const { decided, remaining } = await this.#decideAll('admit', peer.userId);
        return ok({ admitted: decided, remaining });
      }
      case 'lobby.denyAll': {
        const { decided, remaining } = await this.#decideAll('deny', peer.userId);
        return ok({ denied: decided, remaining });
      }
      default:
        return assertNever(request);
    }
  }

  /** Admissions need a meeting that is neither over nor locked. */
  async #refuseAdmission(): Promise<Result | undefined> {
    const gate = await readEntryGate(this.#ctx.db, this.#meetingId);
    if (!gate || gate.status === 'ended' || gate.status === 'cancelled') return fail('conflict', 'the meeting is over');
    if (gate.settings.locked) return fail('conflict', 'the meeting is locked: unlock it to let people in');
    return undefined;
  }

  async #decideOne(
    ticketId: string,
    decision: { verdict: 'admit' | 'deny'; byUserId: string; message?: string | undefined },
  ): Promise<Result> {
    const outcome = await decide(this.#ctx.redis, this.#meetingId, ticketId, decision);
    if (outcome.status !== 'ok') {
      if (outcome.status === 'expired') await this.#publishResolved(ticketId, 'left', outcome);
      return fail('not_found', 'that entrant is no longer waiting');
    }
    await this.#publishResolved(ticketId, decision.verdict === 'admit' ? 'admitted' : 'denied', outcome, decision.byUserId);
    return ok({ ticketId, userId: outcome.userId });
  }

  /** Decides the oldest LOBBY_LIMITS.bulkMax waiting entrants, one atomic decision each. */
  async #decideAll(verdict: 'admit' | 'deny', byUserId: string): Promise<{ decided: number; remaining: number }> {
    const { entrants } = await listWaiting(this.#ctx.redis, this.#meetingId, LOBBY_LIMITS.bulkMax);
    let decided = 0;
    let remaining = 0;
    for (const entrant of entrants) {
      const outcome = await decide(this.#ctx.redis, this.#meetingId, entrant.ticketId, { verdict, byUserId });
      remaining = outcome.waiting;
      if (outcome.status === 'ok') {
        decided += 1;
        await this.#publishResolved(entrant.ticketId, verdict === 'admit' ? 'admitted' : 'denied', outcome, byUserId);
      }
    }
    if (entrants.length === 0) remaining = (await listWaiting(this.#ctx.redis, this.#meetingId, 0)).waiting;
    return { decided, remaining };
  }

  async #publishResolved(
    ticketId: string,
    outcome: 'admitted' | 'denied' | 'left',
    decision: Decision,
    byUserId?: string,
  ): Promise<void> {
    await this.#publish({
      method: 'lobby.resolved',
      data: { ticketId, outcome, waiting: decision.waiting, ...(byUserId ? { byUserId } : {}) },
    });
  }

  /** Publishes on the meeting channel; every node with the room open (this one too) delivers it. */
  async #publish(notification: LobbyNotification): Promise<void> {
    const event: LobbyEvent = { type: 'lobby.event', meetingId: this.#meetingId, notification };
    await this.#ctx.redis.publish(redisKeys.meetingEvents(this.#meetingId), JSON.stringify(event));
  }

  /** A `lobby.event` from the meeting channel: to the local hosts and cohosts. */
  onChannelEvent(value: unknown): void {
    const event = lobbyEventSchema.safeParse(value);
    if (!event.success || event.data.meetingId !== this.#meetingId) {
      this.#log.warn('malformed lobby.event message');
      return;
    }
    this.#deliver(event.data.notification);
  }

  #deliver(notification: LobbyNotification): void {
    for (const peer of this.#moderators()) peer.send(notification);
  }

  /** host.remove succeeded: the removed user (and a guest's address) may not knock for a while. */
  async blockRemoved(userId: string): Promise<void> {
    try {
      await blockAfterRemoval(this.#ctx.redis, this.#meetingId, userId, this.#ctx.lobby.blockSeconds);
    } catch (error) {
      this.#log.warn({ err: errorMessage(error), userId }, 'blocking a removed participant from the lobby failed');
    }
  }

  /**
   * Entrants who stopped waiting leave the lobby (announced by whichever node removed
   * them), and a flood's counter reaches local moderators even when the last knock's
   * count was throttled.
   */
  async #sweep(): Promise<void> {
    try {
      const gone = await pruneGone(this.#ctx.redis, this.#meetingId);
      if (gone.length > 0) {
        const waiting = await this.#ctx.redis.zcard(redisKeys.lobbyWaiting(this.#meetingId));
        for (const ticketId of gone) await this.#publish({ method: 'lobby.resolved', data: { ticketId, outcome: 'left', waiting } });
      }
      const suppressed = await suppressedKnocks(this.#ctx.redis, this.#meetingId);
      if (suppressed !== this.#lastSuppressed) {
        this.#lastSuppressed = suppressed;
        if (suppressed > 0) {
          const waiting = await this.#ctx.redis.zcard(redisKeys.lobbyWaiting(this.#meetingId));
          this.#deliver({ method: 'lobby.count', data: { waiting, suppressed } });
        }
      }
    } catch (error) {
      this.#log.warn({ err: errorMessage(error) }, 'lobby sweep failed');
    }
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
  }
}
