import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { Navigate, useNavigate, useParams } from 'react-router';
import { CallSession } from '../call/call-session.ts';
import { joinThroughEdge } from '../call/edge-join.ts';
import { AudioSinks } from '../components/call/AudioSinks.tsx';
import { CaptionsBar } from '../components/call/CaptionsBar.tsx';
import { ChatPanel } from '../components/call/ChatPanel.tsx';
import { Controls } from '../components/call/Controls.tsx';
import { LobbyPanel } from '../components/call/LobbyPanel.tsx';
import { ParticipantsPanel } from '../components/call/ParticipantsPanel.tsx';
import { StatusBanner } from '../components/call/StatusBanner.tsx';
import { VideoGrid } from '../components/call/VideoGrid.tsx';
import { VideoView } from '../components/VideoView.tsx';
import { captureScreen, openDevices } from '../lib/devices.ts';
import { callEnding, lobbyHandoff } from '../lib/lobby-handoff.ts';
import { usePageTitle } from '../lib/page-title.ts';

function newSession(meetingId: string): CallSession {
  return new CallSession({
    meetingId,
    join: joinThroughEdge,
    createAdapter: async (backend) =>
      backend === 'livekit'
        ? new (await import('../media/livekit-adapter.ts')).LivekitAdapter()
        : new (await import('../media/mediasoup-adapter.ts')).MediasoupAdapter(),
    captureScreen,
  });
}

export function CallPage() {
  const { id = '' } = useParams();
  // Decided once: the call takes the lobby's setup over, and later renders (a token
  // refresh re-renders the tree) must not send a running call back to the lobby.
  const [fromLobby] = useState(() => lobbyHandoff.get(id) !== undefined);
  if (!fromLobby) return <Navigate to={`/meetings/${id}/lobby`} replace />;
  return <Call meetingId={id} />;
}

