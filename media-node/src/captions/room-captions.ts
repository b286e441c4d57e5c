import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AiResultPublication, SummarizeResponse } from '@huddle/protocol';
import { enqueueTask } from '../ai/enqueue.ts';
import type { AudioTapSink } from '../sfu/engine.ts';
import { errorMessage, fail, ok, type Result } from '../signaling/types.ts';
import { findMeetingCaptionsInfo, findUserNames, storeMeetingSummary, type MeetingCaptionsInfo } from './meeting-store.ts';
import type { CaptionsService } from './service.ts';
import { DEFAULT_SPEAKER_STREAM, SpeakerStream, type UtteranceAudio } from './speaker-stream.ts';
import { claimMeetingSummary, requestSummary, waitForResults } from './summaries.ts';
import { captionFromResult, storeTalkTime, talkTimeTable, talkTimeTotals } from './transcript-store.ts';
import type { CaptionsRoom } from './types.ts';
import { VAD_NAME, VAD_SAMPLE_RATE } from './vad.ts';

/** How often talk time is announced while people speak, ms. */
const TALK_TIME_INTERVAL_MS = 2_000;
/** Caption ids remembered to deliver each caption once per node. */
const DELIVERED_MEMORY = 2_000;

/**
 * The captions of one meeting's room on this node. Owned by the Room (opened with it,
 * closed with it). While the meeting's settings allow captions it is the SFU room's audio
 * tap: each speaker's PCM → Silero VAD → utterances (≤ CAPTIONS_MAX_UTTERANCE_MS, cut at
 * pauses) → a `transcribe` task each on the AI queue (audio inline, the speaker as the
 * task's user, the utterance's name and times in the payload) + the utterance's talk time
 * stored as `speech_activity`. Transcripts come back as `ai.result` on the meeting's
 * channel and go out as `caption.new` (once per caption id); talk time goes out as
 * `talktime.updated` every few seconds while it changes. Captions off (`settings.captions
 * = false`, reread on `meeting.updated`) removes the tap: no audio leaves the SFU.
 */
export class RoomCaptions implements AudioTapSink {
  readonly #service: CaptionsService;
  readonly #room: CaptionsRoom;
  readonly #log: Logger;
  readonly #streams = new Map<string, SpeakerStream>();
  readonly #names = new Map<string, string>();
  readonly #totals = new Map<string, number>();
  readonly #delivered = new Set<string>();
  /** Transcribe tasks this room queued (the end-of-meeting summary waits for them). */
  readonly #queued = new Set<string>();
  readonly #work = new Set<Promise<unknown>>();
  #info: MeetingCaptionsInfo | undefined;
  #tapOn = false;
  #refreshing: Promise<void> = Promise.resolve();
  #talkTimer: NodeJS.Timeout | undefined;
  #talkDirty = false;
  #ended = false;
  #closed = false;

  constructor(service: CaptionsService, room: CaptionsRoom) {
    this.#service = service;
    this.#room = room;
    this.#log = service.log.child({ meetingId: room.meetingId, component: 'captions' });
  }

  /** Whether captions are on for the meeting (as last read from its settings). */
  get enabled(): boolean {
    return this.#info?.enabled ?? false;
  }

