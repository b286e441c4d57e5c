import type { Caption } from '@huddle/protocol';

/** The last few captions, each with its speaker's name; read out politely by screen readers. */
export function CaptionsBar({ captions }: { captions: readonly Caption[] }) {
  const recent = captions.slice(-3);
  return (
    <section className="captions" aria-label="Live captions" aria-live="polite" data-testid="captions">
      {recent.map((c) => (
        <p key={c.id} className="caption" data-testid="caption">
          <strong className="caption-name">{c.name}:</strong> {c.text}
        </p>
      ))}
    </section>
  );
}
