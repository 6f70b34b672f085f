// The panel's link to the host: the token (from the URL's #token=…, kept in this browser), reads over HTTP,
// and one WebSocket for the state, telemetry and every action (each answered by an ack or an error).

const tokenKey = 'directpipe-token';

/** The token: taken from the address's fragment once (then removed from the address bar), else remembered. */
export function token() {
  const match = location.hash.match(/token=([0-9a-fA-F]+)/);
  if (match) {
    localStorage.setItem(tokenKey, match[1]);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return localStorage.getItem(tokenKey) || '';
}

export async function get(path) {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

/**
 * The WebSocket, reconnecting by itself (0.5 s, then up to 5 s apart). `handlers`: onState(state),
 * onTelemetry(telemetry), onConnection(connected).
 */
export class Connection {
  constructor(handlers) {
    this.handlers = handlers;
    this.pending = new Map();
    this.nextId = 1;
    this.delay = 500;
    this.open();
  }

  open() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/ws?token=${encodeURIComponent(token())}`);
    this.socket = socket;
    socket.onopen = () => { this.delay = 500; this.handlers.onConnection(true); };
    socket.onmessage = (event) => this.receive(JSON.parse(event.data));
    socket.onclose = () => {
      this.handlers.onConnection(false);
      for (const { reject } of this.pending.values()) reject(new Error('the connection to DirectPipe was lost'));
      this.pending.clear();
      setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 5000);
    };
  }

  receive(message) {
    switch (message.type) {
      case 'state': this.handlers.onState(message.state); break;
      case 'telemetry': this.handlers.onTelemetry(message.telemetry); break;
      case 'ack':
      case 'error': {
        const waiting = this.pending.get(message.id);
        if (!waiting) break;
        this.pending.delete(message.id);
        if (message.type === 'ack') { waiting.resolve(message.state); this.handlers.onState(message.state); }
        else waiting.reject(new Error(message.error));
        break;
      }
    }
  }

  /** Performs an action; resolves with the new state, rejects with the host's reason. */
  perform(action) {
    if (this.socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not connected to DirectPipe'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, action }));
    });
  }
}
