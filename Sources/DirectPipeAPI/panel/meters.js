// Level meters drawn at the display's frame rate from the latest telemetry: peak (bar), RMS (inner bar),
// peak hold (a line, 1.5 s), clip (red end, held until clicked).

const floorDB = -60;
const toDB = (linear) => (linear > 0 ? 20 * Math.log10(linear) : -Infinity);

export class Meter {
  constructor(canvas) {
    this.canvas = canvas;
    this.peaks = [];
    this.rms = [];
    this.holds = [];
    this.clipped = false;
    canvas.addEventListener('click', () => { this.clipped = false; });
  }

  /** New figures (linear); `rms` may be absent (the input has peaks only). */
  update(peaks, rms, clipped) {
    const now = performance.now();
    this.peaks = peaks.map(toDB);
    this.rms = (rms || []).map(toDB);
    this.peaks.forEach((db, channel) => {
      const hold = this.holds[channel];
      if (!hold || db >= hold.db || now - hold.at > 1500) this.holds[channel] = { db, at: now };
    });
    if (clipped) this.clipped = true;
    // For people using a screen reader, and for tests: the loudest channel's peak, in dBFS.
    const loudest = Math.max(...this.peaks, -Infinity);
    this.canvas.dataset.peakDb = Number.isFinite(loudest) ? loudest.toFixed(1) : '-inf';
    this.canvas.title = Number.isFinite(loudest) ? `${loudest.toFixed(1)} dBFS` : 'silence';
  }

  draw() {
    const canvas = this.canvas, scale = window.devicePixelRatio || 1;
    const width = Math.round(canvas.clientWidth * scale), height = Math.round(canvas.clientHeight * scale);
    if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
    const g = canvas.getContext('2d');
    g.clearRect(0, 0, width, height);
    const channels = Math.max(this.peaks.length, 1), lane = height / channels;
    const x = (db) => Math.max(0, Math.min(1, (db - floorDB) / -floorDB)) * width;
    for (let channel = 0; channel < this.peaks.length; channel++) {
      const top = channel * lane + 1, h = lane - 2, peak = this.peaks[channel];
      const gradient = g.createLinearGradient(0, 0, width, 0);
      gradient.addColorStop(0, '#2f9e5b'); gradient.addColorStop(0.75, '#3ecf6e');
      gradient.addColorStop(0.9, '#f2c14e'); gradient.addColorStop(1, '#ff5a5f');
      g.fillStyle = gradient;
      g.fillRect(0, top, x(peak), h);
      if (this.rms[channel] !== undefined) {
        g.fillStyle = 'rgba(255,255,255,0.35)';
        g.fillRect(0, top + h * 0.3, x(this.rms[channel]), h * 0.4);
      }
      const hold = this.holds[channel];
      if (hold && Number.isFinite(hold.db)) { g.fillStyle = '#e6e9ef'; g.fillRect(x(hold.db) - scale, top, 2 * scale, h); }
    }
    if (this.clipped) { g.fillStyle = '#ff5a5f'; g.fillRect(width - 6 * scale, 0, 6 * scale, height); }
    g.fillStyle = 'rgba(230,233,239,0.35)';
    for (const db of [-48, -36, -24, -12, -6, 0]) g.fillRect(x(db), 0, 1, height);
  }
}