  /** Reads the meeting's settings and turns the tap on or off; safe to call any time. */
  refresh(): Promise<void> {
    this.#refreshing = this.#refreshing.then(() => this.#refresh()).catch((error: unknown) => {
      this.#service.metrics.errors.inc({ stage: 'settings' });
      this.#log.warn({ err: errorMessage(error) }, 'reading the captions setting failed');
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    if (this.#closed || this.#ended) return;
    const firstRead = this.#info === undefined;
    const info = await findMeetingCaptionsInfo(this.#service.db, this.#room.meetingId);
    if (!info) return;
    const changed = firstRead || info.enabled !== this.#info?.enabled;
    this.#info = info;
    if (firstRead) await this.#loadTotals();
    const want = info.enabled && this.#service.vad !== undefined;
    const sfu = this.#room.sfu;
    if (sfu && !sfu.closed && want !== this.#tapOn && !this.#closed) {
      this.#tapOn = want;
      await sfu.setAudioTap(want ? this : undefined);
      if (!want) this.#dropStreams();
      this.#log.info({ tap: want }, want ? 'captions tap on' : 'captions tap off');
    }
    if (changed && !firstRead) this.#room.deliverLocal({ method: 'captions.state', data: { enabled: info.enabled } });
  }

  /** Talk time already stored for the meeting (a room reopened mid-meeting continues). */
  async #loadTotals(): Promise<void> {
    const totals = await talkTimeTotals(this.#service.mongo, this.#room.meetingId);
    for (const [userId, ms] of totals) this.#totals.set(userId, (this.#totals.get(userId) ?? 0) + ms);
  }

  /** A participant joined on this node: tell them whether captions are on. */
  participantJoined(userId: string, name: string): void {
    this.#names.set(userId, name);
    if (this.#info) this.#room.notify(userId, { method: 'captions.state', data: { enabled: this.#info.enabled } });
  }

  // ---------------------------------------------------------------------------- audio tap

  onAudio(userId: string, pcm: Int16Array, atMs: number): void {
    if (!this.#tapOn || this.#ended || this.#closed) return;
    let stream = this.#streams.get(userId);
    if (!stream) {
      const vad = this.#service.vad;
      if (!vad) return;
      const name = this.#room.participantName(userId);
      if (name) this.#names.set(userId, name);
      stream = new SpeakerStream(
        userId,
        vad.stream(),
        { ...DEFAULT_SPEAKER_STREAM, segmenter: { maxSpeechMs: this.#service.config.maxUtteranceMs, minSilenceMs: this.#service.config.minSilenceMs } },
        {
          utterance: (u) => this.#onUtterance(u),
          dropped: (ms) => this.#service.metrics.droppedSeconds.inc(ms / 1000),
          error: (error) => {
            this.#service.metrics.errors.inc({ stage: 'vad' });
            this.#log.warn({ userId, err: errorMessage(error) }, 'voice detection failed on a frame');
          },
        },
      );
      this.#streams.set(userId, stream);
      this.#service.metrics.speakers.inc();
    }
    stream.push(pcm, atMs);
  }

  onSpeakerGone(userId: string): void {
    const stream = this.#streams.get(userId);
    if (!stream) return;
    this.#streams.delete(userId);
    this.#service.metrics.speakers.dec();
    // What they said up to the moment they left is still captioned and stored.
    this.#track(stream.flush());
  }

  #dropStreams(): void {
    for (const stream of this.#streams.values()) stream.close();
    this.#service.metrics.speakers.dec(this.#streams.size);
    this.#streams.clear();
  }

  #onUtterance(u: UtteranceAudio): void {
    const info = this.#info;
    if (!info) return;
    const meetingId = this.#room.meetingId;
    const name = this.#names.get(u.userId) ?? this.#room.participantName(u.userId) ?? 'Participant';
    const startMs = Math.max(0, Math.round(u.startedAtMs - info.startedAtMs));
    const endMs = Math.max(startMs, Math.round(u.endedAtMs - info.startedAtMs));
    const startedAt = new Date(u.startedAtMs).toISOString();
    const taskId = randomUUID();
    this.#queued.add(taskId);
    this.#service.metrics.utterances.inc();
    this.#service.metrics.speechSeconds.inc(u.speechMs / 1000);
    const audio = Buffer.from(u.pcm.buffer, u.pcm.byteOffset, u.pcm.byteLength).toString('base64');
    this.#track(
      enqueueTask(
        this.#service.redis,
        {
          type: 'transcribe',
          meetingId,
          payload: {
            audio,
            mimeType: 'audio/pcm',
            sampleRate: VAD_SAMPLE_RATE,
            language: this.#service.config.language,
            utterance: { name, startedAt, endedAt: new Date(u.endedAtMs).toISOString(), startMs, endMs },
          },
        },
        { userId: u.userId, taskId, stream: this.#service.stream },
      ).then((queued) => {
        if (!queued.ok) throw new Error(queued.error);
      }),
      'enqueue',
    );
    this.#track(
      storeTalkTime(this.#service.mongo, { id: randomUUID(), meetingId, userId: u.userId, startedAt, speechMs: u.speechMs, detector: VAD_NAME }),
      'talk_time',
    );
    this.#totals.set(u.userId, (this.#totals.get(u.userId) ?? 0) + u.speechMs);
    this.#talkDirty = true;
    if (!this.#talkTimer && !this.#ended && !this.#closed) {
      this.#talkTimer = setInterval(() => this.#announceTalkTime(), TALK_TIME_INTERVAL_MS);
      this.#talkTimer.unref();
    }
  }

  #announceTalkTime(): void {
    if (!this.#talkDirty) return;
    this.#talkDirty = false;
    const totals = talkTimeTable(this.#totals, this.#names);
    this.#room.broadcast({ method: 'talktime.updated', data: { totals: totals.slice(0, 1_000) } });
  }

  /** Current talk time per speaker (ms), most first. */
  talkTime(): ReturnType<typeof talkTimeTable> {
    return talkTimeTable(this.#totals, this.#names);
  }

  #track(work: Promise<unknown>, stage?: string): void {
    const tracked = work.catch((error: unknown) => {
      if (stage) this.#service.metrics.errors.inc({ stage });
      this.#log.warn({ stage, err: errorMessage(error) }, 'captions step failed');
    });
    this.#work.add(tracked);
    void tracked.finally(() => this.#work.delete(tracked));
  }

  // ------------------------------------------------------------------------- results

  /**
   * An `ai.result` on the meeting's channel: a transcript of one of the meeting's
   * utterances becomes `caption.new` for this node's peers (once per caption; an empty
   * transcript — noise — is no caption). True when the event was a caption (consumed).
   */
  onAiResult(event: AiResultPublication): boolean {
    if (event.analysisType !== 'transcribe' || !event.results.utterance) return false;
    if (this.#delivered.has(event.taskId)) return true;
    this.#delivered.add(event.taskId);
    if (this.#delivered.size > DELIVERED_MEMORY) this.#delivered.delete(this.#delivered.values().next().value as string);
    const caption = captionFromResult({ task_id: event.taskId, meeting_id: event.meetingId, user_id: event.userId, results: event.results });
    if (!caption) return true;
    this.#room.deliverLocal({ method: 'caption.new', data: { caption } });
    this.#service.metrics.captions.inc();
    this.#service.metrics.latencySeconds.observe(Math.max(0, Date.now() - Date.parse(caption.endedAt)) / 1000);
    return true;
  }

  // ------------------------------------------------------------------------- summaries

  /** `ai.summarize`: keywords and sentences of the last `sinceMinutes` of transcript and chat. */
  async summarize(userId: string, sinceMinutes: number): Promise<Result> {
    const answer = await requestSummary(
      this.#service,
      { meetingId: this.#room.meetingId, userId, sinceMinutes },
      this.#service.config.summaryTimeoutMs,
    );
    if (!answer) return fail('unavailable', 'the summary is not ready in time; try again');
    const { keywords, sentences, sources } = answer.results;
    const response: SummarizeResponse = { taskId: answer.taskId, sinceMinutes, keywords, sentences, sources };
    return ok(response);
  }

  /**
   * The meeting ended: finish every speaker's last utterance, then (one node per meeting)
   * wait for the transcripts, summarise the meeting and store summary, keywords and the
   * talk-time table with its stats. Runs on after the room closes (the service waits for it).
   */
  end(): void {
    if (this.#ended || this.#closed) return;
    this.#ended = true;
    this.#stopTimers();
    const flushes = [...this.#streams.values()].map((s) => s.flush());
    this.#service.metrics.speakers.dec(this.#streams.size);
    this.#streams.clear();
    this.#service.track(
      Promise.all(flushes)
        .then(() => Promise.allSettled([...this.#work]))
        .then(() => this.#summariseMeeting())
        .catch((error: unknown) => this.#log.error({ err: errorMessage(error) }, 'end-of-meeting summary failed')),
    );
  }

  async #summariseMeeting(): Promise<void> {
    const meetingId = this.#room.meetingId;
    const info = this.#info ?? (await findMeetingCaptionsInfo(this.#service.db, meetingId));
    if (!info) return;
    if (!(await claimMeetingSummary(this.#service.redis, meetingId, this.#service.nodeId))) return;
    const missing = await waitForResults(this.#service.mongo, [...this.#queued], this.#service.config.finalWaitMs);
    if (missing.length > 0) this.#log.warn({ missing: missing.length }, 'summarising before every utterance was transcribed');
    const summary = await requestSummary(this.#service, { meetingId, userId: info.creatorId }, this.#service.config.summaryTimeoutMs).catch(
      (error: unknown) => {
        this.#log.warn({ err: errorMessage(error) }, 'meeting summary task failed');
        return undefined;
      },
    );
    const totals = await talkTimeTotals(this.#service.mongo, meetingId);
    const unnamed = [...totals.keys()].filter((id) => !this.#names.has(id));
    const names = new Map([...this.#names, ...(await findUserNames(this.#service.db, unnamed))]);
    const stored = await storeMeetingSummary(this.#service.db, meetingId, {
      sentences: summary?.results.sentences ?? [],
      keywords: summary?.results.keywords ?? [],
      talkTime: talkTimeTable(totals, names),
    });
    this.#log.info({ stored, speakers: totals.size, sentences: summary?.results.sentences.length ?? 0 }, 'end-of-meeting summary');
  }

  #stopTimers(): void {
    if (this.#talkTimer) {
      clearInterval(this.#talkTimer);
      this.#talkTimer = undefined;
      this.#announceTalkTime();
    }
  }

  /**
   * The room closed (last peer gone, node shutdown): buffered speech is still finished and
   * queued (tracked by the service). Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#stopTimers();
    if (!this.#ended) {
      const flushes = [...this.#streams.values()].map((s) => s.flush());
      this.#service.track(Promise.all(flushes).then(() => Promise.allSettled([...this.#work])));
    }
    this.#service.metrics.speakers.dec(this.#streams.size);
    this.#streams.clear();
    this.#closed = true;
  }
}
