// The chat app's side of the postMessage protocol with the loader. The
// host page's origin is learnt from the loader's init message; after that
// the app talks to that origin only (tokens and message text never go to
// '*'), and only takes messages from its parent window.
import type { FrameToHost, HostToFrame } from '../../shared/protocol';

type Strip<T> = T extends unknown ? Omit<T, 'parley'> : never;
export type ToHost = Strip<FrameToHost>;

export class Host {
  /** The host page's origin, once the loader has introduced itself. */
  origin: string | null = null;
  readonly embedded: boolean;

  constructor(
    onMessage: (m: HostToFrame) => void,
    private w: Window = window,
  ) {
    this.embedded = w.parent !== w;
    w.addEventListener('message', (e: MessageEvent) => {
      if (!this.embedded || e.source !== w.parent) return;
      const m = e.data as HostToFrame | null;
      if (!m || typeof m !== 'object' || m.parley !== 1 || typeof m.type !== 'string') return;
      if (m.type === 'init') this.origin = e.origin;
      else if (e.origin !== this.origin) return;
      onMessage(m);
    });
  }

  post(m: ToHost): void {
    if (!this.embedded) return;
    const target = m.type === 'ready' ? '*' : this.origin;
    if (!target) return;
    try {
      this.w.parent.postMessage({ parley: 1, ...m }, target);
    } catch {
      // data that cannot be cloned: dropped
    }
  }
}
