// A LiveKit meeting stack for tests: a network namespace of the test's own with a real
// livekit-server in it, a media node on the veth host address running the livekit
// engine (its observer inside the namespace), and the edge (workerd) placing meetings
// on that node through a private registry. WebRTC never leaves the namespace.
import { and, eq, inArray } from 'drizzle-orm';
import { pino } from 'pino';
import { meetingParticipants, meetings } from '@huddle/db';
import { insertMeeting } from '../../edge/test/join-fixtures.ts';
import { startEdge, testSecrets, type EdgeUnderTest } from '../../edge/test/harness.ts';
import { authHeaders, registerAndLogin, type SignedInUser } from '../../edge/test/users-helper.ts';
import { createNetns, type Netns } from '../../scripts/src/testing/netns.ts';
import { startLivekitServer, type LivekitServer } from '../../scripts/src/testing/livekit-server.ts';
import { startRtcParticipant, type RtcParticipant } from '../../scripts/src/testing/rtc-participant-client.ts';
import { loadConfig } from '../src/config.ts';
import { MediaNodeServer } from '../src/server.ts';
import { createSuite, eventually, type Suite, TestClient } from './signaling-helpers.ts';

export { livekitSkipReason } from '../../scripts/src/testing/livekit-server.ts';

/** What `POST /meetings/{id}/join` answered. */
export interface JoinGrant {
  backend: string;
  url: string;
  token: string;
  livekitUrl?: string;
}

export interface LivekitStack {
  suite: Suite;
  ns: Netns;
  livekit: LivekitServer;
  node: MediaNodeServer;
  edge: EdgeUnderTest;
  /** Restarts livekit-server (after `livekit.stop()`), same address and webhooks. */
  restartLivekit(): Promise<LivekitServer>;
  /** Registers users through the edge. */
  users(count: number): Promise<SignedInUser[]>;
  /** An ongoing meeting hosted by `host` with the others accepted as attendees. */
  meeting(host: SignedInUser, others: SignedInUser[]): Promise<string>;
  join(meetingId: string, who: SignedInUser): Promise<Response>;
  joinOk(meetingId: string, who: SignedInUser): Promise<JoinGrant>;
  /** A signaling client joined to the node (on the veth host address) with a join token. */
  signal(token: string): Promise<{ client: TestClient; joined: Record<string, any> }>;
  /** An rtc-node participant inside the namespace (closed by teardown). */
  participant(): Promise<RtcParticipant>;
  /** The participant row's status in Postgres. */
  participantStatus(meetingId: string, userId: string): Promise<string | undefined>;
  teardown(): Promise<void>;
}

/** Starts the stack; call teardown() in afterAll. `nodeEnv` adds media-node variables. */
export async function startLivekitStack(nodeEnv: Record<string, string> = {}): Promise<LivekitStack> {
  const suite = createSuite();
  const ns = await createNetns();
  const participants: RtcParticipant[] = [];
  const meetingIds: string[] = [];
  const clients: TestClient[] = [];
  let edge: EdgeUnderTest | undefined;
  let livekit: LivekitServer | undefined;
  try {
    const livekitHttpUrl = `http://${ns.nsIp}:7880`;
    const config = loadConfig({
      ...suite.env,
      LIVEKIT_API_KEY: testSecrets.LIVEKIT_API_KEY,
      LIVEKIT_API_SECRET: testSecrets.LIVEKIT_API_SECRET,
      MEDIA_NODE_HOST: ns.hostIp,
      MEDIA_NODE_ID: `lk-${ns.name.slice(-8)}`,
      MEDIA_NODE_REGISTRY_INTERVAL_SECONDS: '0.3',
      SFU_ENGINE: 'livekit',
      LIVEKIT_URL: livekitHttpUrl,
      LIVEKIT_HEALTH_INTERVAL_MS: '300',
      LIVEKIT_REQUEST_TIMEOUT_MS: '2000',
      LIVEKIT_OBSERVER_NETNS: ns.name,
      ...nodeEnv,
    });
    const node = await MediaNodeServer.create({ ...config, roomIdleCloseMs: 500 }, pino({ level: suite.env.LOG_LEVEL }), {
      processMetrics: false,
    });
    suite.nodes.push(node);
    const livekitOptions = {
      apiKey: testSecrets.LIVEKIT_API_KEY,
      apiSecret: testSecrets.LIVEKIT_API_SECRET,
      webhookUrl: `http://${ns.hostIp}:${node.port}/webhooks/livekit`,
    };
    livekit = await startLivekitServer(ns, livekitOptions);
    edge = await startEdge({ databaseUrl: process.env.TEST_DATABASE_URL, vars: { MEDIA_NODE_REGISTRY_PREFIX: suite.registryPrefix } });
    const theEdge = edge;
    // The node reports its SFU available within a health interval and a heartbeat.
    await eventually(() => node.sfu?.available && node.registry.entry().sfuAvailable, 10_000);
    await node.registry.heartbeat();

    const stack: LivekitStack = {
      suite,
      ns,
      livekit,
      node,
      edge,
      async restartLivekit() {
        stack.livekit = await startLivekitServer(ns, livekitOptions);
        return stack.livekit;
      },
      users: (count) => Promise.all(Array.from({ length: count }, () => registerAndLogin(theEdge))),
      async meeting(host, others) {
        const id = await insertMeeting(suite.db, {
          hostId: host.user.id,
          status: 'ongoing',
          participants: others.map((o) => ({ userId: o.user.id, role: 'attendee' as const, status: 'accepted' as const })),
        });
        meetingIds.push(id);
        return id;
      },
      join: (meetingId, who) => theEdge.fetch(`/api/v1/meetings/${meetingId}/join`, { method: 'POST', headers: authHeaders(who.accessToken) }),
      async joinOk(meetingId, who) {
        const response = await stack.join(meetingId, who);
        const body = (await response.json()) as JoinGrant;
        if (response.status !== 200) throw new Error(`join answered ${response.status}: ${JSON.stringify(body)}`);
        return body;
      },
      async signal(token) {
        const client = new TestClient(`ws://${ns.hostIp}:${node.port}/ws?access_token=${encodeURIComponent(token)}`);
        clients.push(client);
        await client.opened;
        const joined = await client.request('join');
        if (!joined.ok) throw new Error(`join failed: ${JSON.stringify(joined)}`);
        return { client, joined };
      },
      async participant() {
        const p = await startRtcParticipant(ns);
        participants.push(p);
        return p;
      },
      async participantStatus(meetingId, userId) {
        const [row] = await suite.db.db
          .select({ status: meetingParticipants.status })
          .from(meetingParticipants)
          .where(and(eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.userId, userId)));
        return row?.status;
      },
      async teardown() {
        for (const client of clients) client.close();
        await Promise.allSettled(participants.map((p) => p.close()));
        await Promise.allSettled(suite.nodes.map((n) => n.close()));
        if (meetingIds.length > 0) await suite.db.db.delete(meetings).where(inArray(meetings.id, meetingIds));
        await suite.teardown();
        await stack.livekit.stop();
        await theEdge.close();
        await ns.close();
      },
    };
    return stack;
  } catch (error) {
    await Promise.allSettled(participants.map((p) => p.close()));
    await suite.teardown().catch(() => undefined);
    await livekit?.stop();
    await edge?.close();
    await ns.close();
    throw error;
  }
}
