export interface ControlsProps {
  micMuted: boolean;
  cameraOff: boolean;
  sharing: boolean;
  handRaised: boolean;
  canMic: boolean;
  canCamera: boolean;
  isHost: boolean;
  /** Hosts and cohosts: the lobby button, with how many wait. */
  lobbyWaiting: number | null;
  panel: 'chat' | 'people' | 'lobby' | null;
  captionsShown: boolean;
  onMic(): void;
  onCamera(): void;
  onScreen(): void;
  onHand(): void;
  onCaptions(): void;
  onPanel(panel: 'chat' | 'people' | 'lobby'): void;
  onLeave(): void;
  onEndForAll(): void;
}

/** The call's control bar. Toggles are buttons with aria-pressed; shortcuts are announced with aria-keyshortcuts. */
export function Controls(props: ControlsProps) {
  const toggle = (label: string, pressed: boolean, onClick: () => void, options: { disabled?: boolean; keys?: string; testId: string; icon: string }) => (
    <button
      type="button"
      className={`control${pressed ? ' on' : ''}`}
      aria-pressed={pressed}
      aria-label={label}
      title={options.keys ? `${label} (${options.keys.replace('Control', 'Ctrl')})` : label}
      aria-keyshortcuts={options.keys}
      onClick={onClick}
      disabled={options.disabled}
      data-testid={options.testId}
    >
      <span aria-hidden="true">{options.icon}</span>
      <span className="control-label">{label}</span>
    </button>
  );
  return (
    <nav className="controls" aria-label="Call controls">
      {toggle('Mute microphone', props.micMuted, props.onMic, { disabled: !props.canMic, keys: 'Control+D', testId: 'toggle-mic', icon: props.micMuted ? '🔇' : '🎙️' })}
      {toggle('Turn off camera', props.cameraOff, props.onCamera, { disabled: !props.canCamera, keys: 'Control+E', testId: 'toggle-camera', icon: props.cameraOff ? '🚫' : '📷' })}
      {toggle('Share screen', props.sharing, props.onScreen, { testId: 'toggle-screen', icon: '🖥️' })}
      {toggle('Raise hand', props.handRaised, props.onHand, { testId: 'toggle-hand', icon: '✋' })}
      {toggle('Captions', props.captionsShown, props.onCaptions, { testId: 'toggle-captions', icon: '💬' })}
      {toggle('Chat', props.panel === 'chat', () => props.onPanel('chat'), { testId: 'toggle-chat', icon: '🗨️' })}
      {toggle('People', props.panel === 'people', () => props.onPanel('people'), { testId: 'toggle-people', icon: '👥' })}
      {props.lobbyWaiting !== null &&
        toggle(`Lobby (${props.lobbyWaiting} waiting)`, props.panel === 'lobby', () => props.onPanel('lobby'), { testId: 'toggle-lobby', icon: '🚪' })}
      <button type="button" className="control leave" onClick={props.onLeave} data-testid="leave" aria-label="Leave the meeting">
        <span aria-hidden="true">📞</span>
        <span className="control-label">Leave</span>
      </button>
      {props.isHost && (
        <button type="button" className="control danger" onClick={props.onEndForAll} data-testid="end-for-all" aria-label="End for all" title="End the meeting for everyone">
          <span aria-hidden="true">⏹</span>
          <span className="control-label">End for all</span>
        </button>
      )}
    </nav>
  );
}
