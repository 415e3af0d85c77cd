// A flight's seat changes over the WebSocket: a snapshot first, then one message per change.
// When the connection drops, it reconnects with ?after=<last event id> so nothing is missed
// and nothing is applied twice.
const GONE = 4404;
const BAD_REQUEST = 4400;

export function watchFlight(flightId, { onSnapshot, onSeat, onState }) {
  let lastEventId = null;
  let socket = null;
  let stopped = false;
  let delay = 250;
  let timer = null;

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const after = lastEventId === null ? "" : `?after=${lastEventId}`;
    socket = new WebSocket(`${scheme}://${location.host}/ws/flights/${flightId}${after}`);
    socket.addEventListener("open", () => {
      if (stopped) return;
      delay = 250;
      onState("live");
    });
    socket.addEventListener("message", (event) => {
      if (stopped) return;
      const message = JSON.parse(event.data);
      if (message.type === "snapshot") {
        lastEventId = message.event_id;
        onSnapshot(message.seat_map);
      } else if (message.type === "seat") {
        if (lastEventId !== null && message.event_id <= lastEventId) return;
        lastEventId = message.event_id;
        onSeat(message);
      }
    });
    socket.addEventListener("close", (event) => {
      if (stopped) return;
      if (event.code === GONE || event.code === BAD_REQUEST) {
        onState("closed");
        return;
      }
      onState("reconnecting");
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 5000);
    });
  }

  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (!socket) return;
    // Closing a socket still connecting makes Chromium log an error to the console
    // ("closed before the connection is established"): let it open, then close it.
    if (socket.readyState === WebSocket.CONNECTING) {
      const opening = socket;
      opening.addEventListener("open", () => opening.close(1000));
    } else {
      socket.close(1000);
    }
  };
}