function Call({ meetingId }: { meetingId: string }) {
  usePageTitle('In the meeting');
  const navigate = useNavigate();
  const [session] = useState(() => newSession(meetingId));
  const snap = useSyncExternalStore(session.subscribe, session.snapshot);
  const [panel, setPanel] = useState<'chat' | 'people' | 'lobby' | null>(() => (window.matchMedia('(max-width: 640px)').matches ? null : 'people'));
  const [captionsShown, setCaptionsShown] = useState(true);
  const mounted = useRef(false);

  // Start once; dispose after a real unmount (strict mode re-mounts at once in development).
  useEffect(() => {
    mounted.current = true;
    const setup = lobbyHandoff.get(meetingId);
    if (setup) {
      lobbyHandoff.delete(meetingId);
      void session.start(setup);
    }
    return () => {
      mounted.current = false;
      setTimeout(() => {
        if (!mounted.current) void session.dispose();
      }, 0);
    };
  }, [session, meetingId]);

  const { call, connection, local } = snap;
  const self = call.self;
  const others = [...call.participants.values()];
  const moderator = self?.role === 'host' || self?.role === 'cohost';

  // The end screen, once the call is over for us.
  useEffect(() => {
    if (connection.phase !== 'ended') return;
    callEnding.put(meetingId, { reason: connection.reason, talkTime: [...call.talkTime] });
    navigate(`/meetings/${meetingId}/ended`, { replace: true });
  }, [connection, meetingId, navigate, call.talkTime]);

  const toggleMic = () => void session.setMicMuted(!local.micMuted);
  const toggleCamera = async () => {
    if (local.cameraOff && !local.camera) {
      const opened = await openDevices({}, { mic: false, camera: true });
      if (opened.camera) await session.setCameraOff(false, opened.camera);
      return;
    }
    await session.setCameraOff(!local.cameraOff);
  };

  // Keyboard shortcuts: Ctrl/⌘+D microphone, Ctrl/⌘+E camera.
  const shortcuts = useRef({ toggleMic, toggleCamera });
  shortcuts.current = { toggleMic, toggleCamera };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      const key = event.key.toLowerCase();
      if (key === 'd') {
        event.preventDefault();
        shortcuts.current.toggleMic();
      } else if (key === 'e') {
        event.preventDefault();
        void shortcuts.current.toggleCamera();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // The stage: someone's screen share (a remote one first), else nobody.
  let stage: { track: MediaStreamTrack; label: string; userId: string } | null = null;
  for (const [userId, tracks] of snap.remoteTracks) {
    if (tracks.screen && !tracks.screen.muted) {
      stage = { track: tracks.screen.track, label: `${call.names.get(userId) ?? 'Someone'} is presenting`, userId };
      break;
    }
  }
  if (!stage && local.screen) stage = { track: local.screen, label: 'You are presenting', userId: self?.userId ?? '' };

  const connected = connection.phase === 'connected';
  return (
    <div className="call" data-testid="call" data-backend={snap.backend ?? ''}>
      <StatusBanner connection={connection} media={snap.media} notice={snap.notice} />
      <div className={`call-body${panel ? ' with-panel' : ''}`}>
        <main className="call-main" aria-label="Meeting">
          <h1 className="visually-hidden">Meeting</h1>
          {stage && (
            <section className="stage" aria-label={stage.label} data-testid="stage" data-user-id={stage.userId}>
              <VideoView track={stage.track} label={stage.label} className="stage-video" />
              <p className="stage-label">{stage.label}</p>
            </section>
          )}
          <VideoGrid
            self={self}
            selfCamera={local.camera}
            selfCameraOff={local.cameraOff}
            others={others}
            tracks={snap.remoteTracks}
            activeSpeaker={call.activeSpeaker}
            compact={stage !== null}
          />
          {captionsShown && call.captionsEnabled && <CaptionsBar captions={call.captions} />}
        </main>
        {panel && (
          <aside className="side-panel" aria-label={panel === 'chat' ? 'Chat panel' : panel === 'lobby' ? 'Lobby panel' : 'People panel'}>
            <button type="button" className="panel-close" onClick={() => setPanel(null)} aria-label="Close panel">
              ×
            </button>
            {panel === 'lobby' && moderator ? (
              <LobbyPanel
                meetingId={meetingId}
                lobby={call.lobby}
                isHost={self?.role === 'host'}
                onAnswer={(ticketId, verdict) => void session.answerKnock(ticketId, verdict)}
                onAnswerAll={(verdict) => void session.answerAll(verdict)}
                onRefresh={() => void session.refreshLobby()}
              />
            ) : panel === 'chat' ? (
              <ChatPanel
                chat={call.chat}
                names={call.names}
                selfUserId={self?.userId}
                canLoadOlder={call.chatCursor !== null}
                disabled={!self}
                onSend={(text) => session.sendChat(text)}
                onRetry={(clientMsgId) => session.retryChat(clientMsgId)}
                onLoadOlder={() => void session.loadOlderChat()}
              />
            ) : (
              <ParticipantsPanel
                self={self}
                others={others}
                talkTime={call.talkTime}
                onMute={(userId) => void session.muteParticipant(userId)}
                onRemove={(userId) => void session.removeParticipant(userId)}
              />
            )}
          </aside>
        )}
      </div>
      <Controls
        micMuted={local.micMuted}
        cameraOff={local.cameraOff}
        sharing={local.screen !== null}
        handRaised={local.handRaised}
        canMic={connected && local.hasMic}
        canCamera={connected}
        isHost={self?.role === 'host'}
        lobbyWaiting={moderator ? call.lobby.waiting : null}
        panel={panel}
        captionsShown={captionsShown}
        onMic={toggleMic}
        onCamera={() => void toggleCamera()}
        onScreen={() => void (local.screen ? session.stopScreenShare() : session.startScreenShare())}
        onHand={() => void session.setHandRaised(!local.handRaised)}
        onCaptions={() => setCaptionsShown((v) => !v)}
        onPanel={(p) => setPanel((current) => (current === p ? null : p))}
        onLeave={() => void session.leave()}
        onEndForAll={() => {
          if (window.confirm('End the meeting for everyone?')) void session.endForAll();
        }}
      />
      <AudioSinks tracks={snap.remoteTracks} />
    </div>
  );
}
