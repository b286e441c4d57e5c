/** The microphone and camera the user picked (undefined: the browser's default). */
export interface DeviceChoice {
  micId?: string;
  cameraId?: string;
}

/** Camera capture: 720p at most; the SFU sends each receiver the layer it can take. */
const VIDEO: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/**
 * Opens the microphone and the camera. Either may fail (no device, permission denied):
 * what opened is returned with the reason for what did not.
 */
export async function openDevices(choice: DeviceChoice, want: { mic: boolean; camera: boolean } = { mic: true, camera: true }): Promise<{
  mic?: MediaStreamTrack;
  camera?: MediaStreamTrack;
  problems: string[];
}> {
  const problems: string[] = [];
  const open = async (kind: 'audio' | 'video'): Promise<MediaStreamTrack | undefined> => {
    const deviceId = kind === 'audio' ? choice.micId : choice.cameraId;
    const constraints = { ...(kind === 'audio' ? AUDIO : VIDEO), ...(deviceId ? { deviceId: { exact: deviceId } } : {}) };
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraints });
      return stream.getTracks()[0];
    } catch (error) {
      const name = (error as DOMException).name;
      const what = kind === 'audio' ? 'microphone' : 'camera';
      problems.push(name === 'NotAllowedError' ? `The browser blocked the ${what}.` : name === 'NotFoundError' ? `No ${what} found.` : `The ${what} could not be opened.`);
      return undefined;
    }
  };
  const [mic, camera] = await Promise.all([want.mic ? open('audio') : undefined, want.camera ? open('video') : undefined]);
  return { ...(mic ? { mic } : {}), ...(camera ? { camera } : {}), problems };
}

/** Microphones and cameras (labels appear once the user allowed a device). */
export async function listDevices(): Promise<{ mics: MediaDeviceInfo[]; cameras: MediaDeviceInfo[] }> {
  const all = await navigator.mediaDevices.enumerateDevices();
  return { mics: all.filter((d) => d.kind === 'audioinput'), cameras: all.filter((d) => d.kind === 'videoinput') };
}

/** The screen, window or tab the user picks to share. */
export async function captureScreen(): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
  const track = stream.getVideoTracks()[0];
  if (!track) throw new Error('no screen track');
  track.contentHint = 'detail';
  return track;
}
