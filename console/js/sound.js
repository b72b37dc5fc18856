// A distinct tone pattern per priority, synthesised with WebAudio (no sound files); silent until armed.

// priority → [frequency Hz, beeps]; 1 is the most urgent
const PATTERNS = { 1: [988, 3], 2: [784, 2], 3: [587, 1] };
const FALLBACK = [440, 1];

let context = null;
let played = 0;

/** Browsers allow sound only after a user gesture: the "turn on alert sounds" button calls this. */
export async function arm() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return false;
  context = context || new Context();
  if (context.state === 'suspended') await context.resume();
  return true;
}

export function armed() {
  return Boolean(context);
}

/** How many alert tones were played: the header shows it to tests as data-tones. */
export function tonesPlayed() {
  return played;
}

export function pattern(priority) {
  return PATTERNS[priority] || FALLBACK;
}

export function playPriority(priority) {
  if (!context) return false;
  const [frequency, beeps] = pattern(priority);
  const start = context.currentTime + 0.02;
  for (let i = 0; i < beeps; i += 1) {
    const at = start + i * 0.22;
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = 'square';
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(at);
    oscillator.stop(at + 0.18);
  }
  played += 1;
  return true;
}
