// Pictures of what the built-ins do, from their parameters: the EQ's response (the same RBJ biquads the
// engine designs) and a compressor's or gate's static curve with the input level on it.

function biquadMagnitude(kind, frequency, q, gainDB, sampleRate, at) {
  const a = Math.pow(10, gainDB / 40), w = 2 * Math.PI * frequency / sampleRate;
  const cos = Math.cos(w), alpha = Math.sin(w) / (2 * q), root = 2 * Math.sqrt(a) * alpha;
  let b0, b1, b2, a0, a1, a2;
  if (kind === 'peak') {
    [b0, b1, b2, a0, a1, a2] = [1 + alpha * a, -2 * cos, 1 - alpha * a, 1 + alpha / a, -2 * cos, 1 - alpha / a];
  } else if (kind === 'lowshelf') {
    [b0, b1, b2] = [a * ((a + 1) - (a - 1) * cos + root), 2 * a * ((a - 1) - (a + 1) * cos), a * ((a + 1) - (a - 1) * cos - root)];
    [a0, a1, a2] = [(a + 1) + (a - 1) * cos + root, -2 * ((a - 1) + (a + 1) * cos), (a + 1) + (a - 1) * cos - root];
  } else {
    [b0, b1, b2] = [a * ((a + 1) + (a - 1) * cos + root), -2 * a * ((a - 1) + (a + 1) * cos), a * ((a + 1) + (a - 1) * cos - root)];
    [a0, a1, a2] = [(a + 1) - (a - 1) * cos + root, 2 * ((a - 1) - (a + 1) * cos), (a + 1) - (a - 1) * cos - root];
  }
  const v = 2 * Math.PI * at / sampleRate, c1 = Math.cos(v), s1 = Math.sin(v), c2 = Math.cos(2 * v), s2 = Math.sin(2 * v);
  const nr = b0 + b1 * c1 + b2 * c2, ni = -(b1 * s1 + b2 * s2), dr = a0 + a1 * c1 + a2 * c2, di = -(a1 * s1 + a2 * s2);
  return Math.sqrt((nr * nr + ni * ni) / (dr * dr + di * di));
}

function prepare(canvas) {
  const scale = window.devicePixelRatio || 1;
  canvas.width = Math.round(canvas.clientWidth * scale);
  canvas.height = Math.round(canvas.clientHeight * scale);
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.lineWidth = 2 * scale;
  return g;
}

function grid(g, width, height, xs, ys) {
  g.strokeStyle = 'rgba(230,233,239,0.12)';
  g.lineWidth = 1;
  for (const x of xs) { g.beginPath(); g.moveTo(x, 0); g.lineTo(x, height); g.stroke(); }
  for (const y of ys) { g.beginPath(); g.moveTo(0, y); g.lineTo(width, y); g.stroke(); }
}

/** The EQ's magnitude response, 20 Hz–20 kHz, ±24 dB. */
export function drawEqualizer(canvas, parameters, sampleRate) {
  const g = prepare(canvas), width = canvas.width, height = canvas.height;
  const x = (hz) => Math.log(hz / 20) / Math.log(1000) * width, y = (db) => height / 2 - db / 24 * (height / 2);
  grid(g, width, height, [100, 1000, 10000].map(x), [-12, 0, 12].map(y));
  const kinds = ['lowshelf', 'peak', 'peak', 'peak', 'highshelf'];
  g.strokeStyle = '#4fa3ff';
  g.lineWidth = 2 * (window.devicePixelRatio || 1);
  g.beginPath();
  for (let px = 0; px <= width; px += 2) {
    const hz = 20 * Math.pow(1000, px / width);
    let magnitude = 1;
    kinds.forEach((kind, band) => {
      const gain = parameters[`b${band + 1}_gain`] ?? 0;
      if (gain !== 0) magnitude *= biquadMagnitude(kind, parameters[`b${band + 1}_freq`], parameters[`b${band + 1}_q`], gain, sampleRate, hz);
    });
    const db = 20 * Math.log10(magnitude);
    px === 0 ? g.moveTo(px, y(db)) : g.lineTo(px, y(db));
  }
  g.stroke();
}

/** A compressor's (or gate's) output level against its input level, −80…0 dB, with the input's level now. */
export function drawDynamics(canvas, kind, parameters, inputDB) {
  const g = prepare(canvas), width = canvas.width, height = canvas.height;
  const x = (db) => (db + 80) / 80 * width, y = (db) => height - (db + 80) / 80 * height;
  grid(g, width, height, [-60, -40, -20].map(x), [-60, -40, -20].map(y));
  const threshold = parameters.threshold ?? -20;
  const curve = (input) => {
    if (kind === 'compressor') {
      const ratio = parameters.ratio ?? 3, knee = parameters.knee ?? 0, over = input - threshold;
      let out = input;
      if (2 * over > knee) out = threshold + over / ratio;
      else if (knee > 0 && 2 * Math.abs(over) <= knee) out = input + (1 / ratio - 1) * Math.pow(over + knee / 2, 2) / (2 * knee);
      return out + (parameters.makeup ?? 0);
    }
    if (input >= threshold) return input;
    const ratio = parameters.ratio ?? 100, range = parameters.range ?? -40;
    return Math.max(input + range, threshold + (input - threshold) * ratio);
  };
  g.strokeStyle = 'rgba(230,233,239,0.3)';
  g.beginPath(); g.moveTo(x(-80), y(-80)); g.lineTo(x(0), y(0)); g.stroke();
  g.strokeStyle = '#4fa3ff';
  g.lineWidth = 2 * (window.devicePixelRatio || 1);
  g.beginPath();
  for (let db = -80; db <= 0; db += 0.5) db === -80 ? g.moveTo(x(db), y(curve(db))) : g.lineTo(x(db), y(curve(db)));
  g.stroke();
  if (Number.isFinite(inputDB) && inputDB > -80) {
    g.fillStyle = '#ffd166';
    g.beginPath(); g.arc(x(inputDB), y(curve(Math.min(inputDB, 0))), 5 * (window.devicePixelRatio || 1), 0, 2 * Math.PI); g.fill();
  }
}
