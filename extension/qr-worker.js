// QR decoding off the popup's thread: loads the on-demand tessera-qr wasm
// module and decodes RGBA pixels. A wasm trap (or any error) answers `crashed`
// and ends this worker, so the popup starts a fresh one for the next capture
// (a trapped instance's memory cannot be trusted). Plumbing only: the decoder
// is tessera-qr, what its answer means is decided by tessera-core.
import init, { decodeRgba } from './wasm/tessera_qr.js';

const ready = init();

self.onmessage = async (e) => {
  const { id, width, height, pixels } = e.data ?? {};
  try {
    await ready;
    const json = decodeRgba(new Uint8Array(pixels), width >>> 0, height >>> 0);
    self.postMessage({ id, json });
  } catch (err) {
    self.postMessage({ id, crashed: String(err?.name ?? 'error') });
    self.close();
  }
};
