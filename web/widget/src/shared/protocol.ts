// The postMessage protocol between the loader (host page) and the chat app
// (iframe). See docs/widget-contract.md. Every message is an object with
// `parley: 1` and a `type`; each side checks event.source and event.origin.

export interface Page {
  url: string;
  title: string;
  referrer?: string;
}

/** A JS API call forwarded from the host page: parley(name, ...args). */
export interface Command {
  name: string;
  args: unknown[];
}

export type EventName = 'message_sent' | 'message_received' | 'open' | 'close';

export type FrameState = 'closed' | 'open';

/** iframe → loader */
export type FrameToHost =
  | { parley: 1; type: 'ready' }
  | { parley: 1; type: 'resize'; state: FrameState; position: 'left' | 'right' }
  | { parley: 1; type: 'event'; name: EventName; data: unknown }
  | { parley: 1; type: 'token'; token: string }
  | { parley: 1; type: 'hidden'; hidden: boolean };

/**
 * loader → iframe. `narrow` (in init and `viewport`) is an addition to the
 * contract: true when the host's viewport is under 480 px wide, so the chat
 * app knows the loader shows it full screen while open.
 */
export type HostToFrame =
  | { parley: 1; type: 'init'; token: string; page: Page; commands: Command[]; narrow?: boolean }
  | { parley: 1; type: 'page'; page: Page }
  | { parley: 1; type: 'command'; name: string; args: unknown[] }
  | { parley: 1; type: 'viewport'; narrow: boolean };

/** Below this host viewport width the open chat fills the screen. */
export const NARROW_PX = 480;
