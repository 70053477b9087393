// A short, soft two-note chime for a new agent message, made with WebAudio
// (no audio file). Browsers allow sound only after the visitor has
// interacted with the page; before that it stays silent.

let ctx: AudioContext | null = null;

function context(): AudioContext | null {
  if (ctx) return ctx;
  const AC: typeof AudioContext | undefined =
    window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (AC) ctx = new AC();
  return ctx;
}

export function chime(): void {
  try {
    const ctx = context();
    if (!ctx) return;
    if (ctx.state === 'suspended') void ctx.resume().catch(() => {});
    const now = ctx.currentTime;
    const notes: [number, number][] = [
      [880, 0],
      [1318.5, 0.12],
    ];
    for (const [freq, at] of notes) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + at);
      gain.gain.exponentialRampToValueAtTime(0.18, now + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.35);
      osc.connect(gain).connect(ctx.destination);
      osc.start(now + at);
      osc.stop(now + at + 0.4);
    }
  } catch {
    // no sound, no harm
  }
}

/** Called on the visitor's clicks and key presses in the chat, so later chimes may play. */
export function unlockSound(): void {
  try {
    const c = context();
    if (c && c.state === 'suspended') void c.resume().catch(() => {});
  } catch {
    // ignore
  }
}

export function armSound(): void {
  for (const type of ['pointerdown', 'keydown']) addEventListener(type, unlockSound, { capture: true, passive: true });
}
