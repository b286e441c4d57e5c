import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { guestStore } from '../api/link-entry.ts';
import { startIfHost } from '../call/edge-join.ts';
import { AppHeader } from '../components/AppHeader.tsx';
import { FormError } from '../components/FormError.tsx';
import { VideoView } from '../components/VideoView.tsx';
import { listDevices, openDevices, type DeviceChoice } from '../lib/devices.ts';
import { lobbyHandoff } from '../lib/lobby-handoff.ts';
import { usePageTitle } from '../lib/page-title.ts';
import { useSession } from '../lib/use-session.ts';

/** Before joining: see yourself, pick the microphone and camera, choose to join muted. */
export function LobbyPage() {
  usePageTitle('Ready to join?');
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const session = useSession();
  // A guest of this meeting (let in through its link in this tab) has a name, not an account.
  const guest = session ? null : guestStore.get(id);
  const [choice, setChoice] = useState<DeviceChoice>({});
  const [tracks, setTracks] = useState<{ mic?: MediaStreamTrack; camera?: MediaStreamTrack }>({});
  const [devices, setDevices] = useState<{ mics: MediaDeviceInfo[]; cameras: MediaDeviceInfo[] }>({ mics: [], cameras: [] });
  const [problems, setProblems] = useState<string[]>([]);
  const [micMuted, setMicMuted] = useState(false);
  const [cameraOff, setCameraOff] = useState(false);
  const handedOff = useRef(false);
  const current = useRef(tracks);
  current.current = tracks;

  useEffect(() => {
    let cancelled = false;
    void openDevices(choice).then(async (opened) => {
      if (cancelled) {
        opened.mic?.stop();
        opened.camera?.stop();
        return;
      }
      setTracks((old) => {
        if (old.mic !== opened.mic) old.mic?.stop();
        if (old.camera !== opened.camera) old.camera?.stop();
        return { ...(opened.mic ? { mic: opened.mic } : {}), ...(opened.camera ? { camera: opened.camera } : {}) };
      });
      setProblems(opened.problems);
      setDevices(await listDevices());
    });
    return () => {
      cancelled = true;
    };
  }, [choice]);

  // Leaving the lobby without joining releases the devices (deferred: React's strict
  // mode unmounts and mounts again at once in development).
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      setTimeout(() => {
        if (mounted.current || handedOff.current) return;
        current.current.mic?.stop();
        current.current.camera?.stop();
      }, 0);
    };
  }, []);

  const join = async () => {
    handedOff.current = true;
    lobbyHandoff.put(id, { ...tracks, micMuted, cameraOff });
    // The host's arrival starts a scheduled meeting (its clock and statistics begin).
    if (session) await startIfHost(id, session.user.id);
    navigate(`/meetings/${id}/call`);
  };

  return (
    <>
      <AppHeader />
      <main className="page lobby">
        <h1>Ready to join?</h1>
        <div className="lobby-grid">
          <div className="preview">
            {tracks.camera && !cameraOff ? (
              <VideoView track={tracks.camera} mirror label="Your camera preview" className="preview-video" />
            ) : (
              <div className="preview-off" role="img" aria-label="Camera is off">
                {session?.user.fullName ?? session?.user.username ?? guest?.name}
              </div>
            )}
            <div className="preview-controls">
              <button type="button" className={`round ${micMuted ? 'off' : ''}`} aria-pressed={micMuted} onClick={() => setMicMuted((m) => !m)} disabled={!tracks.mic}>
                {micMuted ? 'Unmute microphone' : 'Mute microphone'}
              </button>
              <button type="button" className={`round ${cameraOff ? 'off' : ''}`} aria-pressed={cameraOff} onClick={() => setCameraOff((c) => !c)} disabled={!tracks.camera}>
                {cameraOff ? 'Turn camera on' : 'Turn camera off'}
              </button>
            </div>
          </div>
          <div className="form">
            <DeviceSelect
              label="Microphone"
              devices={devices.mics}
              value={choice.micId ?? tracks.mic?.getSettings().deviceId ?? ''}
              onChange={(micId) => setChoice((c) => ({ ...c, micId }))}
            />
            <DeviceSelect
              label="Camera"
              devices={devices.cameras}
              value={choice.cameraId ?? tracks.camera?.getSettings().deviceId ?? ''}
              onChange={(cameraId) => setChoice((c) => ({ ...c, cameraId }))}
            />
            {problems.map((p) => (
              <FormError key={p} message={p} />
            ))}
            <button type="button" className="button" onClick={() => void join()}>
              Join now
            </button>
            {session && <Link to={`/meetings/${id}`}>Back to the meeting</Link>}
          </div>
        </div>
      </main>
    </>
  );
}

/** A labelled choice of one kind of device (names appear once the browser allowed a device). */
function DeviceSelect({ label, devices, value, onChange }: { label: string; devices: MediaDeviceInfo[]; value: string; onChange(deviceId: string): void }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {devices.map((d, i) => (
          <option key={d.deviceId || i} value={d.deviceId}>
            {d.label || `${label} ${i + 1}`}
          </option>
        ))}
      </select>
    </label>
  );
}
