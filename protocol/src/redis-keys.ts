/**
 * Redis key names and channels shared by the edge and the media node. The
 * prefixes are part of the contract between deployables: change them only with
 * a migration plan for both sides.
 */
export const redisKeys = {
  /** Cached meeting JSON (cache-aside, TTL with jitter). */
  meeting: (meetingId: string) => `meeting:${meetingId}`,
  /** Pub/sub channel for one meeting's room events across media nodes. */
  meetingEvents: (meetingId: string) => `meeting:${meetingId}:events`,
  /** Hash of a meeting's roster across media nodes: field = user id, value = participant JSON. */
  meetingRoster: (meetingId: string) => `meeting:${meetingId}:roster`,
  /** Held by the media node that writes a meeting's end-of-meeting summary (SET NX, TTL). */
  meetingSummaryLock: (meetingId: string) => `meeting:${meetingId}:summary-lock`,
  /** Pub/sub channel carrying every meeting's lifecycle events. */
  allMeetingEvents: 'meeting_events',
  /**
   * Chat messages stored for a meeting (duplicates of a retried send not counted): the
   * media node INCRs it per stored message, both end paths read it into
   * meeting_stats.chat_message_count (the edge cannot reach MongoDB).
   */
  meetingChatCount: (meetingId: string) => `meeting:${meetingId}:chat_count`,
  /** Registry entry of a live media node (TTL heartbeat). */
  mediaNode: (nodeId: string) => `media:nodes:${nodeId}`,
  /** SCAN pattern over all registry entries. */
  mediaNodePattern: 'media:nodes:*',
  /** Sticky meeting → media node assignment (SET NX). */
  meetingNode: (meetingId: string) => `media:meeting:${meetingId}`,
  /**
   * A login session (one refresh-token family); access and join tokens die with it. A
   * guest's session (hash field `kind` = `guest`, with `meetingId`) lives here too, so
   * every check of a token's session covers guests alike.
   */
  session: (sessionId: string) => `session:${sessionId}`,
  /** Pub/sub channel of session revocations (`session.revoked`, protocol/src/sessions.ts). */
  sessionEvents: 'session_events',
  /** AI task stream and its consumer group. */
  aiTasks: 'ai:tasks',
  aiTasksGroup: 'ai-workers',
  /** Dead-letter stream for AI tasks that exhausted their attempts. */
  aiTasksDead: 'ai:tasks:dead',
  // The lobby of a meeting (protocol/src/lobby.ts). Every key expires on its own.
  /** Hash of one knock (lobbyTicketRecordSchema); lives while the entrant waits, then briefly for the outcome. */
  lobbyTicket: (meetingId: string, ticketId: string) => `lobby:${meetingId}:ticket:${ticketId}`,
  /** ZSET of waiting ticket ids, scored by knock time (ms); ids whose ticket expired are pruned by readers. */
  lobbyWaiting: (meetingId: string) => `lobby:${meetingId}:waiting`,
  /** The waiting ticket of one user (signed-in or guest), so a second knock returns the same ticket. */
  lobbySubject: (meetingId: string, userId: string) => `lobby:${meetingId}:subject:${userId}`,
  /** Set after a denial or removal: `subject` (lobbyBlockSubject) may not knock until it expires. */
  lobbyBlock: (meetingId: string, subject: string) => `lobby:${meetingId}:block:${subject}`,
  /** Knocks this minute (INCR, 60 s): beyond the budget they reach hosts only as `lobby.count`. */
  lobbyKnocks: (meetingId: string) => `lobby:${meetingId}:knocks`,
  /** Knocks of this minute not announced one by one. */
  lobbySuppressed: (meetingId: string) => `lobby:${meetingId}:suppressed`,
  /** SET NX PX gate: at most one `lobby.count` per meeting per interval. */
  lobbyCountGate: (meetingId: string) => `lobby:${meetingId}:count-gate`,
  /** The client address an admitted guest knocked from (a removal blocks it too). */
  lobbyGuestOrigin: (meetingId: string, userId: string) => `lobby:${meetingId}:origin:${userId}`,
} as const;
